import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { z } from 'zod';
import { analystArtifacts } from '../../src/analyst-views';
import { FAMILIES } from '../../src/common/tango/families';
import { tangoContract, vendoredContract } from '../../src/tango-contract/tango-contract';
import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { type CassetteTango, loadRecordedRecords, startCassetteTango } from '../support/cassette-tango';
import { ScratchDatabase } from '../support/scratch-database';
import { startTestApp, type RunningTestApp } from '../support/test-app';
import { testConfig } from '../support/test-config';
import { postDelivery } from '../support/webhook-client';

const SECRET = 'cassette-secret';
const API_KEY = 'cassette-key';

/**
 * The typed columns each family must hold, read from the recorded record at Tango's own paths (written out here,
 * not taken from the worker's descriptors, so a wrong path in a descriptor fails).
 */
const EXPECTED_COLUMNS: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  contracts: [
    ['piid', 'piid'],
    ['award_date', 'award_date'],
    ['fiscal_year', 'fiscal_year'],
    ['description', 'description'],
    ['total_contract_value', 'total_contract_value'],
    ['recipient_name', 'recipient.display_name'],
  ],
  idvs: [
    ['piid', 'piid'],
    ['award_date', 'award_date'],
    ['fiscal_year', 'fiscal_year'],
    ['description', 'description'],
    ['obligated', 'obligated'],
    ['total_contract_value', 'total_contract_value'],
    ['recipient_uei', 'recipient.uei'],
    ['recipient_name', 'recipient.display_name'],
    ['idv_type', 'idv_type'],
  ],
  opportunities: [
    ['title', 'title'],
    ['solicitation_number', 'solicitation_number'],
    ['response_deadline', 'response_deadline'],
    ['active', 'active'],
  ],
  notices: [
    ['title', 'title'],
    ['solicitation_number', 'solicitation_number'],
    ['posted_date', 'posted_date'],
  ],
  entities: [
    ['legal_business_name', 'legal_business_name'],
    ['cage_code', 'cage_code'],
  ],
  grants: [
    ['opportunity_number', 'opportunity_number'],
    ['agency_code', 'agency_code'],
    ['title', 'title'],
    ['status_code', 'status.code'],
  ],
  forecasts: [
    ['title', 'title'],
    ['naics_code', 'naics_code'],
    ['fiscal_year', 'fiscal_year'],
    ['status', 'status'],
    ['anticipated_award_date', 'anticipated_award_date'],
  ],
};

/** Alert query types per family (notices have no alerts: a legacy notice event names them). */
const QUERY_TYPES: Partial<Record<ResourceFamily, string>> = {
  contracts: 'contract',
  idvs: 'idv',
  opportunities: 'opportunity',
  entities: 'entity',
  grants: 'grant',
  forecasts: 'forecast',
};

/** The API version the recordings carry (their `x-tango-api-version`). */
const RECORDED_CONTRACT_VERSION = '4.22.0';

/** The worker's whole-shape paths of a family that a vendored older contract does not have. */
function itemsNotIn(family: string, version: string): string[] {
  const descriptor = FAMILIES[family as ResourceFamily];
  const older = vendoredContract(version).resource(descriptor.collection);
  return older
    .validateShape(descriptor.shape)
    .map((issue) => issue.path)
    .sort();
}

const healthSchema = z.object({
  families: z.record(
    z.string(),
    z.object({
      shape: z.object({
        notMirrored: z.array(z.object({ path: z.string(), reason: z.string() })),
      }),
    }),
  ),
});

async function healthReport(baseUrl: string): Promise<z.infer<typeof healthSchema>> {
  const response = await fetch(`${baseUrl}/health`);
  return healthSchema.parse(await response.json());
}

/**
 * Every analyst-view column whose recorded value is a scalar (not inside a list) against that value: the view of
 * every family shows every recorded scalar, typed.
 */
