import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `resource_refreshes`: where each contract resource's list walks stand (src/resources): the last incremental
 * poll and full walk (started, completed), the day the last since-filter poll read from, the last outcome and
 * error. One row per resource, written by whichever replica holds the refresh job's lock.
 */
export class ResourceRefreshes1796700000002 implements MigrationInterface {
  name = 'ResourceRefreshes1796700000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE resource_refreshes (
        resource text PRIMARY KEY,
        poll_started_at timestamptz,
        poll_completed_at timestamptz,
        polled_since date,
        full_started_at timestamptz,
        full_completed_at timestamptz,
        previous_full_started_at timestamptz,
        last_kind text CHECK (last_kind IN ('full', 'poll', 'alert')),
        last_outcome jsonb NOT NULL DEFAULT '{}'::jsonb,
        last_error text,
        last_error_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )
    `);
    await queryRunner.query(
      `COMMENT ON TABLE resource_refreshes IS 'tango-sync: where each contract resource''s polls and full walks stand'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE resource_refreshes');
  }
}
