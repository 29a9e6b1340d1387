import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Logger, Module, type DynamicModule, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
import { buildWorkerWithSwc, type WorkerBuild } from '../../bench/chaos/worker-build';
import { BackfillEngine } from '../../src/backfill/backfill-engine';
import { BackfillModule } from '../../src/backfill/backfill.module';
import { type BackfillJobView } from '../../src/backfill/backfill.repository';
import { BackfillService } from '../../src/backfill/backfill.service';
import { type AppConfig } from '../../src/config/app-config';
import { APP_CONFIG, ConfigModule } from '../../src/config/config.module';
import { DatabaseModule } from '../../src/database/database.module';
import { MetricsModule } from '../../src/metrics/metrics.module';
import { GapRepository } from '../../src/sync-state/gap.repository';
import { Reconciler } from '../../src/reconcile/reconciler.service';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { startPipeline, type Pipeline } from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';
import { requireEnv, testConfig } from '../support/test-config';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const NO_RECORDS = {
  contracts: 0,
  idvs: 0,
  otas: 0,
  otidvs: 0,
  opportunities: 0,
  notices: 0,
  entities: 0,
  grants: 0,
  forecasts: 0,
};

@Module({})
class BackfillTestModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: BackfillTestModule,
      imports: [ConfigModule.forRoot(config), MetricsModule, DatabaseModule, BackfillModule],
    };
  }
}