async function analystViewMismatches(
  db: Client,
  records: ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>,
): Promise<string[]> {
  const mismatches: string[] = [];
  for (const view of analystArtifacts(tangoContract()).views) {
    const recordedRecords = records.get(view.family);
    if (recordedRecords === undefined) {
      continue;
    }
    const { rows } = await db.query<{ id: string; row: Record<string, unknown> }>(
      `SELECT ${view.idColumn}::text AS id, to_jsonb(v) AS row FROM ${view.view} v
        WHERE lower(${view.idColumn}::text) = ANY($1::text[])`,
      [[...recordedRecords.keys()].map((id) => id.toLowerCase())],
    );
    const byId = new Map(rows.map(({ id, row }) => [id.toLowerCase(), row]));
    for (const [id, record] of recordedRecords) {
      const row = byId.get(id.toLowerCase());
      for (const column of view.columns) {
        const recordedValue = column.path === null ? undefined : scalarAt(record, column.path, column.part);
        if (recordedValue !== undefined && !sameValue(row?.[column.name], recordedValue)) {
          mismatches.push(
            `${view.view} ${id}: ${column.name} is ${JSON.stringify(row?.[column.name])}, recorded ${JSON.stringify(recordedValue)}`,
          );
        }
      }
    }
  }
  return mismatches;
}

/** The recorded scalar a view column shows (a code object's code or description), or undefined when none. */
function scalarAt(
  record: Record<string, unknown>,
  path: string,
  part: 'value' | 'code' | 'description',
): unknown {
  const value = at(record, path);
  if (part !== 'value' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return (value as Record<string, unknown>)[part] ?? undefined;
  }
  if (part === 'description' || value === null || typeof value === 'object') {
    return undefined;
  }
  return value;
}

function at(record: Readonly<Record<string, unknown>>, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) {
    value =
      value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value;
}

/** The recorded value as Postgres returns the column through to_jsonb. */
function sameValue(column: unknown, recorded: unknown): boolean {
  if (recorded === null || recorded === undefined) {
    return column === null;
  }
  if (typeof recorded === 'number') {
    return Number(column) === recorded;
  }
  if (typeof recorded === 'string' && typeof column === 'number') {
    return Number(recorded) === column;
  }
  if (typeof recorded === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(recorded)) {
    return typeof column === 'string' && Date.parse(column) === Date.parse(recorded);
  }
  return column === recorded;
}

