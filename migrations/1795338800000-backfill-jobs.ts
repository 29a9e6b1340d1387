import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Backfills as managed jobs, read in segments by every replica at once.
 *
 * - `backfill_jobs`: one request to load one or several families (whole, from a day, or a day range): running,
 *   paused, cancelled, done or failed. Any replica works on a running job; pausing, resuming and cancelling are
 *   updates. A reconciliation sweep over a long window is a job too (`gap_id`: the gap it repairs).
 * - `backfill_segments`: the list queries a job reads, each with its own checkpoint (`next_query`), counters and a
 *   short lease (`lease_owner`, `lease_until`) renewed while a replica reads it, so a replica that dies mid-segment
 *   loses it to another within the lease. A date segment holding too many records is split in two (`split`), and
 *   a page-number list is read as page ranges (`page_limit`).
 * - `backfill_checkpoints` (one serial checkpoint per family and window) is replaced by the segments.
 */
export class BackfillJobs1795338800000 implements MigrationInterface {
  name = 'BackfillJobs1795338800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE backfill_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        families text[] NOT NULL CHECK (cardinality(families) > 0),
        since date,
        until date CHECK (until >= since),
        gap_id bigint,
        state text NOT NULL CHECK (state IN ('running', 'paused', 'cancelled', 'done', 'failed')),
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz,
        last_error text
      )
    `);
    await queryRunner.query(`CREATE INDEX backfill_jobs_created ON backfill_jobs (created_at DESC)`);
    await queryRunner.query(
      `CREATE INDEX backfill_jobs_gap ON backfill_jobs (gap_id) WHERE gap_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE backfill_segments (
        job_id uuid NOT NULL REFERENCES backfill_jobs (id) ON DELETE CASCADE,
        family text NOT NULL CHECK (
          family IN ('contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts')
        ),
        segment_key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('dates', 'list', 'pages', 'remainder')),
        query jsonb NOT NULL,
        next_query jsonb,
        page_limit integer CHECK (page_limit > 0),
        date_from date,
        date_to date,
        state text NOT NULL CHECK (state IN ('pending', 'running', 'done', 'split', 'failed')),
        lease_owner text,
        lease_until timestamptz,
        not_before timestamptz,
        pages integer NOT NULL DEFAULT 0,
        records bigint NOT NULL DEFAULT 0,
        changes bigint NOT NULL DEFAULT 0,
        expected bigint,
        failures integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz,
        PRIMARY KEY (job_id, family, segment_key)
      )
    `);
    await queryRunner.query(
      `CREATE INDEX backfill_segments_open ON backfill_segments (job_id, created_at) WHERE state IN ('pending', 'running')`,
    );
    await queryRunner.query('DROP TABLE backfill_checkpoints');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE backfill_checkpoints (
        family text NOT NULL CHECK (
          family IN ('contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts')
        ),
        window_key text NOT NULL,
        since date,
        next_query jsonb,
        pages integer NOT NULL DEFAULT 0,
        records bigint NOT NULL DEFAULT 0,
        changes bigint NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        completed_at timestamptz,
        PRIMARY KEY (family, window_key)
      )
    `);
    await queryRunner.query('DROP TABLE backfill_segments');
    await queryRunner.query('DROP TABLE backfill_jobs');
  }
}
