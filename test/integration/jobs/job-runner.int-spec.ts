import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { GlobalGaugeLease } from '../../../src/jobs/global-gauge-lease';
import { JOB_LOCK_CLASS, JobRunner, type JobTickOutcome } from '../../../src/jobs/job-runner';
import { JobRunRepository } from '../../../src/jobs/job-runs.repository';
import { ScratchDatabase } from '../../support/scratch-database';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two "replicas": each its own pool on one scratch database, as two worker processes would have. */
describe('scheduled jobs on several replicas', () => {
  let db: { scratch: ScratchDatabase; dataSource: DataSource; close: () => Promise<void> };
  const pools: DataSource[] = [];

  async function replica(): Promise<{
    dataSource: DataSource;
    runner: JobRunner;
    jobRuns: JobRunRepository;
  }> {
    const dataSource = new DataSource(
      buildDataSourceOptions({
        url: db.scratch.url,
        poolSize: 3,
        statementTimeoutMs: 30_000,
        migrationsRun: false,
      }),
    );
    await dataSource.initialize();
    pools.push(dataSource);
    const jobRuns = new JobRunRepository(dataSource);
    return { dataSource, runner: new JobRunner(dataSource, jobRuns), jobRuns };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await ScratchDatabase.migrated('jobs');
  }, 60_000);

  afterAll(async () => {
    for (const pool of pools) {
      if (pool.isInitialized) {
        await pool.destroy();
      }
    }
    await db.close();
  });

  it('runs each tick once across replicas, and never two runs of a job at once', async () => {
    const [a, b] = [await replica(), await replica()];
    let runs = 0;
    const work = async (): Promise<Record<string, unknown>> => {
      runs += 1;
      await sleep(300);
      return { runs };
    };
    const outcomes = await Promise.all([
      a.runner.tick('reconcile', { intervalMs: 60_000 }, work),
      b.runner.tick('reconcile', { intervalMs: 60_000 }, work),
    ]);
    expect(runs).toBe(1);
    expect(outcomes.map((o) => (o.ran ? 'ran' : o.reason)).sort()).toEqual(['locked', 'ran']);

    // The other replica's timer fires a moment later: same tick, nothing runs.
    expect(await b.runner.tick('reconcile', { intervalMs: 60_000 }, work)).toEqual({
      ran: false,
      reason: 'not-due',
    });
    expect(runs).toBe(1);
    // A run asked for explicitly does run.
    expect(await b.runner.tick('reconcile', { intervalMs: 60_000, force: true }, work)).toEqual({
      ran: true,
    });
    expect(runs).toBe(2);
    // The next interval runs again.
    await sleep(150);
    expect(await a.runner.tick('reconcile', { intervalMs: 100 }, work)).toEqual({ ran: true });
    expect(runs).toBe(3);

    // Both replicas see the same last run.
    const [fromA] = (await a.jobRuns.all()).filter((run) => run.job === 'reconcile');
    const [fromB] = (await b.jobRuns.all()).filter((run) => run.job === 'reconcile');
    expect(fromA).toEqual(fromB);
    expect(fromA).toMatchObject({ runs: 3, lastError: null, lastOutcome: { runs: 3 } });
  });

  it('never lets a run asked for explicitly push the next timer tick back', async () => {
    const [a, b] = [await replica(), await replica()];
    const work = (): Promise<Record<string, unknown>> => Promise.resolve({});
    expect(await a.runner.tick('alert-poll', { intervalMs: 60_000, force: true }, work)).toEqual({
      ran: true,
    });
    expect(await b.runner.tick('alert-poll', { intervalMs: 60_000 }, work)).toEqual({ ran: true });
    expect(await a.runner.tick('alert-poll', { intervalMs: 60_000 }, work)).toEqual({
      ran: false,
      reason: 'not-due',
    });
  });

  it('records a failed run for every replica to see, and the next tick runs again', async () => {
    const [a, b] = [await replica(), await replica()];
    const outcome = await a.runner.tick('retention', { intervalMs: 1 }, () =>
      Promise.reject(new Error('disk on fire')),
    );
    expect(outcome).toEqual({ ran: true });
    const [run] = (await b.jobRuns.all()).filter((r) => r.job === 'retention');
    expect(run).toMatchObject({ lastError: 'disk on fire' });
    expect(run?.lastErrorAt).toBeInstanceOf(Date);
    await sleep(5);
    expect(await b.runner.tick('retention', { intervalMs: 1 }, () => Promise.resolve({ ok: true }))).toEqual({
      ran: true,
    });
  });

  it('lets another replica run the job once the holder dies mid-run', async () => {
    const [a, b] = [await replica(), await replica()];
    let release: () => void = () => undefined;
    const hanging = a.runner.tick(
      'shape-probe',
      { intervalMs: 1 },
      () =>
        new Promise<Record<string, unknown>>((resolve) => {
          release = () => {
            resolve({});
          };
        }),
    );
    await sleep(200);
    expect(
      await b.runner.tick('shape-probe', { intervalMs: 1, force: true }, () => Promise.resolve({})),
    ).toEqual({
      ran: false,
      reason: 'locked',
    });
    // The holder's process dies: its connection closes (here: its backend is terminated), and the lock with it.
    await b.dataSource.query(
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND granted`,
      [JOB_LOCK_CLASS],
    );
    // The backend exits a moment after the signal; the lock goes with it.
    let outcome: JobTickOutcome = { ran: false, reason: 'locked' };
    for (let attempt = 0; attempt < 50 && !outcome.ran; attempt += 1) {
      await sleep(20);
      outcome = await b.runner.tick('shape-probe', { intervalMs: 1, force: true }, () => Promise.resolve({}));
    }
    expect(outcome).toEqual({ ran: true });
    release();
    await hanging.catch(() => undefined);
  });

  it('answers a tick it cannot start (database gone) without throwing, so a timer never crashes the process', async () => {
    const a = await replica();
    await a.dataSource.destroy();
    let ran = false;
    const outcome = await a.runner.tick('alert-poll', { intervalMs: 1 }, () => {
      ran = true;
      return Promise.resolve({});
    });
    expect(outcome).toMatchObject({ ran: false, reason: 'unavailable', error: expect.any(String) });
    expect(ran).toBe(false);
  });

  it('exports the global gauges from one replica at a time, and hands over when it goes', async () => {
    const [a, b] = [await replica(), await replica()];
    const leaseA = new GlobalGaugeLease(a.dataSource);
    const leaseB = new GlobalGaugeLease(b.dataSource);
    expect(await leaseA.holdOrTake()).toBe(true);
    expect(await leaseB.holdOrTake()).toBe(false);
    expect(await leaseA.holdOrTake()).toBe(true);
    await leaseA.release();
    expect(await leaseB.holdOrTake(100)).toBe(true);
    expect(await leaseA.holdOrTake()).toBe(false);
    // B stops being scraped (or dies): after its lease A takes over.
    await sleep(150);
    expect(await leaseA.holdOrTake()).toBe(true);
    expect(await leaseB.holdOrTake()).toBe(false);
  });
});
