import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `webhook_events.payload` held a second copy of each event's JSON, which the delivery's `raw_body` already keeps
 * byte for byte; writing it doubled the bytes of every ingest statement. What was read from it (the match counts
 * the gap detector sums) becomes two typed columns; the event itself stays in `raw_body` (`events[event_index]`).
 * `down` restores `payload` from the raw bodies (or, where a body is not valid jsonb, from the counts).
 */
export class WebhookEventsMatchCounts1795337000000 implements MigrationInterface {
  name = 'WebhookEventsMatchCounts1795337000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhook_events
        ADD COLUMN new_count integer CHECK (new_count >= 0),
        ADD COLUMN modified_count integer CHECK (modified_count >= 0)
    `);
    await queryRunner.query(`
      UPDATE webhook_events
         SET new_count = ${countSql('new')},
             modified_count = ${countSql('modified')}
       WHERE jsonb_typeof(payload->'matches') = 'object'
    `);
    await queryRunner.query(`ALTER TABLE webhook_events DROP COLUMN payload`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhook_events ADD COLUMN payload jsonb`);
    await queryRunner.query(`
      DO $$
      DECLARE
        delivery record;
      BEGIN
        FOR delivery IN
          SELECT d.id, d.raw_body FROM webhook_deliveries AS d
           WHERE EXISTS (SELECT 1 FROM webhook_events AS e WHERE e.delivery_pk = d.id)
        LOOP
          BEGIN
            UPDATE webhook_events AS e
               SET payload = CASE WHEN jsonb_typeof(b.doc->'events') = 'array' THEN b.doc->'events'->e.event_index
                                  ELSE b.doc END
              FROM (SELECT convert_from(delivery.raw_body, 'UTF8')::jsonb AS doc) AS b
             WHERE e.delivery_pk = delivery.id;
          EXCEPTION WHEN others THEN
            UPDATE webhook_events
               SET payload = jsonb_build_object('matches',
                     jsonb_build_object('new_count', new_count, 'modified_count', modified_count))
             WHERE delivery_pk = delivery.id AND (new_count IS NOT NULL OR modified_count IS NOT NULL);
          END;
        END LOOP;
      END $$
    `);
    await queryRunner.query(`ALTER TABLE webhook_events DROP COLUMN new_count, DROP COLUMN modified_count`);
  }
}

/** Tango's `<change>_count` when it is a non-negative integer, else the length of the id list or summaries. */
function countSql(change: 'new' | 'modified'): string {
  const count = `payload->'matches'->'${change}_count'`;
  const list = (field: string): string =>
    `CASE WHEN jsonb_typeof(payload->'matches'->'${field}') = 'array'
          THEN jsonb_array_length(payload->'matches'->'${field}') END`;
  return `COALESCE(
            CASE WHEN jsonb_typeof(${count}) = 'number' AND (${count})::numeric >= 0
                      AND (${count})::numeric = trunc((${count})::numeric) AND (${count})::numeric < 2147483648
                 THEN (${count})::int END,
            ${list(`${change}_ids`)},
            ${list(change)})`;
}
