import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `fetch_targets.first_delivery_pk`/`last_delivery_pk` say which deliveries hinted a target; they are provenance
 * pointers, not ownership. As foreign keys they cost two trigger calls per outbox row on the ingest hot path
 * (about a fifth of the ingest statement's time) and, with no index on them, made every delete of an old
 * delivery scan the outbox twice. Every reader already LEFT JOINs them, so a pruned delivery simply reads as
 * unknown. `down` restores the constraints after clearing pointers whose delivery no longer exists.
 */
export class FetchTargetProvenanceWithoutFk1795337100000 implements MigrationInterface {
  name = 'FetchTargetProvenanceWithoutFk1795337100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE fetch_targets
        DROP CONSTRAINT IF EXISTS fetch_targets_first_delivery_pk_fkey,
        DROP CONSTRAINT IF EXISTS fetch_targets_last_delivery_pk_fkey
    `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['first_delivery_pk', 'last_delivery_pk']) {
      await queryRunner.query(`
        UPDATE fetch_targets AS t SET ${column} = NULL
         WHERE ${column} IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries AS d WHERE d.id = t.${column})
      `);
    }
    await queryRunner.query(`
      ALTER TABLE fetch_targets
        ADD CONSTRAINT fetch_targets_first_delivery_pk_fkey
          FOREIGN KEY (first_delivery_pk) REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
        ADD CONSTRAINT fetch_targets_last_delivery_pk_fkey
          FOREIGN KEY (last_delivery_pk) REFERENCES webhook_deliveries (id) ON DELETE SET NULL
    `);
  }
}
