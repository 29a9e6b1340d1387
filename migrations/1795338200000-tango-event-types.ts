import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The webhook event types Tango lists (`GET /api/webhooks/event-types/`, read at start and on every alert poll),
 * and a delivery status for events Tango sends about families the mirror does not cover (`alerts.exclusion.match`
 * and the like): `not_mirrored` is stored and acknowledged, but never re-parsed by `reprocess-deliveries` and never
 * counted as unrecognized. `down` folds it back into `unrecognized`.
 */
export class TangoEventTypes1795338200000 implements MigrationInterface {
  name = 'TangoEventTypes1795338200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tango_event_types (
        event_type text PRIMARY KEY,
        description text,
        schema_version integer,
        first_listed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_listed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        delisted_at timestamptz
      )
    `);
    for (const [table, statuses] of [
      ['webhook_deliveries', `'processed', 'unrecognized', 'malformed', 'not_mirrored'`],
      ['webhook_events', `'recognized', 'unrecognized', 'malformed', 'not_mirrored'`],
    ] as const) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_status_check`);
      await queryRunner.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${table}_status_check CHECK (status IN (${statuses}))`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, statuses] of [
      ['webhook_deliveries', `'processed', 'unrecognized', 'malformed'`],
      ['webhook_events', `'recognized', 'unrecognized', 'malformed'`],
    ] as const) {
      await queryRunner.query(`UPDATE ${table} SET status = 'unrecognized' WHERE status = 'not_mirrored'`);
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_status_check`);
      await queryRunner.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${table}_status_check CHECK (status IN (${statuses}))`,
      );
    }
    await queryRunner.query('DROP TABLE tango_event_types');
  }
}