describe("the worker against Tango's own recorded answers", () => {
  const recorded = loadRecordedRecords();
  let tango: CassetteTango;
  let app: RunningTestApp;
  let db: Client;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    // A database of its own: the shape items API 4.22.0 refuses are dropped here, never in the shared test database
    // other suites mirror whole records into.
    const database = await ScratchDatabase.migrated('cassettes');
    closeDatabase = database.close;
    tango = await startCassetteTango(API_KEY);
    app = await startTestApp(
      testConfig({
        DATABASE_URL: database.scratch.url,
        WEBHOOK_SECRETS: SECRET,
        TANGO_BASE_URL: tango.baseUrl,
        TANGO_API_KEY: API_KEY,
        TANGO_BACKOFF_BASE_MS: '20',
        TANGO_BACKOFF_MAX_MS: '200',
        FETCHER_RETRY_BASE_MS: '200',
        FETCHER_RETRY_MAX_MS: '1000',
        FETCHER_GROUP_ID: `fetcher-cassettes-${Date.now()}`,
        RELAY_POLL_INTERVAL_MS: '200',
      }),
    );
    db = new Client({ connectionString: database.scratch.url });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await app.close();
    await tango.close();
    await closeDatabase();
  });

  it('holds recorded records of every family the mirror covers', () => {
    expect([...recorded.records.keys()].sort()).toEqual(
      ['contracts', 'entities', 'forecasts', 'grants', 'idvs', 'notices', 'opportunities'].sort(),
    );
    expect([...recorded.records.values()].every((records) => records.size >= 3)).toBe(true);
  });

  it('mirrors every recorded record, with typed columns equal to the recorded values', async () => {
    const events = Object.entries(QUERY_TYPES).map(([family, queryType]) => {
      const ids = [...(recorded.records.get(family)?.keys() ?? [])];
      const numeric = FAMILIES[family as ResourceFamily].idKind === 'integer';
      return {
        event_type: `alerts.${queryType}.match`,
        alert_id: `cassette-${queryType}`,
        query_type: queryType,
        checked_at: new Date().toISOString(),
        matches: {
          new_count: ids.length,
          modified_count: 0,
          new_ids: numeric ? ids.map(Number) : ids,
          modified_ids: [],
        },
      };
    });
    const alerts = await postDelivery(
      `${app.baseUrl}/tango/webhooks`,
      JSON.stringify({ timestamp: new Date().toISOString(), delivery_id: 'cassette-alerts', events }),
      { secret: SECRET },
    );
    expect(alerts.status).toBe(202);
    const notices = [...(recorded.records.get('notices')?.keys() ?? [])].map((noticeId) => ({
      event_type: 'opportunities.new_notice',
      notice_id: noticeId,
    }));
    const legacy = await postDelivery(
      `${app.baseUrl}/tango/webhooks`,
      JSON.stringify({ delivery_id: 'cassette-notices', events: notices }),
      { secret: SECRET },
    );
    expect(legacy.status).toBe(202);

    const mismatches: string[] = [];
    for (const [family, records] of recorded.records) {
      const descriptor = FAMILIES[family as ResourceFamily];
      const deadline = Date.now() + 60_000;
      let rows: { id: string; row: Record<string, unknown> }[] = [];
      while (Date.now() < deadline) {
        rows = (
          await db.query<{ id: string; row: Record<string, unknown> }>(
            `SELECT ${descriptor.idField}::text AS id, to_jsonb(t) AS row FROM ${descriptor.table} t
              WHERE lower(${descriptor.idField}::text) = ANY($1::text[])`,
            [[...records.keys()].map((id) => id.toLowerCase())],
          )
        ).rows;
        if (rows.length === records.size) {
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const byId = new Map(rows.map(({ id, row }) => [id.toLowerCase(), row]));
      for (const [id, record] of records) {
        const row = byId.get(id.toLowerCase());
        if (row === undefined) {
          mismatches.push(`${family} ${id}: not mirrored`);
          continue;
        }
        expect({ family, id, record: row.record }).toEqual({ family, id, record });
        for (const [column, path] of EXPECTED_COLUMNS[family] ?? []) {
          if (!sameValue(row[column], at(record, path))) {
            mismatches.push(
              `${family} ${id}: ${column} is ${JSON.stringify(row[column])}, recorded ${JSON.stringify(at(record, path))}`,
            );
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(await analystViewMismatches(db, recorded.records)).toEqual([]);
    // The recordings are of API 4.22.0 and the worker asks for 4.25.1's whole records: Tango refused exactly the
    // items 4.22.0 does not have (and only for the families where 4.25.1 added some), the worker dropped them and
    // /health names them as refused. It ignored no parameter the worker sent.
    const refusedFamilies = new Set(tango.refusedShapes.map((refusal) => refusal.split(':')[0] ?? ''));
    const newerItems = new Map(
      [...refusedFamilies].map((family) => [family, itemsNotIn(family, RECORDED_CONTRACT_VERSION)] as const),
    );
    expect([...newerItems.values()].every((items) => items.length > 0)).toBe(true);
    const health = await healthReport(app.baseUrl);
    for (const [family, items] of newerItems) {
      const refused = (health.families[family]?.shape.notMirrored ?? [])
        .filter((entry) => entry.reason === 'refused')
        .map((entry) => entry.path)
        .sort();
      expect({ family, refused }).toEqual({ family, refused: [...items].sort() });
    }
    expect(Object.fromEntries(tango.ignoredParams)).toEqual({});
    expect(
      [...tango.answered.keys()].filter(
        (key) =>
          !key.endsWith(' 200') &&
          !key.endsWith(' 404') &&
          ![...refusedFamilies].some(
            (family) => key.startsWith(`GET /api/${family}/`) && key.endsWith(' 400'),
          ),
      ),
    ).toEqual([]);
  }, 120_000);
});
