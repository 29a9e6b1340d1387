import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Two costs on the ingest hot path, measured with EXPLAIN ANALYZE on a 32-delivery statement:
 * - the foreign key from `webhook_events` to `webhook_deliveries` ran a trigger per event row (about 14% of the
 *   statement). Events are only ever written by the statement that writes their delivery, so the key cannot be
 *   broken by the application; what it also did, cascade a delivery's deletion, is now the deleter's job
 *   (`DELETE FROM webhook_events WHERE delivery_pk = ...` first). An index on `delivery_pk` already exists (the
 *   primary key's first column).
 * - raw bodies are compressed with lz4 instead of pglz where the server supports it (several times cheaper to
 *   compress, about as small for JSON); only new rows are affected.
 * `down` restores the foreign key (after removing events whose delivery is gone) and pglz.
 */
export class WebhookIngestLighterWrites1795337200000 implements MigrationInterface {
  name = 'WebhookIngestLighterWrites1795337200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE webhook_events DROP CONSTRAINT IF EXISTS webhook_events_delivery_pk_fkey`,
    );
    // A server built without lz4 keeps pglz: the setting is an optimisation, never a reason to fail a boot.
    await queryRunner.query(`
      DO $$
      BEGIN
        ALTER TABLE webhook_deliveries ALTER COLUMN raw_body SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
        RAISE NOTICE 'lz4 is not available; raw bodies stay pglz-compressed';
      END $$
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_deliveries ALTER COLUMN raw_body SET COMPRESSION pglz`);
    await queryRunner.query(`
      DELETE FROM webhook_events AS e
       WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.id = e.delivery_pk)
    `);
    await queryRunner.query(`
      ALTER TABLE webhook_events
        ADD CONSTRAINT webhook_events_delivery_pk_fkey
          FOREIGN KEY (delivery_pk) REFERENCES webhook_deliveries (id) ON DELETE CASCADE
    `);
  }
}
