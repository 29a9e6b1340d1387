import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Typed mirror columns that Tango's published contract (API 4.22.0) cannot fill, or fills with another type:
 * IDVs have no `base_and_exercised_options_value`; OTAs and OTIDVs have no NAICS; OTIDVs have no parent award and
 * their period of performance has no `last_date_to_order`; an entity's `registration_status` is a boolean on the
 * live API. Those columns were always NULL (or held text) for records from the real API. Entities gain
 * `sam_expiration_date` for "registrations about to lapse" queries. `down` restores the old columns and fills
 * them from the stored records, as the worker used to.
 */
export class TypedColumnsFromTangoContract1795338000000 implements MigrationInterface {
  name = 'TypedColumnsFromTangoContract1795338000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE idvs DROP COLUMN base_and_exercised_options_value');
    await queryRunner.query('ALTER TABLE otas DROP COLUMN naics_code');
    await queryRunner.query(
      'ALTER TABLE otidvs DROP COLUMN naics_code, DROP COLUMN parent_key, DROP COLUMN last_date_to_order',
    );
    await queryRunner.query(`
      ALTER TABLE entities ALTER COLUMN registration_status TYPE boolean
        USING CASE WHEN jsonb_typeof(record -> 'registration_status') = 'boolean'
                   THEN (record ->> 'registration_status')::boolean END
    `);
    await queryRunner.query('ALTER TABLE entities ADD COLUMN sam_expiration_date date');
    await queryRunner.query(`
      UPDATE entities SET sam_expiration_date = left(record ->> 'sam_expiration_date', 10)::date
       WHERE record ->> 'sam_expiration_date' ~ '^\\d{4}-\\d{2}-\\d{2}'
    `);
    await queryRunner.query('CREATE INDEX entities_sam_expiration_date ON entities (sam_expiration_date)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX entities_sam_expiration_date');
    await queryRunner.query('ALTER TABLE entities DROP COLUMN sam_expiration_date');
    await queryRunner.query(`
      ALTER TABLE entities ALTER COLUMN registration_status TYPE text
        USING COALESCE(record ->> 'registration_status', record ->> 'uei_status')
    `);
    await queryRunner.query(
      'ALTER TABLE otidvs ADD COLUMN naics_code text, ADD COLUMN parent_key text, ADD COLUMN last_date_to_order date',
    );
    await queryRunner.query(`
      UPDATE otidvs SET naics_code = record ->> 'naics_code',
                        parent_key = record #>> '{parent_award,key}',
                        last_date_to_order = CASE
                          WHEN record #>> '{period_of_performance,last_date_to_order}' ~ '^\\d{4}-\\d{2}-\\d{2}'
                          THEN left(record #>> '{period_of_performance,last_date_to_order}', 10)::date END
    `);
    await queryRunner.query('CREATE INDEX otidvs_naics_code ON otidvs (naics_code)');
    await queryRunner.query('CREATE INDEX otidvs_parent_key ON otidvs (parent_key)');
    await queryRunner.query('ALTER TABLE otas ADD COLUMN naics_code text');
    await queryRunner.query(`UPDATE otas SET naics_code = record ->> 'naics_code'`);
    await queryRunner.query('CREATE INDEX otas_naics_code ON otas (naics_code)');
    await queryRunner.query('ALTER TABLE idvs ADD COLUMN base_and_exercised_options_value numeric');
    await queryRunner.query(`
      UPDATE idvs SET base_and_exercised_options_value = (record ->> 'base_and_exercised_options_value')::numeric
       WHERE jsonb_typeof(record -> 'base_and_exercised_options_value') = 'number'
    `);
  }
}
