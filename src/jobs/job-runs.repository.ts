import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** The scheduled jobs whose runs are remembered in Postgres (`job_runs`). */
export const JOB_NAMES = [
  'alert-poll',
  'reconcile',
  'shape-probe',
  'retention',
  'newest-poll',
  'modified-since-probe',
  'resource-refresh',
  'history-check',
] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobRun {
  readonly job: JobName;
  readonly runs: number;
  readonly lastStartedAt: Date | null;
  readonly lastFinishedAt: Date | null;
  readonly lastSucceededAt: Date | null;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
  /** What the last successful run did (counts per step), as the job reported it. */
  readonly lastOutcome: Readonly<Record<string, unknown>> | null;
}

/** Whether a job's latest run failed (its newest error is newer than its newest success). */
export function jobFailing(run: JobRun): boolean {
  return run.lastErrorAt !== null && (run.lastSucceededAt === null || run.lastErrorAt > run.lastSucceededAt);
}

/**
 * The last run of each scheduled job and its outcome, in Postgres, so /health answers the same on every replica
 * and a job that keeps failing is visible, not only logged.
 */
@Injectable()
export class JobRunRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Whether any replica's timer started the job less than `withinMs` ago: a replica whose timer fires just after
   * another replica's run skips that tick, so with N replicas each tick runs once. Runs asked for explicitly (a
   * reconcile right after a poll found a gap, the CLI) do not count: they never push a scheduled run back.
   */
  async tickedWithin(job: JobName, withinMs: number, manager?: EntityManager): Promise<boolean> {
    const rows = await (manager ?? this.dataSource.manager).query<{ recent: boolean }[]>(
      `SELECT last_tick_at > clock_timestamp() - make_interval(secs => $2::float8 / 1000) AS recent
         FROM job_runs WHERE job = $1`,
      [job, withinMs],
    );
    return rows[0]?.recent === true;
  }

  /** A run starts; `byTimer` when a timer tick started it (see `tickedWithin`). */
  async started(job: JobName, byTimer = true): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO job_runs (job, runs, last_started_at, last_tick_at)
       VALUES ($1, 1, clock_timestamp(), CASE WHEN $2 THEN clock_timestamp() END)
       ON CONFLICT (job) DO UPDATE SET runs = job_runs.runs + 1, last_started_at = clock_timestamp(),
              last_tick_at = CASE WHEN $2 THEN clock_timestamp() ELSE job_runs.last_tick_at END`,
      [job, byTimer],
    );
  }

  async succeeded(job: JobName, outcome: Readonly<Record<string, unknown>>): Promise<void> {
    await this.dataSource.query(
      `UPDATE job_runs SET last_finished_at = clock_timestamp(), last_succeeded_at = clock_timestamp(),
              last_outcome = $2::jsonb
        WHERE job = $1`,
      [job, JSON.stringify(outcome)],
    );
  }

  async failed(job: JobName, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE job_runs SET last_finished_at = clock_timestamp(), last_error = $2, last_error_at = clock_timestamp()
        WHERE job = $1`,
      [job, error.slice(0, 2000)],
    );
  }

  async all(): Promise<JobRun[]> {
    const rows = await this.dataSource.query<
      {
        job: JobName;
        runs: string;
        last_started_at: Date | null;
        last_finished_at: Date | null;
        last_succeeded_at: Date | null;
        last_error: string | null;
        last_error_at: Date | null;
        last_outcome: Record<string, unknown> | null;
      }[]
    >(
      `SELECT job, runs::text AS runs, last_started_at, last_finished_at, last_succeeded_at, last_error, last_error_at,
              last_outcome
         FROM job_runs ORDER BY job`,
    );
    return rows.map((row) => ({
      job: row.job,
      runs: Number(row.runs),
      lastStartedAt: row.last_started_at,
      lastFinishedAt: row.last_finished_at,
      lastSucceededAt: row.last_succeeded_at,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
      lastOutcome: row.last_outcome,
    }));
  }
}
