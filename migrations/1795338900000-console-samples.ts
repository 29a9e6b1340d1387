import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `console_samples`: what each replica did per sampling interval (deliveries received, records fetched, Tango
 * requests and 429s, change events published), from its own counters, so the console can chart the last hours
 * across replicas and restarts. Small (a row per replica per minute) and pruned after two days by the sampler.
 */
export class ConsoleSamples1795338900000 implements MigrationInterface {
  name = 'ConsoleSamples1795338900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE console_samples (
        sampled_at timestamptz NOT NULL,
        replica text NOT NULL,
        interval_seconds integer NOT NULL CHECK (interval_seconds > 0),
        deliveries integer NOT NULL DEFAULT 0,
        records_fetched integer NOT NULL DEFAULT 0,
        tango_requests integer NOT NULL DEFAULT 0,
        tango_throttled integer NOT NULL DEFAULT 0,
        changes_published integer NOT NULL DEFAULT 0,
        PRIMARY KEY (sampled_at, replica)
      )
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE console_samples');
  }
}
