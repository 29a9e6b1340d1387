import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type JobName, JobRunRepository } from './job-runs.repository';

/** The first key of every job's advisory lock ("tS"); the second is the hash of the job name. */
export const JOB_LOCK_CLASS = 0x7453;

/** A timer firing within this share of the interval after another replica's run is the same tick. */
export const SAME_TICK_SHARE = 0.8;

export type JobTickOutcome =
  | { readonly ran: true }
  | { readonly ran: false; readonly reason: 'busy' | 'draining' | 'locked' | 'not-due' }
  /** The lock or the job's record could not be read (Postgres unreachable): nothing ran; the next tick tries again. */
  | { readonly ran: false; readonly reason: 'unavailable'; readonly error: string };

export interface JobTickOptions {
  /** The job's interval: a tick started by any replica's timer less than 80% of it ago makes this tick a no-op. */
  readonly intervalMs: number;
  /**
   * A run asked for right away (a reconcile after a poll found a gap, the CLI): runs even if a tick ran recently,
   * still never beside another run of the job, and does not push the next timer tick back.
   */
  readonly force?: boolean;
}

/**
 * Runs one tick of a scheduled job so that, with any number of replicas, each tick runs once and never two runs
 * of a job overlap: the tick takes a Postgres advisory lock for the job (session-level, on a connection of its
 * own that holds no transaction, so no transaction stays open across the job's network calls), skips if another
 * replica holds it or started the job within the same tick, and records the run and its outcome in `job_runs`
 * (so /health answers the same on every replica). A crashed holder's lock ends with its connection.
 */
@Injectable()
export class JobRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger(JobRunner.name);
  private readonly running = new Set<JobName>();
  private draining = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobRuns: JobRunRepository,
  ) {}

  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  async tick(
    job: JobName,
    options: JobTickOptions,
    work: () => Promise<Record<string, unknown>>,
  ): Promise<JobTickOutcome> {
    if (this.draining) {
      return { ran: false, reason: 'draining' };
    }
    if (this.running.has(job)) {
      return { ran: false, reason: 'busy' };
    }
    this.running.add(job);
    try {
      return await this.underLock(job, options, work);
    } catch (error) {
      // Never rejects: a timer tick has nobody to hand an error to (and an unhandled rejection ends the process).
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        { err: error, job },
        `${job} could not start (database unavailable?); retried at the next tick`,
      );
      return { ran: false, reason: 'unavailable', error: message };
    } finally {
      this.running.delete(job);
    }
  }

  private async underLock(
    job: JobName,
    options: JobTickOptions,
    work: () => Promise<Record<string, unknown>>,
  ): Promise<JobTickOutcome> {
    const lockConnection = this.dataSource.createQueryRunner();
    try {
      const [lock] = (await lockConnection.query('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [
        JOB_LOCK_CLASS,
        job,
      ])) as { locked: boolean }[];
      if (lock?.locked !== true) {
        return { ran: false, reason: 'locked' };
      }
      try {
        if (
          options.force !== true &&
          (await this.jobRuns.tickedWithin(job, options.intervalMs * SAME_TICK_SHARE))
        ) {
          return { ran: false, reason: 'not-due' };
        }
        await this.runRecorded(job, options.force !== true, work);
        return { ran: true };
      } finally {
        await lockConnection
          .query('SELECT pg_advisory_unlock($1, hashtext($2))', [JOB_LOCK_CLASS, job])
          .catch((error: unknown) => {
            // The connection is gone (Postgres restarted): the lock went with it.
            this.logger.warn(
              { err: error, job },
              'releasing the job lock failed; it ended with its connection',
            );
          });
      }
    } finally {
      await lockConnection.release();
    }
  }

  /** The run itself: started, then succeeded with its outcome or failed with its error, all in `job_runs`. */
  private async runRecorded(
    job: JobName,
    byTimer: boolean,
    work: () => Promise<Record<string, unknown>>,
  ): Promise<void> {
    try {
      await this.jobRuns.started(job, byTimer);
      const outcome = await work();
      await this.jobRuns.succeeded(job, outcome);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn({ err: error, job }, `${job} failed; retried at the next tick`);
      await this.jobRuns.failed(job, message).catch(() => undefined);
    }
  }
}
