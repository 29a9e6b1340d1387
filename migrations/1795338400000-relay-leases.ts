import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Outbox relays no longer hold a transaction (and its row locks) open while Kafka is asked to take a batch: a
 * frozen broker kept the fetch-target relay's `FOR UPDATE` locks for minutes, and webhook ingest, which hints the
 * same `fetch_targets` rows, waited on them. Relays now claim with a lease, commit, publish, then mark:
 * - `fetch_targets.claim_token` / `claimed_at` / `claimed_until`: a row claimed by one relay (until the lease ends)
 *   stays `pending`, so ingest keeps coalescing hints into it; a hint that arrives after the claim keeps the row
 *   pending when the relay marks the others published, so it is published again, never lost.
 * - `relay_lane_leases`: which relay publishes each change-event lane, until when (one row per lane).
 * `down` drops both; relays of the previous version take no leases.
 */
export class RelayLeases1795338400000 implements MigrationInterface {
  name = 'RelayLeases1795338400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE fetch_targets ADD COLUMN claim_token uuid, ADD COLUMN claimed_at timestamptz,
                                ADD COLUMN claimed_until timestamptz
    `);
    await queryRunner.query(`
      CREATE TABLE relay_lane_leases (
        lane smallint PRIMARY KEY,
        holder uuid,
        leased_until timestamptz NOT NULL DEFAULT '-infinity'
      )
    `);
    await queryRunner.query(
      `INSERT INTO relay_lane_leases (lane) SELECT lane FROM generate_series(0, 63) AS lane`,
    );
    await queryRunner.query(
      `COMMENT ON TABLE relay_lane_leases IS 'tango-sync: which change-event relay publishes each lane, until when'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE relay_lane_leases');
    await queryRunner.query(
      'ALTER TABLE fetch_targets DROP COLUMN claim_token, DROP COLUMN claimed_at, DROP COLUMN claimed_until',
    );
  }
}
