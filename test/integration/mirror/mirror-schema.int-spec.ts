import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { allFamilies, type ColumnType } from '../../../src/common/tango/families';
import { ScratchDatabase, undoMigrationsNewerThan } from '../../support/scratch-database';

/** information_schema's name for each descriptor column type. */
const SQL_TYPE: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  date: 'date',
  timestamptz: 'timestamp with time zone',
  numeric: 'numeric',
  integer: 'integer',
  bigint: 'bigint',
  boolean: 'boolean',
};

/** Columns every mirror table has besides the id and the typed columns. */
const BOOKKEEPING = [
  'record',
  'content_hash',
  'version',
  'first_seen_at',
  'fetched_at',
  'changed_at',
  'source_modified_at',
  'deleted_at',
];

describe('mirror tables and the family descriptors', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    ({ dataSource, close } = await ScratchDatabase.migrated('mirror_schema'));
  });

  afterAll(async () => {
    await close();
  });

  async function columnsOf(table: string): Promise<Map<string, string>> {
    const rows = await dataSource.query<{ column_name: string; data_type: string }[]>(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    );
    return new Map(rows.map((row) => [row.column_name, row.data_type]));
  }

  it('have exactly the typed columns the descriptors declare, with their SQL types and indexes', async () => {
    for (const descriptor of allFamilies()) {
      const columns = await columnsOf(descriptor.table);
      const expected = new Map<string, string>([
        ...descriptor.columns.map((column) => [column.name, SQL_TYPE[column.type]] as const),
        [descriptor.idField, descriptor.idType === 'uuid' ? 'uuid' : SQL_TYPE[descriptor.idType]],
      ]);
      const typed = new Map([...columns].filter(([name]) => !BOOKKEEPING.includes(name)));
      expect({ table: descriptor.table, columns: Object.fromEntries([...typed].sort()) }).toEqual({
        table: descriptor.table,
        columns: Object.fromEntries([...expected].sort()),
      });
      const indexes = await dataSource.query<{ indexdef: string }[]>(
        `SELECT indexdef FROM pg_indexes WHERE tablename = $1`,
        [descriptor.table],
      );
      for (const column of descriptor.columns.filter((candidate) => candidate.indexed)) {
        expect({
          column: `${descriptor.table}.${column.name}`,
          indexed: indexes.some((index) => index.indexdef.endsWith(`(${column.name})`)),
        }).toEqual({ column: `${descriptor.table}.${column.name}`, indexed: true });
      }
    }
  });

  it('go back to the old typed columns, filled from the stored records, and forward again', async () => {
    await dataSource.query(
      `INSERT INTO entities (uei, record, content_hash, fetched_at)
       VALUES ('UEI1', '{"registration_status": true, "sam_expiration_date": "2027-03-04"}', 'h', now()),
              ('UEI2', '{"registration_status": "Active"}', 'h', now())`,
    );
    await dataSource.query(
      `INSERT INTO otidvs (key, record, content_hash, fetched_at)
       VALUES ('OT_IDV_1', '{"naics_code": "541512", "parent_award": {"key": "P"},
                             "period_of_performance": {"last_date_to_order": "2028-01-02"}}', 'h', now())`,
    );
    const entitiesBefore = await dataSource.query<{ uei: string; registration_status: boolean | null }[]>(
      `SELECT uei, registration_status FROM entities ORDER BY uei`,
    );
    expect(entitiesBefore).toEqual([
      { uei: 'UEI1', registration_status: null },
      { uei: 'UEI2', registration_status: null },
    ]);

    await undoMigrationsNewerThan(dataSource, 'WebhookIngestLighterWrites1795337200000');
    expect(await dataSource.query(`SELECT uei, registration_status FROM entities ORDER BY uei`)).toEqual([
      { uei: 'UEI1', registration_status: 'true' },
      { uei: 'UEI2', registration_status: 'Active' },
    ]);
    expect(
      await dataSource.query(`SELECT naics_code, parent_key, last_date_to_order::text AS d FROM otidvs`),
    ).toEqual([{ naics_code: '541512', parent_key: 'P', d: '2028-01-02' }]);
    expect((await columnsOf('idvs')).get('base_and_exercised_options_value')).toBe('numeric');
    expect((await columnsOf('family_shapes')).size).toBe(0);

    await dataSource.runMigrations({ transaction: 'each' });
    expect(
      await dataSource.query(
        `SELECT uei, registration_status, sam_expiration_date::text AS s FROM entities ORDER BY uei`,
      ),
    ).toEqual([
      { uei: 'UEI1', registration_status: true, s: '2027-03-04' },
      { uei: 'UEI2', registration_status: null, s: null },
    ]);
    expect((await columnsOf('otidvs')).has('naics_code')).toBe(false);
  });

  it('store a not-mirrored delivery status and fold it back into unrecognized on the way down', async () => {
    await dataSource.query(
      `INSERT INTO webhook_deliveries (delivery_key, body_sha256, raw_body, format, status, event_count, target_count,
                                       verified_by)
       VALUES ('k-not-mirrored', 'sha', '\\x7b7d', 'alerts', 'not_mirrored', 1, 0, 'secret-1')`,
    );
    await undoMigrationsNewerThan(dataSource, 'FamilyShapesAndFetchRejections1795338100000');
    expect(
      await dataSource.query(`SELECT status FROM webhook_deliveries WHERE delivery_key = 'k-not-mirrored'`),
    ).toEqual([{ status: 'unrecognized' }]);
    await dataSource.runMigrations({ transaction: 'each' });
  });
});
