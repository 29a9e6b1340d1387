import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isResourceFamily, type ResourceFamily } from '../common/tango/resource-family';
import { type SegmentKind, type SegmentSpec } from './segment-plan';

export type BackfillJobState = 'running' | 'paused' | 'cancelled' | 'done' | 'failed';
export type SegmentState = 'pending' | 'running' | 'done' | 'split' | 'failed';

/** A segment a replica holds the lease of. */
export interface ClaimedSegment {
  readonly jobId: string;
  readonly family: ResourceFamily;
  readonly key: string;
  readonly kind: SegmentKind;
  readonly query: Readonly<Record<string, string>>;
  readonly nextQuery: Readonly<Record<string, string>> | null;
  readonly pageLimit: number | null;
  readonly dateFrom: string | null;
  readonly dateTo: string | null;
  readonly pages: number;
  readonly failures: number;
  readonly since: string | null;
}

export interface FamilyProgress {
  readonly family: ResourceFamily;
  readonly segments: Readonly<Record<SegmentState, number>>;
  readonly pages: number;
  readonly records: number;
  readonly changes: number;
  /** Records Tango counts in the family's segments (date segments overlap by a day: an upper bound). */
  readonly expected: number | null;
  readonly failures: number;
  readonly lastError: string | null;
}

export interface BackfillJobView {
  readonly id: string;
  readonly families: readonly ResourceFamily[];
  readonly since: string | null;
  /** Last day of a windowed job (a reconciliation sweep); null: open-ended. */
  readonly until: string | null;
  /** The gap a reconciliation sweep job repairs. */
  readonly gapId: string | null;
  readonly state: BackfillJobState;
  readonly requestedBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  readonly lastError: string | null;
  readonly progress: readonly FamilyProgress[];
}

/** The page a segment just read, committed with its records. */
export interface PageCommit {
  readonly nextQuery: Readonly<Record<string, string>> | null;
  readonly records: number;
  readonly changes: number;
  readonly expected: number | null;
  readonly done: boolean;
}

interface SegmentRow {
  job_id: string;
  family: string;
  segment_key: string;
  kind: SegmentKind;
  query: Record<string, string>;
  next_query: Record<string, string> | null;
  page_limit: number | null;
  date_from: string | null;
  date_to: string | null;
  pages: number;
  failures: number;
  since: string | null;
}

function familyOf(value: string): ResourceFamily {
  if (!isResourceFamily(value)) {
    throw new Error(`backfill_segments holds an unknown family "${value}"`);
  }
  return value;
}

const SEGMENT_COLUMNS = `s.job_id::text AS job_id, s.family, s.segment_key, s.kind, s.query, s.next_query, s.page_limit,
  to_char(s.date_from, 'YYYY-MM-DD') AS date_from, to_char(s.date_to, 'YYYY-MM-DD') AS date_to, s.pages, s.failures`;

/**
 * SQL of managed backfills: jobs, their segments, the leases replicas hold on segments, and the progress views.
 * Every write that follows a page is conditional on still holding the segment's lease, so a replica that lost it
 * (it stalled, another took over) commits nothing.
 */
@Injectable()
export class BackfillRepository {
  constructor(private readonly dataSource: DataSource) {}

  async createJob(
    request: {
      families: readonly ResourceFamily[];
      since: string | null;
      until: string | null;
      gapId: string | null;
      requestedBy: string;
    },
    segments: ReadonlyMap<ResourceFamily, readonly SegmentSpec[]>,
  ): Promise<string> {
    return this.dataSource.transaction(async (manager) => {
      const [job] = await manager.query<{ id: string }[]>(
        `INSERT INTO backfill_jobs (families, since, until, gap_id, state, requested_by)
         VALUES ($1, $2, $3, $4, 'running', $5) RETURNING id::text AS id`,
        [request.families, request.since, request.until, request.gapId, request.requestedBy],
      );
      if (job === undefined) {
        throw new Error('creating the backfill job returned no id');
      }
      for (const [family, specs] of segments) {
        await this.insertSegments(manager, job.id, family, specs);
      }
      return job.id;
    });
  }

  async insertSegments(
    manager: EntityManager,
    jobId: string,
    family: ResourceFamily,
    specs: readonly SegmentSpec[],
  ): Promise<void> {
    if (specs.length === 0) {
      return;
    }
    await manager.query(
      `INSERT INTO backfill_segments (job_id, family, segment_key, kind, query, page_limit, date_from, date_to, state)
       SELECT $1, $2, key, kind, query, page_limit, date_from, date_to, 'pending'
         FROM unnest($3::text[], $4::text[], $5::jsonb[], $6::int[], $7::date[], $8::date[])
              AS t(key, kind, query, page_limit, date_from, date_to)
       ON CONFLICT (job_id, family, segment_key) DO NOTHING`,
      [
        jobId,
        family,
        specs.map((spec) => spec.key),
        specs.map((spec) => spec.kind),
        specs.map((spec) => JSON.stringify(spec.query)),
        specs.map((spec) => spec.pageLimit),
        specs.map((spec) => spec.dateFrom),
        specs.map((spec) => spec.dateTo),
      ],
    );
  }

