import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Change events carry old values (issue 25): the outbox row keeps what the record held before the change, written
 * by the statement that writes the event. For `updated` and `enriched` rows the old values of the changed fields,
 * for `deleted` rows the last record; NULL otherwise and for the rows written before this migration.
 */
export class ChangeEventPreviousValues1796700000005 implements MigrationInterface {
  name = 'ChangeEventPreviousValues1796700000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE change_events ADD COLUMN previous_values jsonb`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE change_events DROP COLUMN previous_values`);
  }
}
