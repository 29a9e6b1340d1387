import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The columns this migration adds, frozen here: `[table, column, path in the record]`. */
const OFFICE_COLUMNS = [
  ['contracts', 'awarding_office_code', ['awarding_office', 'office_code']],
  ['idvs', 'awarding_office_code', ['awarding_office', 'office_code']],
  ['otas', 'awarding_office_code', ['awarding_office', 'office_code']],
  ['otidvs', 'awarding_office_code', ['awarding_office', 'office_code']],
  ['opportunities', 'office_code', ['office', 'office_code']],
] as const;

/** Join columns that had no index: the department codes awards and opportunities are grouped by. */
const DEPARTMENT_INDEXES = [
  ['contracts', 'awarding_department_code'],
  ['idvs', 'awarding_department_code'],
  ['otas', 'awarding_department_code'],
  ['otidvs', 'awarding_department_code'],
  ['opportunities', 'department_code'],
] as const;

/**
 * Both sides of the joins analysts make between awards, opportunities and the office and department dimensions
 * (README "All of Tango"): the office code as a typed, indexed column (filled from the mirrored records), and
 * indexes on the department codes.
 */
export class AwardOfficeJoinColumns1796700000003 implements MigrationInterface {
  name = 'AwardOfficeJoinColumns1796700000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column, [object, field]] of OFFICE_COLUMNS) {
      await queryRunner.query(`ALTER TABLE ${table} ADD COLUMN ${column} text`);
      await queryRunner.query(
        `UPDATE ${table} SET ${column} = record -> '${object}' ->> '${field}'
          WHERE jsonb_typeof(record -> '${object}') = 'object'`,
      );
      await queryRunner.query(`CREATE INDEX ${table}_${column} ON ${table} (${column})`);
    }
    for (const [table, column] of DEPARTMENT_INDEXES) {
      await queryRunner.query(`CREATE INDEX ${table}_${column} ON ${table} (${column})`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of DEPARTMENT_INDEXES) {
      await queryRunner.query(`DROP INDEX ${table}_${column}`);
    }
    for (const [table, column] of OFFICE_COLUMNS) {
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN ${column}`);
    }
  }
}