  /**
   * Takes the lease of up to `limit` segments of running jobs: pending ones, and running ones whose holder's lease
   * ran out (it died or stalled). Oldest first, so a job's early segments finish first.
   */
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedSegment[]> {
    if (limit <= 0) {
      return [];
    }
    const rows = await this.dataSource.query<SegmentRow[]>(
      `WITH picked AS (
         SELECT s.job_id, s.family, s.segment_key
           FROM backfill_segments s JOIN backfill_jobs j ON j.id = s.job_id
          WHERE j.state = 'running'
            AND (s.state = 'pending' OR (s.state = 'running' AND s.lease_until < clock_timestamp()))
            AND (s.not_before IS NULL OR s.not_before <= clock_timestamp())
          ORDER BY j.created_at, s.created_at, s.segment_key
          LIMIT $2
          FOR UPDATE OF s SKIP LOCKED
       ), taken AS (
         UPDATE backfill_segments s
            SET state = 'running', lease_owner = $1, lease_until = clock_timestamp() + make_interval(secs => $3),
                updated_at = clock_timestamp()
           FROM picked p
          WHERE s.job_id = p.job_id AND s.family = p.family AND s.segment_key = p.segment_key
         RETURNING s.*
       )
       SELECT ${SEGMENT_COLUMNS}, to_char(j.since, 'YYYY-MM-DD') AS since
         FROM taken s JOIN backfill_jobs j ON j.id = s.job_id`,
      [owner, limit, leaseMs / 1000],
    );
    return rows.map((row) => ({
      jobId: row.job_id,
      family: familyOf(row.family),
      key: row.segment_key,
      kind: row.kind,
      query: row.query,
      nextQuery: row.next_query,
      pageLimit: row.page_limit,
      dateFrom: row.date_from,
      dateTo: row.date_to,
      pages: row.pages,
      failures: row.failures,
      since: row.since,
    }));
  }

