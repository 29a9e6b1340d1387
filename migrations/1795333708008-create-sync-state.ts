import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Per resource family and per Tango alert: when the worker last heard from Tango and last succeeded, so that the
 * health module can tell whether the mirror can be trusted. Written in the same transactions that do the work.
 */
export class CreateSyncState1795333708008 implements MigrationInterface {
  name = 'CreateSyncState1795333708008';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sync_state (
        scope text NOT NULL CHECK (scope IN ('resource', 'alert')),
        scope_key text NOT NULL,
        last_delivery_received_at timestamptz,
        last_delivery_id text,
        last_tango_timestamp timestamptz,
        last_checked_at timestamptz,
        last_fetch_succeeded_at timestamptz,
        last_change_emitted_at timestamptz,
        reconciled_through timestamptz,
        last_error text,
        last_error_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, scope_key),
        CONSTRAINT sync_state_resource_known CHECK (
          scope <> 'resource' OR scope_key IN (
            'contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts'
          )
        )
      )
    `);
    await queryRunner.query(`
      INSERT INTO sync_state (scope, scope_key)
      SELECT 'resource', family
      FROM unnest(ARRAY['contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants',
                        'forecasts']) AS family
    `);
    await queryRunner.query(
      `COMMENT ON TABLE sync_state IS 'tango-sync: last successful timestamps per resource family and per alert'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE sync_state');
  }
}
