import { type MigrationInterface, type QueryRunner } from 'typeorm';

const FAMILIES = `('contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts')`;

/**
 * Contract drift, remembered by every replica: `family_shapes` holds, per family, the shape items Tango refused
 * (`400 Invalid shape`, dropped until a probe or an operator restores them) and whether the account's tier refuses
 * custom shapes altogether. `fetch_failures` learns the kind `rejected` (Tango refused the request for good: a 4xx
 * other than 404/429, or a 200 carrying an error), which marks the family failing on /health, and keeps a failed
 * sweep's spec so a redrive re-runs it as a sweep. `job_runs` keeps the last run and outcome of scheduled jobs (the
 * alert poll, the shape probe) so /health can say when one keeps failing.
 */
export class FamilyShapesAndFetchRejections1795338100000 implements MigrationInterface {
  name = 'FamilyShapesAndFetchRejections1795338100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE family_shapes (
        resource text PRIMARY KEY CHECK (resource IN ${FAMILIES}),
        dropped jsonb NOT NULL DEFAULT '[]'::jsonb,
        unshaped_since timestamptz,
        unshaped_reason text,
        degraded_since timestamptz,
        drift_events integer NOT NULL DEFAULT 0,
        last_probe_at timestamptz,
        last_probe_outcome text,
        restored_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )
    `);
    await queryRunner.query(
      `COMMENT ON TABLE family_shapes IS 'tango-sync: shape items Tango refused per family (contract drift), shared by every replica'`,
    );
    await queryRunner.query('ALTER TABLE fetch_failures DROP CONSTRAINT fetch_failures_kind_check');
    await queryRunner.query(`
      ALTER TABLE fetch_failures ADD CONSTRAINT fetch_failures_kind_check
        CHECK (kind IN ('error', 'not_found', 'unresolvable', 'filter_ignored', 'rejected'))
    `);
    await queryRunner.query('ALTER TABLE fetch_failures ADD COLUMN sweep_spec jsonb');
    await queryRunner.query(`
      CREATE TABLE job_runs (
        job text PRIMARY KEY,
        runs bigint NOT NULL DEFAULT 0,
        last_started_at timestamptz,
        last_finished_at timestamptz,
        last_succeeded_at timestamptz,
        last_error text,
        last_error_at timestamptz,
        last_outcome jsonb
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE job_runs');
    await queryRunner.query('ALTER TABLE fetch_failures DROP COLUMN sweep_spec');
    await queryRunner.query(`UPDATE fetch_failures SET kind = 'error' WHERE kind = 'rejected'`);
    await queryRunner.query('ALTER TABLE fetch_failures DROP CONSTRAINT fetch_failures_kind_check');
    await queryRunner.query(`
      ALTER TABLE fetch_failures ADD CONSTRAINT fetch_failures_kind_check
        CHECK (kind IN ('error', 'not_found', 'unresolvable', 'filter_ignored'))
    `);
    await queryRunner.query('DROP TABLE family_shapes');
  }
}