/** Reads a job in this process until it is no longer running. */
async function readToEnd(
  context: INestApplicationContext,
  jobId: string,
  timeoutMs = 120_000,
): Promise<BackfillJobView> {
  const engine = context.get(BackfillEngine);
  const service = context.get(BackfillService);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await engine.pump();
    const job = await service.job(jobId);
    if (job.state !== 'running' && engine.running === 0) {
      return job;
    }
    if (Date.now() > deadline) {
      throw new Error(`backfill ${jobId} still ${job.state} after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

async function mirrorOf(db: Client, table: string, idField: string): Promise<Map<string, string>> {
  const rows = await db.query<{ id: string; content_hash: string }>(
    `SELECT ${idField}::text AS id, content_hash FROM ${table} WHERE deleted_at IS NULL`,
  );
  return new Map(rows.rows.map((row) => [row.id, row.content_hash]));
}

describe('managed backfill: segmented, parallel, resumable (simulator)', () => {
  let sim: RunningSimulator;
  let scratch: ScratchDatabase;
  let db: Client;
  let config: AppConfig;

  async function withContext<T>(
    work: (context: INestApplicationContext) => Promise<T>,
    env: Record<string, string> = {},
  ): Promise<T> {
    const context = await NestFactory.createApplicationContext(
      BackfillTestModule.forConfig({ ...config, ...testConfig({ ...baseEnv(), ...env }) }),
      { logger: false },
    );
    try {
      return await work(context);
    } finally {
      await context.close();
    }
  }

  function baseEnv(): Record<string, string> {
    return {
      DATABASE_URL: scratch.url,
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: 'sim-key',
      TANGO_BACKOFF_BASE_MS: '20',
      TANGO_BACKOFF_MAX_MS: '200',
      FETCHER_ENABLED: 'false',
      RELAY_ENABLED: 'false',
      BACKFILL_CONCURRENCY: '4',
    };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    scratch = await ScratchDatabase.create('backfill');
    sim = await startSimulator({
      port: 0,
      seed: 5,
      sizes: { ...NO_RECORDS, contracts: 3_000, entities: 1_250 },
      webhooks: { schedule: false },
      faults: { latencyMs: 20 },
    });
    config = testConfig(baseEnv());
    db = new Client({ connectionString: scratch.url });
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    await db.end();
    await sim.close();
    await scratch.drop();
  });

  it('reads several families at once in segments (dates split by count, entities by page ranges) to an exact mirror', async () => {
    sim.control.resetCounters();
    const job = await withContext(async (context) => {
      const started = await context
        .get(BackfillService)
        .start({ families: ['contracts', 'entities'], requestedBy: 'test' });
      return readToEnd(context, started.id);
    });
    expect(job.state).toBe('done');
    const contracts = job.progress.find((family) => family.family === 'contracts');
    const entities = job.progress.find((family) => family.family === 'entities');
    // 3,000 contracts in a few years: the busy years were split at least once; entities read as page ranges.
    expect(contracts?.segments.split).toBeGreaterThan(0);
    expect(contracts?.segments.failed).toBe(0);
    expect(entities?.segments.done).toBeGreaterThan(2);
    expect(await mirrorOf(db, 'contracts', 'key')).toEqual(sim.control.groundTruth('contracts'));
    expect(await mirrorOf(db, 'entities', 'uei')).toEqual(sim.control.groundTruth('entities'));
    const created = await db.query<{ resource: string; n: number }>(
      `SELECT resource, count(*)::int AS n FROM change_events WHERE change_type = 'created' GROUP BY resource ORDER BY resource`,
    );
    // One created event per record, however many times overlapping segments read it.
    expect(created.rows).toEqual([
      { resource: 'contracts', n: 3_000 },
      { resource: 'entities', n: 1_250 },
    ]);
    const requests = Object.entries(sim.control.counters().requestsByRoute)
      .filter(([route]) => route.startsWith('GET /api/contracts') || route.startsWith('GET /api/entities'))
      .reduce((sum, [, count]) => sum + count, 0);
    const pages = job.progress.reduce((sum, family) => sum + family.pages, 0);
    expect(requests).toBe(pages);
    // A second job over the same families changes nothing.
    const again = await withContext(async (context) => {
      const started = await context
        .get(BackfillService)
        .start({ families: ['entities'], requestedBy: 'test' });
      return readToEnd(context, started.id);
    });
    expect(again.progress[0]?.changes).toBe(0);
  }, 180_000);

  it('windows by a start day, and can be paused, resumed and cancelled', async () => {
    await withContext(async (context) => {
      const service = context.get(BackfillService);
      const started = await service.start({
        families: ['contracts'],
        since: '2026-08-01',
        requestedBy: 'test',
      });
      await expect(service.act(started.id, 'resume')).rejects.toThrow('cannot resume a running backfill job');
      const paused = await service.act(started.id, 'pause');
      expect(paused.state).toBe('paused');
      const engine = context.get(BackfillEngine);
      expect(await engine.pump()).toBe(0);
      await service.act(started.id, 'resume');
      const done = await readToEnd(context, started.id);
      expect(done.state).toBe('done');
      const inWindow = [...sim.control.ids('contracts')]
        .map((id) => sim.control.getRecord('contracts', id))
        .filter((record) => typeof record?.award_date === 'string' && record.award_date >= '2026-08-01');
      expect(done.progress[0]?.records).toBeGreaterThanOrEqual(inWindow.length);
      const cancelled = await service.start({ families: ['contracts'], requestedBy: 'test' });
      expect((await service.act(cancelled.id, 'cancel')).state).toBe('cancelled');
      expect(await engine.pump()).toBe(0);
      await expect(
        service.start({ families: ['entities'], since: '2026-01-01', requestedBy: 'test' }),
      ).rejects.toThrow('entities has no date filter');
    });
  }, 120_000);
});

describe('managed backfill across processes', () => {
  let build: WorkerBuild;
  let sim: RunningSimulator;
  let scratch: ScratchDatabase;
  let db: Client;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    build = await buildWorkerWithSwc('backfill-e2e');
    scratch = await ScratchDatabase.create('backfill_kill');
    // Slow pages, so the first process is killed with pages in flight.
    sim = await startSimulator({
      port: 0,
      seed: 9,
      sizes: { ...NO_RECORDS, contracts: 4_000 },
      webhooks: { schedule: false },
      faults: { latencyMs: 150 },
    });
    db = new Client({ connectionString: scratch.url });
    await db.connect();
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await db.end();
    await sim.close();
    await scratch.drop();
    build.remove();
  });

  it('continues a job on another process after the first is killed, re-reading at most the pages in flight', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'fatal',
      DATABASE_URL: scratch.url,
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: 'sim-key',
      BACKFILL_CONCURRENCY: '4',
      BACKFILL_LEASE_MS: '3000',
    };
    // Migrations first (the CLI's own command), then a backfill the test kills mid-way.
    const migrate = spawn(process.execPath, [join(build.dir, 'src/cli/main.js'), 'migrate', 'up'], {
      env,
      stdio: 'ignore',
    });
    await new Promise((resolve) => migrate.once('exit', resolve));
    child = spawn(process.execPath, [join(build.dir, 'src/cli/main.js'), 'backfill', 'start', 'contracts'], {
      env,
      stdio: 'ignore',
    });
    let committed = 0;
    for (let waited = 0; committed < 800 && waited < 60_000; waited += 100) {
      await sleep(100);
      const rows = await db
        .query<{ n: number }>('SELECT COALESCE(sum(pages), 0)::int AS n FROM backfill_segments')
        .catch(() => ({ rows: [{ n: 0 }] }));
      committed = (rows.rows[0]?.n ?? 0) * 100;
    }
    expect(committed).toBeGreaterThanOrEqual(800);
    child.kill('SIGKILL');
    await new Promise((resolve) => child?.once('exit', resolve));
    const [job] = (
      await db.query<{ id: string; state: string }>('SELECT id::text AS id, state FROM backfill_jobs')
    ).rows;
    expect(job?.state).toBe('running');

    // Another process (here: this one) takes the segments over once their leases run out, and finishes the job.
    const config = testConfig({
      ...(env as Record<string, string>),
      KAFKA_BROKERS: requireEnv('TEST_KAFKA_BROKERS'),
    });
    const context = await NestFactory.createApplicationContext(BackfillTestModule.forConfig(config), {
      logger: false,
    });
    try {
      const done = await readToEnd(context, job?.id ?? '', 180_000);
      expect(done.state).toBe('done');
      const pages = done.progress.reduce((sum, family) => sum + family.pages, 0);
      const requests = sim.control.counters().requestsByRoute['GET /api/contracts/'] ?? 0;
      // Pages fetched twice: those the killed process had in flight (at most one per segment it was reading).
      expect(requests - pages).toBeGreaterThanOrEqual(0);
      expect(requests - pages).toBeLessThanOrEqual(4);
    } finally {
      await context.close();
    }
    expect(await mirrorOf(db, 'contracts', 'key')).toEqual(sim.control.groundTruth('contracts'));
  }, 240_000);
});

describe('managed backfill and the live stream', () => {
  let pipeline: Pipeline;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    // Its own database: the mirror is compared whole with Tango's truth.
    const database = await ScratchDatabase.migrated('backfill_live');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      { seed: 13, sizes: { ...NO_RECORDS, contracts: 2_500 }, faults: { latencyMs: 40 } },
      {
        BACKFILL_CONCURRENCY: '3',
        BACKFILL_POLL_INTERVAL_MS: '200',
        CONSOLE_TOKEN: 'operator-token-for-tests',
      },
      {},
      database.scratch.url,
    );
  }, 60_000);

  afterAll(async () => {
    await pipeline.close();
    await closeDatabase();
  });

  it('never lets an older page overwrite a change mirrored from a webhook, and emits one event per real change', async () => {
    const { sim, app, db } = pipeline;
    const refused = await fetch(`${app.baseUrl}/backfills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ families: ['contracts'] }),
    });
    expect(refused.status).toBe(401);
    const answer = await fetch(`${app.baseUrl}/backfills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer operator-token-for-tests' },
      body: JSON.stringify({ families: ['contracts'] }),
    });
    expect(answer.status).toBe(201);
    const { id } = (await answer.json()) as { id: string };

    // While the workers read the backfill, records change in Tango and Tango tells the worker by webhook.
    const ids = [...sim.control.ids('contracts')];
    const changed = new Set<string>();
    for (let round = 0; round < 8; round += 1) {
      for (let index = round; index < ids.length; index += 97) {
        const key = ids[index];
        if (key !== undefined) {
          sim.control.modifyRecord('contracts', key);
          changed.add(key);
        }
      }
      await sim.control.flush();
      await sleep(250);
    }
    let state = 'running';
    for (let waited = 0; state === 'running' && waited < 120_000; waited += 500) {
      await sleep(500);
      state = ((await (await fetch(`${app.baseUrl}/backfills/${id}`)).json()) as { state: string }).state;
    }
    expect(state).toBe('done');
    const truth = sim.control.groundTruth('contracts');
    let mirror = new Map<string, string>();
    for (let waited = 0; waited < 60_000; waited += 500) {
      mirror = await mirrorOf(db, 'contracts', 'key');
      if ([...truth].every(([key, hash]) => mirror.get(key) === hash)) {
        break;
      }
      await sleep(500);
    }
    expect(mirror).toEqual(truth);
    // Per changed record: versions only go forward, and no event repeats the content of the one before it.
    const events = await db.query<{ record_id: string; version: number; content_hash: string }>(
      `SELECT record_id, version, hash AS content_hash FROM change_events WHERE resource = 'contracts' AND record_id = ANY($1)
        ORDER BY record_id, version`,
      [[...changed]],
    );
    const byRecord = new Map<string, { version: number; content_hash: string }[]>();
    for (const row of events.rows) {
      byRecord.set(row.record_id, [...(byRecord.get(row.record_id) ?? []), row]);
    }
    expect(byRecord.size).toBe(changed.size);
    for (const [key, versions] of byRecord) {
      for (let index = 1; index < versions.length; index += 1) {
        expect(versions[index]?.version).toBeGreaterThan(versions[index - 1]?.version ?? 0);
        expect(versions[index]?.content_hash).not.toBe(versions[index - 1]?.content_hash);
      }
      expect(versions.at(-1)?.content_hash).toBe(truth.get(key));
    }
  }, 240_000);

  it('hands a reconciliation sweep over a long window to a backfill job, and closes the gap when it is done', async () => {
    const { sim, app, db } = pipeline;
    // Records Tango has that no delivery announced (as after a long outage), and a 60-day gap over them.
    const created = [0, 1, 2, 3, 4].map(() => {
      const key = sim.control.createRecord('contracts').key;
      if (typeof key !== 'string') {
        throw new Error('a simulated contract has no key');
      }
      return key;
    });
    const now = new Date();
    const gapId = await app.app.get(GapRepository).openOrWiden({
      scope: 'resource',
      scopeKey: 'contracts',
      resource: 'contracts',
      alertId: null,
      cause: 'webhook_rejected',
      rangeStart: new Date(now.getTime() - 60 * 86_400_000),
      rangeEnd: now,
      detail: { test: true },
    });
    const reconciler = app.app.get(Reconciler);
    const first = await reconciler.reconcile({ drift: false });
    const handed = first.gaps.find((gap) => gap.gapId === gapId);
    expect(handed).toMatchObject({ closed: false });
    expect(handed?.why).toMatch(
      /^window read by backfill [0-9a-f-]{36} \(contracts from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}\)$/,
    );
    const jobId = /backfill ([0-9a-f-]{36})/.exec(handed?.why ?? '')?.[1] ?? '';
    let job = { state: 'running', gapId: null as string | null, until: null as string | null };
    for (let waited = 0; job.state === 'running' && waited < 60_000; waited += 250) {
      await sleep(250);
      job = (await (await fetch(`${app.baseUrl}/backfills/${jobId}`)).json()) as typeof job;
    }
    // The window ends at the gap's end plus the sweep overlap (after midnight, the next day).
    const overlapMs = app.app.get<AppConfig>(APP_CONFIG).health.overlapSeconds * 1000;
    const until = new Date(now.getTime() + overlapMs).toISOString().slice(0, 10);
    expect(job).toMatchObject({ state: 'done', gapId, until });
    const second = await reconciler.reconcile({ drift: false });
    expect(second.gaps.find((gap) => gap.gapId === gapId)).toMatchObject({ closed: true });
    const mirrored = await db.query<{ key: string }>('SELECT key FROM contracts WHERE key = ANY($1)', [
      created,
    ]);
    expect(mirrored.rows.map((row) => row.key).sort()).toEqual([...created].sort());
  }, 120_000);
});
