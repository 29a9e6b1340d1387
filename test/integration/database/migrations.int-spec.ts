import { RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { parseConfig } from '../../../src/config/app-config';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { MIGRATIONS } from '../../../src/database/migrations';
import { MigrationRunner } from '../../../src/database/migration-runner';
import { ScratchDatabase } from '../../support/scratch-database';

function runnerFor(dataSource: DataSource, url: string): MigrationRunner {
  const config = parseConfig({ DATABASE_URL: url, KAFKA_BROKERS: '127.0.0.1:1', WEBHOOK_SECRETS: 'x' });
  return new MigrationRunner(dataSource, config);
}

async function publicTables(dataSource: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await dataSource.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

describe('migrations', () => {
  let scratch: ScratchDatabase;
  const dataSources: DataSource[] = [];

  async function connect(): Promise<DataSource> {
    const dataSource = new DataSource(
      buildDataSourceOptions({
        url: scratch.url,
        poolSize: 3,
        statementTimeoutMs: 30_000,
        migrationsRun: true,
      }),
    );
    await dataSource.initialize();
    dataSources.push(dataSource);
    return dataSource;
  }

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(async () => {
    scratch = await ScratchDatabase.create('migrations');
  });

  afterEach(async () => {
    await Promise.all(dataSources.splice(0).map((dataSource) => dataSource.destroy()));
    await scratch.drop();
  });

  it('goes up, all the way down, and up again', async () => {
    const dataSource = await connect();
    expect(await runnerFor(dataSource, scratch.url).runPendingMigrations()).toHaveLength(MIGRATIONS.length);
    const afterUp = await publicTables(dataSource);
    expect(afterUp).toEqual(expect.arrayContaining(['sync_state', 'typeorm_migrations']));
    const families: { scope_key: string }[] = await dataSource.query(
      `SELECT scope_key FROM sync_state WHERE scope = 'resource' ORDER BY scope_key`,
    );
    // Every resource tango-sync can mirror has its row (and its table), whether turned on or not.
    expect(families.map((row) => row.scope_key)).toEqual([...RESOURCE_FAMILIES].sort());

    for (const _migration of MIGRATIONS) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
    expect(await publicTables(dataSource)).toEqual(['typeorm_migrations']);

    expect(await runnerFor(dataSource, scratch.url).runPendingMigrations()).toHaveLength(MIGRATIONS.length);
    expect(await publicTables(dataSource)).toEqual(afterUp);
  });

  it('lets only one of two concurrent replicas apply the migrations', async () => {
    const [first, second] = [await connect(), await connect()];
    const applied = await Promise.all([
      runnerFor(first, scratch.url).runPendingMigrations(),
      runnerFor(second, scratch.url).runPendingMigrations(),
    ]);
    expect(applied.flat()).toHaveLength(MIGRATIONS.length);
    const recorded: { count: string }[] = await first.query(
      'SELECT count(*) AS count FROM typeorm_migrations',
    );
    expect(Number(recorded[0]?.count)).toBe(MIGRATIONS.length);
  });

  it('is a no-op when the schema is current', async () => {
    const dataSource = await connect();
    await runnerFor(dataSource, scratch.url).runPendingMigrations();
    expect(await runnerFor(dataSource, scratch.url).runPendingMigrations()).toEqual([]);
  });

  it('rejects a second sync_state row for the same scope, and unknown resource families', async () => {
    const dataSource = await connect();
    await runnerFor(dataSource, scratch.url).runPendingMigrations();
    await expect(
      dataSource.query(`INSERT INTO sync_state (scope, scope_key) VALUES ('resource', 'contracts')`),
    ).rejects.toThrow(/duplicate key/);
    await expect(
      dataSource.query(`INSERT INTO sync_state (scope, scope_key) VALUES ('resource', 'widgets')`),
    ).rejects.toThrow(/sync_state_resource_known/);
    await dataSource.query(`INSERT INTO sync_state (scope, scope_key) VALUES ('alert', 'any-alert-id')`);
  });
});
