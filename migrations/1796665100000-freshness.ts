import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Each mirror table and its key, as of this migration. */
const MIRROR_TABLES = [
  ['contracts', 'key'],
  ['idvs', 'key'],
  ['otas', 'key'],
  ['otidvs', 'key'],
  ['opportunities', 'opportunity_id'],
  ['notices', 'notice_id'],
  ['entities', 'uei'],
  ['grants', 'grant_id'],
  ['forecasts', 'id'],
] as const;

/**
 * Freshness without webhooks. A record's `fetched_at` is the time Tango last confirmed it (every fetch that answers
 * moves it, changed or not): the rolling re-verification reads each family's least recently verified live records
 * first, through `<table>_verified_order` (and `/health` reads the oldest through it); whether Tango delivered an
 * alert type is read through `webhook_events_recognized_type`. `tango_filter_probes` keeps
 * what the run-time probe of a list parameter the contract does not list (`modified_after` on award lists) found.
 */
export class Freshness1796665100000 implements MigrationInterface {
  name = 'Freshness1796665100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, idField] of MIRROR_TABLES) {
      await queryRunner.query(
        `CREATE INDEX ${table}_verified_order ON ${table} (fetched_at, ${idField}) WHERE deleted_at IS NULL`,
      );
    }
    // Whether Tango delivered an alert type its catalog does not list (read per freshness decision and /health).
    await queryRunner.query(
      `CREATE INDEX webhook_events_recognized_type ON webhook_events (event_type) WHERE status = 'recognized'`,
    );
    await queryRunner.query(`
      CREATE TABLE tango_filter_probes (
        resource text NOT NULL,
        param text NOT NULL,
        honoured boolean NOT NULL,
        detail text NOT NULL,
        probed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        -- Where Tango honours the parameter: the day the last modified-since poll read through (the next one
        -- starts there), kept here so a restart resumes instead of starting over.
        polled_through date,
        PRIMARY KEY (resource, param)
      )
    `);
    await queryRunner.query(
      `COMMENT ON TABLE tango_filter_probes IS 'tango-sync: whether Tango honours a list parameter its contract does not list (probed at run time)'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE tango_filter_probes');
    await queryRunner.query('DROP INDEX webhook_events_recognized_type');
    for (const [table] of MIRROR_TABLES) {
      await queryRunner.query(`DROP INDEX ${table}_verified_order`);
    }
  }
}
