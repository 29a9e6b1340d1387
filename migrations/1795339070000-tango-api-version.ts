import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `tango_api_version`: the newest `x-tango-api-version` a Tango answer carried, per Tango base URL, and when it was
 * first seen, shared by every replica and `/health`. Written only when a newer version appears (never per request);
 * `version_parts` orders versions numerically (`{4,22,0}` < `{4,25,1}`).
 */
export class TangoApiVersion1795339070000 implements MigrationInterface {
  name = 'TangoApiVersion1795339070000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tango_api_version (
        base_url text PRIMARY KEY,
        version text NOT NULL,
        version_parts integer[] NOT NULL CHECK (cardinality(version_parts) = 3),
        seen_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE tango_api_version');
  }
}
