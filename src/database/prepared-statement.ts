import { Pool, type QueryResultRow } from 'pg';
import { type DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * Runs a named prepared statement on the DataSource's own pool (same connections, limits and timeouts as every
 * other query). Postgres parses and plans a named statement once per connection and reuses the plan, which pays
 * off for large statements on hot paths. The text must be the same on every call with the same name.
 */
export async function queryPrepared<Row extends QueryResultRow>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: readonly unknown[],
): Promise<Row[]> {
  const result = await poolOf(dataSource).query<Row>({ name, text, values: [...values] });
  return result.rows;
}

function poolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver;
  const master: unknown = driver instanceof PostgresDriver ? driver.master : undefined;
  if (!(master instanceof Pool)) {
    throw new Error('prepared statements need an initialised Postgres DataSource');
  }
  return master;
}
