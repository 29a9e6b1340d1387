import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * One delivery may create only so much work (WEBHOOK_MAX_IDS_PER_EVENT / _PER_DELIVERY): the targets an event named
 * beyond the limits are counted in `webhook_events.ids_dropped` instead of becoming fetch targets, and the health
 * module turns them into a gap that a sweep repairs. The partial index finds those events cheaply.
 */
export class WebhookFanOutLimits1795338500000 implements MigrationInterface {
  name = 'WebhookFanOutLimits1795338500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE webhook_events ADD COLUMN ids_dropped integer NOT NULL DEFAULT 0 CHECK (ids_dropped >= 0)',
    );
    await queryRunner.query(
      'CREATE INDEX webhook_events_over_limits ON webhook_events (delivery_pk) WHERE ids_dropped > 0',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX webhook_events_over_limits');
    await queryRunner.query('ALTER TABLE webhook_events DROP COLUMN ids_dropped');
  }
}
