import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The health module's memory: open and closed sync gaps (with their time range, cause and sweep progress), the
 * alert observations the gap detector compares (`match_count` over time), and the backfill checkpoints that let a
 * crashed backfill resume without re-fetching committed pages.
 */
export class CreateHealthGaps1795336200000 implements MigrationInterface {
  name = 'CreateHealthGaps1795336200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sync_gaps (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        scope text NOT NULL CHECK (scope IN ('resource', 'alert', 'webhook')),
        scope_key text NOT NULL,
        resource text CHECK (
          resource IS NULL OR resource IN ('contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities',
                                           'grants', 'forecasts')
        ),
        alert_id text,
        cause text NOT NULL,
        range_start timestamptz NOT NULL,
        range_end timestamptz NOT NULL,
        opened_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        closed_at timestamptz,
        close_reason text,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        sweep_attempts integer NOT NULL DEFAULT 0,
        last_sweep_at timestamptz,
        last_sweep_error text,
        swept_records integer NOT NULL DEFAULT 0,
        CONSTRAINT sync_gaps_range CHECK (range_start <= range_end)
      )
    `);
    // One open gap per scope and cause: a new observation widens it instead of opening another.
    await queryRunner.query(
      `CREATE UNIQUE INDEX sync_gaps_one_open ON sync_gaps (scope, scope_key, cause) WHERE closed_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX sync_gaps_open ON sync_gaps (opened_at) WHERE closed_at IS NULL`);

    await queryRunner.query(`
      CREATE TABLE alert_observations (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        alert_id text NOT NULL,
        query_type text NOT NULL,
        status text NOT NULL,
        frequency text,
        match_count bigint NOT NULL,
        last_checked_at timestamptz,
        observed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        delivered_through_pk bigint NOT NULL DEFAULT 0,
        filters jsonb NOT NULL DEFAULT '{}'::jsonb
      )
    `);
    await queryRunner.query(
      `CREATE INDEX alert_observations_latest ON alert_observations (alert_id, observed_at DESC)`,
    );

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
    await queryRunner.query(
      `COMMENT ON TABLE sync_gaps IS 'tango-sync: detected sync gaps, open until a committed sweep closes them'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE backfill_checkpoints');
    await queryRunner.query('DROP TABLE alert_observations');
    await queryRunner.query('DROP TABLE sync_gaps');
  }
}
