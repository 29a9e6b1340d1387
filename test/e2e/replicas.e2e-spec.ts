import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { ScratchDatabase } from '../support/scratch-database';
import { startTestApp, type RunningTestApp } from '../support/test-app';
import { testConfig } from '../support/test-config';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface HealthReportBody {
  jobs: { job: string; runs: number; lastStartedAt: string | null }[];
  storage: {
    tables: { table: string; bytes: number }[];
    totalBytes: number;
    retention: { runs: number } | null;
  };
}

async function health(app: RunningTestApp): Promise<HealthReportBody> {
  const response = await fetch(`${app.baseUrl}/health`);
  return (await response.json()) as HealthReportBody;
}

async function metrics(app: RunningTestApp): Promise<string> {
  return (await fetch(`${app.baseUrl}/metrics`)).text();
}

const exportsGlobalGauges = (text: string): boolean => /^tango_sync_family_status\{/m.test(text);

/**
 * Two worker replicas on one (scratch) database, with retention ticking every second on both: each tick runs
 * once, both answer /health alike, and only one exports the global gauges.
 */
describe('two replicas', () => {
  let scratch: ScratchDatabase;
  const apps: RunningTestApp[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    scratch = await ScratchDatabase.create('replicas');
    for (let index = 0; index < 2; index += 1) {
      apps.push(
        await startTestApp(
          testConfig({
            DATABASE_URL: scratch.url,
            RELAY_ENABLED: 'false',
            FETCHER_ENABLED: 'false',
            RETENTION_INTERVAL_MS: '1000',
          }),
        ),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) {
      await app.close().catch(() => undefined);
    }
    await scratch.drop();
  });

  it('runs each retention tick once, and both replicas report the same runs', async () => {
    const started = Date.now();
    await sleep(5_500);
    const elapsed = Date.now() - started;
    const client = new Client({ connectionString: scratch.url });
    await client.connect();
    const { rows } = await client.query<{ runs: number }>(
      `SELECT runs::int AS runs FROM job_runs WHERE job = 'retention'`,
    );
    await client.end();
    const runs = rows[0]?.runs ?? 0;
    // Two timers each firing every second would run it about 2 x 5.5 times; once per tick is at most one run
    // per 80% of the interval.
    expect(runs).toBeGreaterThanOrEqual(3);
    expect(runs).toBeLessThanOrEqual(Math.floor(elapsed / 800) + 1);

    // Both answer from job_runs: read at the same moment (no run starting in between), they agree.
    let [a, b] = await Promise.all(apps.map(health));
    for (let attempt = 0; attempt < 20 && JSON.stringify(a?.jobs) !== JSON.stringify(b?.jobs); attempt += 1) {
      await sleep(50);
      [a, b] = await Promise.all(apps.map(health));
    }
    expect(a?.jobs).toEqual(b?.jobs);
    expect(a?.storage.retention).toMatchObject({
      job: 'retention',
      status: 'ok',
      lastOutcome: { pruned: expect.any(Object) },
    });
    expect(a?.storage.tables.map((t) => t.table)).toEqual(
      expect.arrayContaining(['record_history', 'change_events']),
    );
    expect(a?.storage.totalBytes).toBeGreaterThan(0);
  }, 30_000);

  it('exports the global gauges from exactly one replica, and the other takes over when it stops', async () => {
    const texts = await Promise.all(apps.map(metrics));
    const exporters = texts.filter(exportsGlobalGauges);
    expect(exporters).toHaveLength(1);
    expect(texts.filter((text) => /^tango_sync_global_gauges_exporter\S* 1$/m.test(text))).toHaveLength(1);
    // Counters are per replica and exported by both.
    for (const text of texts) {
      expect(text).toMatch(
        /^tango_sync_retention_pruned_rows_total|^# HELP tango_sync_retention_pruned_rows_total/m,
      );
    }
    const exporterIndex = texts.findIndex(exportsGlobalGauges);
    const exporter = apps[exporterIndex];
    const other = apps[1 - exporterIndex];
    if (exporter === undefined || other === undefined) {
      throw new Error('two replicas expected');
    }
    await exporter.close();
    await sleep(1_100);
    expect(exportsGlobalGauges(await metrics(other))).toBe(true);
  }, 30_000);
});
