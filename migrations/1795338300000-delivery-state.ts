import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * When the worker last heard from Tango, per family and per alert, moves out of `sync_state` into
 * `delivery_state`, a table only the webhook ingest statement writes. `sync_state` rows were shared by ingest and
 * by the fetcher and reconciler transactions, which locked several of them in different orders: two valid
 * deliveries were answered 503 (`deadlock detected`) with Postgres up. Now no row is written by both the ack path
 * and anything else. `down` moves the columns back.
 */
export class DeliveryState1795338300000 implements MigrationInterface {
  name = 'DeliveryState1795338300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE delivery_state (
        scope text NOT NULL CHECK (scope IN ('resource', 'alert')),
        scope_key text NOT NULL,
        last_delivery_received_at timestamptz,
        last_delivery_id text,
        last_tango_timestamp timestamptz,
        last_checked_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (scope, scope_key)
      )
    `);
    await queryRunner.query(
      `COMMENT ON TABLE delivery_state IS 'tango-sync: last delivery per resource family and per alert (written by webhook ingest only)'`,
    );
    await queryRunner.query(`
      INSERT INTO delivery_state (scope, scope_key, last_delivery_received_at, last_delivery_id, last_tango_timestamp,
                                  last_checked_at)
      SELECT scope, scope_key, last_delivery_received_at, last_delivery_id, last_tango_timestamp, last_checked_at
        FROM sync_state
       WHERE last_delivery_received_at IS NOT NULL OR last_checked_at IS NOT NULL
    `);
    await queryRunner.query(`
      ALTER TABLE sync_state DROP COLUMN last_delivery_received_at, DROP COLUMN last_delivery_id,
                             DROP COLUMN last_tango_timestamp, DROP COLUMN last_checked_at
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE sync_state ADD COLUMN last_delivery_received_at timestamptz, ADD COLUMN last_delivery_id text,
                             ADD COLUMN last_tango_timestamp timestamptz, ADD COLUMN last_checked_at timestamptz
    `);
    await queryRunner.query(`
      INSERT INTO sync_state (scope, scope_key, last_delivery_received_at, last_delivery_id, last_tango_timestamp,
                              last_checked_at)
      SELECT scope, scope_key, last_delivery_received_at, last_delivery_id, last_tango_timestamp, last_checked_at
        FROM delivery_state
      ON CONFLICT (scope, scope_key) DO UPDATE
        SET last_delivery_received_at = EXCLUDED.last_delivery_received_at,
            last_delivery_id = EXCLUDED.last_delivery_id,
            last_tango_timestamp = EXCLUDED.last_tango_timestamp,
            last_checked_at = EXCLUDED.last_checked_at
    `);
    await queryRunner.query('DROP TABLE delivery_state');
  }
}
