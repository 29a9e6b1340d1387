import { Client } from 'pg';
import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { FAMILIES } from '../../src/common/tango/families';
import { startSimulator, type RunningSimulator, type SimulatorOptionsInput } from '../../simulator';
import { requireEnv, testConfig } from './test-config';
import { startTestApp, type RunningTestApp } from './test-app';

export const PIPELINE_SECRET = 'pipeline-secret';

/** A small dataset for tests that change a few contracts (health, outages). */
export const SMALL_SIZES = {
  contracts: 30,
  idvs: 5,
  otas: 5,
  otidvs: 5,
  opportunities: 5,
  notices: 5,
  entities: 5,
  grants: 5,
  forecasts: 5,
} as const;

export interface Pipeline {
  readonly sim: RunningSimulator;
  readonly app: RunningTestApp;
  readonly db: Client;
  close(): Promise<void>;
}

/**
 * The simulator, the whole worker pointed at it (webhook endpoint registered), and a Postgres client. Both use
 * `databaseUrl` (a scratch database) when given, else the shared test database; `env.DATABASE_URL` changes the
 * worker's connection only (a proxy the test cuts), never the client's.
 */
export async function startPipeline(
  simOptions: SimulatorOptionsInput,
  env: Record<string, string> = {},
  register: { format?: 'alerts' | 'legacy'; countsOnly?: boolean } = {},
  databaseUrl: string = requireEnv('TEST_DATABASE_URL'),
): Promise<Pipeline> {
  const sim = await startSimulator({
    port: 0,
    ...simOptions,
    webhooks: { schedule: false, ...simOptions.webhooks },
  });
  const app = await startTestApp(
    testConfig({
      WEBHOOK_SECRETS: PIPELINE_SECRET,
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: 'sim-key',
      TANGO_BACKOFF_BASE_MS: '20',
      TANGO_BACKOFF_MAX_MS: '200',
      TANGO_TIMEOUT_MS: '2000',
      FETCHER_RETRY_BASE_MS: '200',
      FETCHER_RETRY_MAX_MS: '1000',
      FETCHER_GROUP_ID: `fetcher-${Date.now()}-${Math.random().toString(16).slice(2)}`,
      RELAY_POLL_INTERVAL_MS: '200',
      DATABASE_URL: databaseUrl,
      ...env,
    }),
  );
  sim.control.registerWebhook({
    url: `${app.baseUrl}/tango/webhooks`,
    secret: PIPELINE_SECRET,
    format: register.format ?? 'alerts',
    ...(register.countsOnly === undefined ? {} : { countsOnly: register.countsOnly }),
  });
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  return {
    sim,
    app,
    db,
    async close() {
      await db.end();
      await app.close();
      await sim.close();
    },
  };
}

/** Content hashes the mirror holds for these ids (deleted rows as `deleted`). */
export async function mirrorHashes(
  db: Client,
  family: ResourceFamily,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const spec = FAMILIES[family];
  const rows = await db.query<{ id: string; content_hash: string; deleted: boolean }>(
    `SELECT ${spec.idField}::text AS id, content_hash, deleted_at IS NOT NULL AS deleted
       FROM ${spec.table} WHERE ${spec.idField}::text = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.rows.map((row) => [row.id, row.deleted ? 'deleted' : row.content_hash]));
}

/** Every live record of a family the mirror holds, with its content hash (what ground truth is compared to). */
export async function liveMirrorHashes(db: Client, family: ResourceFamily): Promise<Map<string, string>> {
  const spec = FAMILIES[family];
  const rows = await db.query<{ id: string; content_hash: string }>(
    `SELECT ${spec.idField}::text AS id, content_hash FROM ${spec.table} WHERE deleted_at IS NULL`,
  );
  return new Map(rows.rows.map((row) => [row.id, row.content_hash]));
}

/** Waits until the mirror holds exactly the expected hash (or `deleted`) for every id; returns the last view. */
export async function waitForMirror(
  db: Client,
  family: ResourceFamily,
  expected: ReadonlyMap<string, string>,
  timeoutMs = 60_000,
): Promise<Map<string, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = await mirrorHashes(db, family, [...expected.keys()]);
    const done = [...expected].every(([id, hash]) => actual.get(id) === hash);
    if (done || Date.now() > deadline) {
      return actual;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
