import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** What `delivery_state` answers, derived from what ingest inserts (families by a skip scan, alerts likewise). */
const DELIVERY_STATE_VIEW = `
  CREATE VIEW delivery_state AS
  WITH RECURSIVE families AS (
    SELECT min(family) AS family FROM webhook_event_families
    UNION ALL
    SELECT (SELECT min(w.family) FROM webhook_event_families w WHERE w.family > f.family)
      FROM families f WHERE f.family IS NOT NULL
  ),
  alerts AS (
    SELECT min(alert_id) AS alert_id FROM webhook_events WHERE alert_id IS NOT NULL
    UNION ALL
    SELECT (SELECT min(e.alert_id) FROM webhook_events e WHERE e.alert_id > a.alert_id)
      FROM alerts a WHERE a.alert_id IS NOT NULL
  )
  SELECT 'resource'::text AS scope, f.family AS scope_key, d.received_at AS last_delivery_received_at,
         d.delivery_id AS last_delivery_id, d.tango_timestamp AS last_tango_timestamp,
         NULL::timestamptz AS last_checked_at
    FROM families f
    CROSS JOIN LATERAL (SELECT max(w.delivery_pk) AS pk FROM webhook_event_families w WHERE w.family = f.family) m
    JOIN webhook_deliveries d ON d.id = m.pk
   WHERE f.family IS NOT NULL
  UNION ALL
  SELECT 'alert'::text, a.alert_id, d.received_at, d.delivery_id, d.tango_timestamp, m.checked
    FROM alerts a
    CROSS JOIN LATERAL (
      -- Two scalar subqueries, so each reads one end of an index.
      SELECT (SELECT max(e.delivery_pk) FROM webhook_events e WHERE e.alert_id = a.alert_id) AS pk,
             (SELECT max(e.checked_at) FROM webhook_events e WHERE e.alert_id = a.alert_id) AS checked
    ) m
    JOIN webhook_deliveries d ON d.id = m.pk
   WHERE a.alert_id IS NOT NULL`;

/**
 * No row on the ack path is shared by two deliveries. `delivery_state` (the last delivery per family and per alert)
 * was a table every ingest statement upserted: concurrent statements, of one replica or several, queued on its
 * rows for their whole duration, so one slow statement held up every delivery. Ingest now only inserts: one
 * `webhook_event_families` row per (family, delivery), and `delivery_state` becomes a view that reads the newest
 * of them (and of `webhook_events` per alert) through indexes. `last_tango_timestamp` is now the newest
 * delivery's. `down` turns the view back into a table filled from the same rows.
 */
export class DeliveryStateView1795338600000 implements MigrationInterface {
  name = 'DeliveryStateView1795338600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_event_families (
        family text NOT NULL,
        delivery_pk bigint NOT NULL,
        PRIMARY KEY (family, delivery_pk)
      )
    `);
    await queryRunner.query(
      `COMMENT ON TABLE webhook_event_families IS 'tango-sync: the families each stored delivery counts as a delivery for (insert-only)'`,
    );
    await queryRunner.query(`
      INSERT INTO webhook_event_families (family, delivery_pk)
      SELECT DISTINCT resource, delivery_pk FROM webhook_events WHERE resource IS NOT NULL
    `);
    await queryRunner.query(
      'CREATE INDEX webhook_events_alert_delivery ON webhook_events (alert_id, delivery_pk) WHERE alert_id IS NOT NULL',
    );
    await queryRunner.query('DROP TABLE delivery_state');
    await queryRunner.query(DELIVERY_STATE_VIEW);
    await queryRunner.query(
      `COMMENT ON VIEW delivery_state IS 'tango-sync: last delivery per resource family and per alert (derived; ingest only inserts)'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE delivery_state_table AS SELECT * FROM delivery_state');
    await queryRunner.query('DROP VIEW delivery_state');
    await queryRunner.query('ALTER TABLE delivery_state_table RENAME TO delivery_state');
    await queryRunner.query(`
      ALTER TABLE delivery_state
        ALTER COLUMN scope SET NOT NULL,
        ALTER COLUMN scope_key SET NOT NULL,
        ADD CHECK (scope IN ('resource', 'alert')),
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        ADD PRIMARY KEY (scope, scope_key)
    `);
    await queryRunner.query(
      `COMMENT ON TABLE delivery_state IS 'tango-sync: last delivery per resource family and per alert (written by webhook ingest only)'`,
    );
    await queryRunner.query('DROP INDEX webhook_events_alert_delivery');
    await queryRunner.query('DROP TABLE webhook_event_families');
  }
}
