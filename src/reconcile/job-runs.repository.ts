import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The scheduled jobs whose runs are remembered in Postgres (`job_runs`). */
export type JobName = 'alert-poll' | 'reconcile' | 'shape-probe';

export interface JobRun {
  readonly job: JobName;
  readonly runs: number;
  readonly lastStartedAt: Date | null;
  readonly lastFinishedAt: Date | null;
  readonly lastSucceededAt: Date | null;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
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

  async started(job: JobName): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO job_runs (job, runs, last_started_at) VALUES ($1, 1, clock_timestamp())
       ON CONFLICT (job) DO UPDATE SET runs = job_runs.runs + 1, last_started_at = clock_timestamp()`,
      [job],
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
      }[]
    >(
      `SELECT job, runs::text AS runs, last_started_at, last_finished_at, last_succeeded_at, last_error, last_error_at
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
    }));
  }
}