  /** Extends the lease while the holder reads (it may wait long on the request budget). False: it was lost. */
  async renew(owner: string, segment: ClaimedSegment, leaseMs: number): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `WITH renewed AS (
         UPDATE backfill_segments SET lease_until = clock_timestamp() + make_interval(secs => $5)
          WHERE job_id = $1 AND family = $2 AND segment_key = $3 AND lease_owner = $4 AND state = 'running'
          RETURNING 1
       ) SELECT * FROM renewed`,
      [segment.jobId, segment.family, segment.key, owner, leaseMs / 1000],
    );
    return rows.length > 0;
  }

  /**
   * Records a page in the transaction that wrote its records: the checkpoint moves to `nextQuery` (or the segment
   * is done). False when this replica no longer holds the lease: the caller rolls back, nothing is counted twice.
   */
  async commitPage(
    manager: EntityManager,
    owner: string,
    segment: ClaimedSegment,
    page: PageCommit,
    leaseMs: number,
  ): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `WITH committed AS (UPDATE backfill_segments SET
         next_query = $5::jsonb, pages = pages + 1, records = records + $6, changes = changes + $7,
         expected = COALESCE(expected, $8), failures = 0, last_error = NULL, not_before = NULL,
         state = CASE WHEN $9 THEN 'done' ELSE 'running' END,
         lease_until = CASE WHEN $9 THEN NULL ELSE clock_timestamp() + make_interval(secs => $10) END,
         lease_owner = CASE WHEN $9 THEN NULL ELSE lease_owner END,
         finished_at = CASE WHEN $9 THEN clock_timestamp() END,
         updated_at = clock_timestamp()
       WHERE job_id = $1 AND family = $2 AND segment_key = $3 AND lease_owner = $4 AND state = 'running'
       RETURNING 1) SELECT * FROM committed`,
      [
        segment.jobId,
        segment.family,
        segment.key,
        owner,
        page.nextQuery === null ? null : JSON.stringify(page.nextQuery),
        page.records,
        page.changes,
        page.expected,
        page.done,
        leaseMs / 1000,
      ],
    );
    return rows.length > 0;
  }

  /** Replaces a segment by the smaller ones it was cut into (same transaction as its first page). */
  async replaceBy(
    manager: EntityManager,
    owner: string,
    segment: ClaimedSegment,
    page: { records: number; changes: number; expected: number | null },
    state: 'split' | 'done',
    children: readonly SegmentSpec[],
  ): Promise<boolean> {
    const rows = await manager.query<unknown[]>(
      `WITH replaced AS (UPDATE backfill_segments SET state = $5, next_query = NULL, pages = pages + 1, records = records + $6,
              changes = changes + $7, expected = COALESCE(expected, $8), lease_owner = NULL, lease_until = NULL,
              finished_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE job_id = $1 AND family = $2 AND segment_key = $3 AND lease_owner = $4 AND state = 'running'
        RETURNING 1) SELECT * FROM replaced`,
      [segment.jobId, segment.family, segment.key, owner, state, page.records, page.changes, page.expected],
    );
    if (rows.length === 0) {
      return false;
    }
    await this.insertSegments(manager, segment.jobId, segment.family, children);
    return true;
  }

  /** Gives a segment back (shutdown, pause, or a failure to retry after `notBefore`; `failed` after too many). */
  async release(
    owner: string,
    segment: ClaimedSegment,
    outcome: { error: string | null; notBefore: Date | null; failed: boolean; countFailure: boolean },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE backfill_segments SET
         state = CASE WHEN $5 THEN 'failed' ELSE 'pending' END, lease_owner = NULL, lease_until = NULL,
         failures = failures + CASE WHEN $8 THEN 1 ELSE 0 END, last_error = COALESCE($6, last_error),
         not_before = $7, finished_at = CASE WHEN $5 THEN clock_timestamp() END, updated_at = clock_timestamp()
       WHERE job_id = $1 AND family = $2 AND segment_key = $3 AND lease_owner = $4 AND state = 'running'`,
      [
        segment.jobId,
        segment.family,
        segment.key,
        owner,
        outcome.failed,
        outcome.error,
        outcome.notBefore,
        outcome.countFailure,
      ],
    );
  }

  async jobState(jobId: string): Promise<BackfillJobState | null> {
    const [row] = await this.dataSource.query<{ state: BackfillJobState }[]>(
      'SELECT state FROM backfill_jobs WHERE id = $1',
      [jobId],
    );
    return row?.state ?? null;
  }

  /** Live (not deleted) rows of a family's mirror table. */
  async mirroredCount(table: string): Promise<number> {
    const [row] = await this.dataSource.query<{ n: string }[]>(
      `SELECT count(*)::text AS n FROM ${table} WHERE deleted_at IS NULL`,
    );
    return Number(row?.n ?? 0);
  }

  /**
   * The families of a job with nothing left to read, and whether one of them was read whole (no `since`) and has
   * no remainder segment yet; under a lock on the job, so two replicas finishing at once decide once.
   */
  async finishedFamilies(
    manager: EntityManager,
    jobId: string,
  ): Promise<{
    state: BackfillJobState;
    since: string | null;
    open: number;
    failed: number;
    withoutRemainder: ResourceFamily[];
  } | null> {
    const [job] = await manager.query<
      { state: BackfillJobState; since: string | null; families: string[] }[]
    >(
      `SELECT state, to_char(since, 'YYYY-MM-DD') AS since, families FROM backfill_jobs WHERE id = $1 FOR UPDATE`,
      [jobId],
    );
    if (job === undefined) {
      return null;
    }
    const rows = await manager.query<{ family: string; open: number; failed: number; remainder: number }[]>(
      `SELECT family, count(*) FILTER (WHERE state IN ('pending', 'running'))::int AS open,
              count(*) FILTER (WHERE state = 'failed')::int AS failed,
              count(*) FILTER (WHERE kind = 'remainder')::int AS remainder
         FROM backfill_segments WHERE job_id = $1 GROUP BY family`,
      [jobId],
    );
    return {
      state: job.state,
      since: job.since,
      open: rows.reduce((sum, row) => sum + row.open, 0),
      failed: rows.reduce((sum, row) => sum + row.failed, 0),
      withoutRemainder: rows
        .filter((row) => row.open === 0 && row.failed === 0 && row.remainder === 0)
        .map((row) => familyOf(row.family)),
    };
  }

  async finishJob(
    manager: EntityManager,
    jobId: string,
    state: 'done' | 'failed',
    error: string | null,
  ): Promise<void> {
    await manager.query(
      `UPDATE backfill_jobs SET state = $2, last_error = $3, finished_at = clock_timestamp(), updated_at = clock_timestamp()
        WHERE id = $1 AND state = 'running'`,
      [jobId, state, error],
    );
  }

  /** Moves a job between states; resolves with its state after (null: no such job). */
  async transition(
    jobId: string,
    from: readonly BackfillJobState[],
    to: BackfillJobState,
  ): Promise<{ changed: boolean; state: BackfillJobState } | null> {
    const updated = await this.dataSource.query<{ state: BackfillJobState }[]>(
      `WITH moved AS (
         UPDATE backfill_jobs SET state = $3, updated_at = clock_timestamp(),
                finished_at = CASE WHEN $3 IN ('cancelled', 'done', 'failed') THEN clock_timestamp() END
          WHERE id = $1 AND state = ANY($2::text[]) RETURNING state
       ) SELECT state FROM moved`,
      [jobId, from, to],
    );
    if (updated[0] !== undefined) {
      return { changed: true, state: updated[0].state };
    }
    const state = await this.jobState(jobId);
    return state === null ? null : { changed: false, state };
  }

  /** Jobs, newest first, with per-family progress; `ids` narrows to some. */
  async jobs(options: JobsQuery = {}): Promise<BackfillJobView[]> {
    const jobs = await this.jobRows(options);
    if (jobs.length === 0) {
      return [];
    }
    const progress = await this.progressRows(jobs.map((job) => job.id));
    return jobs.map((job) =>
      jobView(
        job,
        progress.filter((row) => row.job_id === job.id),
      ),
    );
  }

  private jobRows(options: JobsQuery): Promise<JobRow[]> {
    return this.dataSource.query<JobRow[]>(
      `SELECT id::text AS id, families, to_char(since, 'YYYY-MM-DD') AS since, to_char(until, 'YYYY-MM-DD') AS until,
              gap_id::text AS gap_id, state, requested_by, created_at, updated_at, finished_at, last_error
         FROM backfill_jobs
        WHERE ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
          AND (NOT $3 OR state IN ('running', 'paused'))
          AND ($4::bigint IS NULL OR gap_id = $4)
        ORDER BY created_at DESC LIMIT $2`,
      [options.ids ?? null, options.limit ?? 20, options.activeOnly ?? false, options.gapId ?? null],
    );
  }

  /** Per job and family: segments per state and the sums of their counters. */
  private progressRows(jobIds: readonly string[]): Promise<ProgressRow[]> {
    return this.dataSource.query<ProgressRow[]>(
      `SELECT job_id::text AS job_id, family,
              count(*) FILTER (WHERE state = 'pending')::int AS pending,
              count(*) FILTER (WHERE state = 'running')::int AS running,
              count(*) FILTER (WHERE state = 'done')::int AS done,
              count(*) FILTER (WHERE state = 'split')::int AS split,
              count(*) FILTER (WHERE state = 'failed')::int AS failed,
              sum(pages)::text AS pages, sum(records)::text AS records, sum(changes)::text AS changes,
              sum(expected) FILTER (WHERE state <> 'split' AND kind IN ('dates', 'list'))::text AS expected,
              sum(failures)::int AS failures,
              (array_agg(last_error ORDER BY updated_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS last_error
         FROM backfill_segments WHERE job_id = ANY($1::uuid[])
        GROUP BY job_id, family ORDER BY family`,
      [jobIds],
    );
  }
}

/** Which jobs `BackfillRepository.jobs` reads. */
export interface JobsQuery {
  readonly ids?: readonly string[];
  readonly limit?: number;
  readonly activeOnly?: boolean;
  readonly gapId?: string;
}

interface JobRow {
  id: string;
  families: string[];
  since: string | null;
  until: string | null;
  gap_id: string | null;
  state: BackfillJobState;
  requested_by: string;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
  last_error: string | null;
}

interface ProgressRow {
  job_id: string;
  family: string;
  pending: number;
  running: number;
  done: number;
  split: number;
  failed: number;
  pages: string;
  records: string;
  changes: string;
  expected: string | null;
  failures: number;
  last_error: string | null;
}

function familyProgress(row: ProgressRow): FamilyProgress {
  return {
    family: familyOf(row.family),
    segments: {
      pending: row.pending,
      running: row.running,
      done: row.done,
      split: row.split,
      failed: row.failed,
    },
    pages: Number(row.pages),
    records: Number(row.records),
    changes: Number(row.changes),
    expected: row.expected === null ? null : Number(row.expected),
    failures: row.failures,
    lastError: row.last_error,
  };
}

function jobView(job: JobRow, progress: readonly ProgressRow[]): BackfillJobView {
  return {
    id: job.id,
    families: job.families.map(familyOf),
    since: job.since,
    until: job.until,
    gapId: job.gap_id,
    state: job.state,
    requestedBy: job.requested_by,
    createdAt: job.created_at,
    updatedAt: job.updated_at,
    finishedAt: job.finished_at,
    lastError: job.last_error,
    progress: progress.map(familyProgress),
  };
}
