import 'reflect-metadata';
import { type DataSource, type QueryRunner } from 'typeorm';
import { analystArtifacts, type AnalystColumn, type AnalystView } from '../../../src/analyst-views';
import { type JsonRecord } from '../../../src/common/json';
import { isResourceFamily } from '../../../src/common/tango/resource-family';
import { MirrorRepository, type Provenance } from '../../../src/mirror/mirror.repository';
import { tangoContract } from '../../../src/tango-contract/tango-contract';
import { loadRecordedRecords } from '../../support/cassette-tango';
import { openTestDataSource } from '../../support/test-data-source';

const provenance: Provenance = { deliveryIds: [], eventTypes: [], alertIds: [], reasons: ['backfill'] };

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function at(record: unknown, path: string): unknown {
  let value = record;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** What a column must show for a recorded value: the value itself when it has the column's type, else NULL. */
function expected(column: AnalystColumn, record: JsonRecord): unknown {
  const path = column.path ?? '';
  if (column.part === 'description') {
    const value = at(record, path.replace(/\.description$/, ''));
    return isObject(value) ? (value.description ?? null) : null;
  }
  if (column.part === 'code') {
    const value = at(record, path.replace(/\.code$/, ''));
    if (isObject(value)) {
      return value.code ?? null;
    }
    return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
  }
  const value = at(record, path) ?? null;
  if (value === null) {
    return null;
  }
  switch (column.type) {
    case 'jsonb':
      return value;
    case 'text':
    case 'uuid':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'bigint':
    case 'integer':
      return Number.isInteger(value) || (typeof value === 'string' && /^-?\d{1,18}$/.test(value))
        ? Number(value)
        : null;
    case 'numeric':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' && ISO_DAY.test(value) ? value : null;
    case 'timestamptz':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? Date.parse(value) : null;
  }
}

/** The view's value as comparable JSON (timestamps as epoch ms, numerics as numbers, JSON text parsed). */
function shown(column: AnalystColumn, value: unknown, wanted: unknown): unknown {
  if (value === null) {
    return null;
  }
  if (column.type === 'timestamptz' && typeof value === 'string') {
    return Date.parse(value);
  }
  if (column.type === 'numeric' && typeof value === 'string') {
    return Number(value);
  }
  if (column.type === 'text' && typeof wanted === 'string' && wanted.startsWith('{')) {
    return JSON.stringify(JSON.parse(value as string));
  }
  return value;
}

describe("analyst views over Tango's recorded live records", () => {
  let dataSource: DataSource;
  let runner: QueryRunner;
  const artifacts = analystArtifacts(tangoContract());
  const recorded = loadRecordedRecords().records;

  beforeAll(async () => {
    dataSource = await openTestDataSource(2);
    runner = dataSource.createQueryRunner();
    await runner.query(`SET TIME ZONE 'UTC'`);
  });

  afterAll(async () => {
    await runner.release();
    await dataSource.destroy();
  });

  /** Per family, the view values compared that are not NULL. */
  const nonNull = new Map<string, number>();

  async function mismatches(view: AnalystView, records: ReadonlyMap<string, JsonRecord>): Promise<string[]> {
    const problems: string[] = [];
    for (const [id, record] of records) {
      const rows = (await runner.query(
        `SELECT to_jsonb(v) - 'record' AS row FROM ${view.view} v WHERE v."${view.idColumn}"::text = $1`,
        [id],
      )) as { row: Record<string, unknown> }[];
      const row = rows[0]?.row ?? {};
      for (const column of view.columns.filter((candidate) => candidate.path !== null)) {
        const wanted = expected(column, record);
        const actual = shown(column, row[column.name] ?? null, wanted);
        nonNull.set(view.family, (nonNull.get(view.family) ?? 0) + (wanted === null ? 0 : 1));
        if (JSON.stringify(actual) !== JSON.stringify(wanted)) {
          problems.push(
            `${view.family} ${id} ${column.name}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(wanted)}`,
          );
        }
      }
    }
    return problems;
  }

  it('shows every recorded field of every record as a typed column equal to the recorded value', async () => {
    const mirror = new MirrorRepository(dataSource);
    let compared = 0;
    const problems: string[] = [];
    for (const view of artifacts.views) {
      const records = (recorded.get(view.family) ?? new Map<string, JsonRecord>()) as ReadonlyMap<
        string,
        JsonRecord
      >;
      if (!isResourceFamily(view.family) || records.size === 0) {
        continue;
      }
      const fetched = [...records.values()].map((record) => ({ record, fetchedAt: new Date(), provenance }));
      await mirror.upsert(view.family, fetched);
      problems.push(...(await mismatches(view, records)));
      compared += records.size;
    }
    expect(problems).toEqual([]);
    expect(compared).toBeGreaterThan(20);
    expect([...nonNull.keys()].sort()).toEqual([...recorded.keys()].sort());
    expect([...nonNull.values()].every((count) => count > 0)).toBe(true);
  });
});
