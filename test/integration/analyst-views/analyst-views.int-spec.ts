import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { type JsonRecord } from '../../../src/common/json';
import { RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import { MIGRATIONS } from '../../../src/database/migrations';
import { MirrorRepository, type Provenance } from '../../../src/mirror/mirror.repository';
import { WORKER_CONTRACT_VERSION } from '../../../src/tango-contract/tango-contract';
import { openTestDataSource } from '../../support/test-data-source';

const provenance: Provenance = {
  deliveryIds: ['d-analyst'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['a-analyst'],
  reasons: ['new'],
};

const FETCHED_AT = new Date('2026-11-01T00:00:00Z');

/** A contract with values of every kind: typed-column paths, code objects, nested objects, lists. */
function contract(key: string, overrides: Partial<JsonRecord> = {}): JsonRecord {
  return {
    key,
    piid: 'W15QKN24C1234',
    award_date: '2026-08-13',
    fiscal_year: 2026,
    obligated: 5306.85,
    total_contract_value: 7500000.0,
    naics_code: 333316,
    number_of_actions: 4,
    award_type: { code: 'D', description: 'DEFINITIVE CONTRACT' },
    naics: { code: '333316', description: 'Photographic and Photocopying Equipment Manufacturing' },
    recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA' },
    awarding_office: { agency_code: '0970', agency_name: 'Department of the Army', department_code: 97 },
    competition: {
      number_of_offers_received: 3,
      solicitation_date: '2026-03-01',
      extent_competed: { code: 'A', description: 'FULL AND OPEN COMPETITION' },
    },
    period_of_performance: { start_date: '2026-08-14', current_end_date: '2027-08-13' },
    transactions: [{ modification_number: '0', obligated: 5306.85 }],
    ...overrides,
  };
}

describe('analyst views over the mirror tables', () => {
  let dataSource: DataSource;
  let mirror: MirrorRepository;

  beforeAll(async () => {
    dataSource = await openTestDataSource(3);
    mirror = new MirrorRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  async function viewRow(key: string): Promise<Record<string, unknown>> {
    const rows = await dataSource.query<Record<string, unknown>[]>(
      `SELECT key, piid, award_date::text AS award_date, fiscal_year, obligated::text AS obligated,
              number_of_actions, award_type_code, award_type_description, naics_code, naics_code_97b914d5,
              naics_description, recipient_uei, recipient_display_name, awarding_office_agency_code,
              awarding_office_agency_name, awarding_office_department_code,
              competition_number_of_offers_received, competition_solicitation_date::text AS solicitation_date,
              competition_extent_competed_code, competition_extent_competed_description,
              period_of_performance_start_date::text AS start_date, transactions, version, deleted_at
         FROM analyst.contracts WHERE key = $1`,
      [key],
    );
    expect(rows).toHaveLength(1);
    return rows[0] ?? {};
  }

  it('shows every path of a mirrored record as a typed column equal to the record value', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await mirror.upsert('contracts', [{ record: contract(key), fetchedAt: FETCHED_AT, provenance }]);
    expect(await viewRow(key)).toEqual({
      key,
      piid: 'W15QKN24C1234',
      award_date: '2026-08-13',
      fiscal_year: 2026,
      obligated: '5306.85',
      number_of_actions: '4',
      award_type_code: 'D',
      award_type_description: 'DEFINITIVE CONTRACT',
      naics_code: '333316',
      naics_code_97b914d5: '333316',
      naics_description: 'Photographic and Photocopying Equipment Manufacturing',
      recipient_uei: 'ABCDEFGH1234',
      recipient_display_name: 'KYOCERA',
      awarding_office_agency_code: '0970',
      awarding_office_agency_name: 'Department of the Army',
      awarding_office_department_code: '97',
      competition_number_of_offers_received: '3',
      solicitation_date: '2026-03-01',
      competition_extent_competed_code: 'A',
      competition_extent_competed_description: 'FULL AND OPEN COMPETITION',
      start_date: '2026-08-14',
      transactions: [{ modification_number: '0', obligated: 5306.85 }],
      version: 1,
      deleted_at: null,
    });
  });

  it('reads a value of the wrong type as NULL, never as an error', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const record = contract(key, {
      number_of_actions: 'several',
      award_type: 'D',
      competition: { number_of_offers_received: 2.5, solicitation_date: '2026-02-30' },
      period_of_performance: { start_date: 'yesterday', current_end_date: { day: 1 } },
    });
    await mirror.upsert('contracts', [{ record, fetchedAt: FETCHED_AT, provenance }]);
    const rows = await dataSource.query<Record<string, unknown>[]>(
      `SELECT number_of_actions, award_type_code, award_type_description, competition_number_of_offers_received,
              competition_solicitation_date, period_of_performance_start_date,
              period_of_performance_current_end_date
         FROM analyst.contracts WHERE key = $1`,
      [key],
    );
    expect(rows).toEqual([
      {
        number_of_actions: null,
        award_type_code: 'D',
        award_type_description: null,
        competition_number_of_offers_received: null,
        competition_solicitation_date: null,
        period_of_performance_start_date: null,
        period_of_performance_current_end_date: null,
      },
    ]);
  });

  it.each([
    ['2024-02-29', '2024-02-29'],
    ['2026-02-29', null],
    ['2026-04-31', null],
    ['0000-01-01', null],
    ['2026-13-01', null],
    ['2026-01-01T00:00:00Z', null],
    [20260101, null],
  ])('reads the date %j as %j', async (value, shown) => {
    const key = `CONT_AWD_${randomUUID()}`;
    const record = contract(key, { period_of_performance: { start_date: value } });
    await mirror.upsert('contracts', [{ record, fetchedAt: FETCHED_AT, provenance }]);
    const rows = await dataSource.query<{ day: string | null }[]>(
      'SELECT period_of_performance_start_date::text AS day FROM analyst.contracts WHERE key = $1',
      [key],
    );
    expect(rows).toEqual([{ day: shown }]);
  });

  it('reads every column of every view in a parallel plan', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SET parallel_setup_cost = 0');
      await runner.query('SET parallel_tuple_cost = 0');
      await runner.query('SET min_parallel_table_scan_size = 0');
      await runner.query('SET max_parallel_workers_per_gather = 2');
      const plan = (await runner.query('EXPLAIN SELECT * FROM analyst.contracts')) as {
        'QUERY PLAN': string;
      }[];
      expect(plan.map((line) => line['QUERY PLAN']).join('\n')).toContain('Parallel Seq Scan');
      for (const family of RESOURCE_FAMILIES) {
        await runner.query(`SELECT * FROM analyst.${family}`);
      }
    } finally {
      await runner.query('RESET ALL');
      await runner.release();
    }
  });

  it('keeps deleted records visible with deleted_at', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await mirror.upsert('contracts', [{ record: contract(key), fetchedAt: FETCHED_AT, provenance }]);
    await mirror.markDeleted('contracts', [key], new Date('2026-11-02T00:00:00Z'), provenance);
    expect(await viewRow(key)).toMatchObject({
      key,
      piid: 'W15QKN24C1234',
      version: 2,
      deleted_at: new Date('2026-11-02T00:00:00Z'),
    });
  });

  it('has a view for every family whose every column reads and carries a comment', async () => {
    for (const family of RESOURCE_FAMILIES) {
      await dataSource.query(`SELECT * FROM analyst.${family} LIMIT 5`);
      const uncommented = await dataSource.query<{ name: string }[]>(
        `SELECT a.attname AS name
           FROM pg_attribute a
          WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            AND col_description(a.attrelid, a.attnum) IS NULL`,
        [`analyst.${family}`],
      );
      expect({ family, uncommented }).toEqual({ family, uncommented: [] });
    }
    const [comment] = await dataSource.query<{ text: string }[]>(
      `SELECT col_description('analyst.entities'::regclass, a.attnum) AS text
         FROM pg_attribute a
        WHERE a.attrelid = 'analyst.entities'::regclass AND a.attname = 'physical_address_city'`,
    );
    expect(comment?.text).toBe(
      `text; Tango entities physical_address.city, from Tango's contract at API ${WORKER_CONTRACT_VERSION}; ` +
        'observed str; as text',
    );
  });

  it('lets a filter on a typed column through the view use the mirror table index', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.query('SET enable_seqscan = off');
      const plan = (await runner.query(
        `EXPLAIN SELECT key FROM analyst.contracts WHERE recipient_uei = 'ABCDEFGH1234'`,
      )) as { 'QUERY PLAN': string }[];
      expect(plan.map((line) => line['QUERY PLAN']).join('\n')).toContain('contracts_recipient_uei');
    } finally {
      await runner.query('RESET enable_seqscan');
      await runner.release();
    }
  });

  it('has real downs: every analyst-view migration undone newest first removes the schema; redone restores it', async () => {
    const generations = MIGRATIONS.filter((candidate) => candidate.name.startsWith('AnalystViews')).map(
      (Migration) => new Migration(),
    );
    expect(generations.length).toBeGreaterThan(0);
    const runner = dataSource.createQueryRunner();
    const schema = async (): Promise<unknown> =>
      ((await runner.query(`SELECT to_regnamespace('analyst') AS oid`)) as { oid: unknown }[])[0]?.oid;
    try {
      for (const migration of [...generations].reverse()) {
        await migration.down(runner);
      }
      expect(await schema()).toBeNull();
      for (const migration of generations) {
        await migration.up(runner);
      }
      expect(await schema()).not.toBeNull();
      await runner.query('SELECT * FROM analyst.contracts LIMIT 1');
    } finally {
      await runner.release();
    }
  });
});
