import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Webhook ingest: every signed delivery as received (raw bytes included), its events, the fetch-target outbox the
 * fetcher drains, and every non-2xx answer given (each one may be a delivery Tango later dropped).
 */
export class CreateWebhookIngest1795334823019 implements MigrationInterface {
  name = 'CreateWebhookIngest1795334823019';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        delivery_key text NOT NULL,
        delivery_id text,
        body_sha256 text NOT NULL,
        raw_body bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        tango_timestamp timestamptz,
        format text NOT NULL,
        status text NOT NULL CHECK (status IN ('processed', 'unrecognized', 'malformed')),
        problems jsonb NOT NULL DEFAULT '[]'::jsonb,
        event_count integer NOT NULL,
        target_count integer NOT NULL,
        verified_by text NOT NULL,
        duplicate_count integer NOT NULL DEFAULT 0,
        last_duplicate_at timestamptz,
        reprocessed_at timestamptz,
        CONSTRAINT webhook_deliveries_delivery_key_unique UNIQUE (delivery_key)
      )
    `);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_received_at ON webhook_deliveries (received_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_needs_attention ON webhook_deliveries (status) WHERE status <> 'processed'`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_delivery_id ON webhook_deliveries (delivery_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE webhook_events (
        delivery_pk bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
        event_index integer NOT NULL,
        event_type text,
        status text NOT NULL CHECK (status IN ('recognized', 'unrecognized', 'malformed')),
        alert_id text,
        query_type text,
        resource text,
        checked_at timestamptz,
        tango_created_at timestamptz,
        problems jsonb NOT NULL DEFAULT '[]'::jsonb,
        payload jsonb,
        target_count integer NOT NULL,
        PRIMARY KEY (delivery_pk, event_index)
      )
    `);
    await queryRunner.query(
      `CREATE INDEX webhook_events_alert ON webhook_events (alert_id, checked_at) WHERE alert_id IS NOT NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE fetch_targets (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        resource text NOT NULL CHECK (
          resource IN ('contracts', 'idvs', 'otas', 'otidvs', 'opportunities', 'notices', 'entities', 'grants', 'forecasts')
        ),
        record_id text NOT NULL,
        id_kind text NOT NULL CHECK (id_kind IN ('key', 'piid', 'uuid', 'uei', 'integer', 'forecast_subject', 'alert')),
        kind text NOT NULL CHECK (kind IN ('record', 'sweep')),
        priority smallint NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'published')),
        reason text NOT NULL,
        sweep_spec jsonb,
        hint_count integer NOT NULL DEFAULT 1,
        first_hinted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        last_hinted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        first_delivery_pk bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
        last_delivery_pk bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
        not_before timestamptz,
        attempt integer NOT NULL DEFAULT 0,
        published_at timestamptz
      )
    `);
    // At most one pending target per record: new hints coalesce into it until the relay claims it. A hint that
    // arrives after that finds no pending row and creates a new one, so the record is fetched once more.
    await queryRunner.query(
      `CREATE UNIQUE INDEX fetch_targets_one_pending ON fetch_targets (resource, record_id) WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX fetch_targets_pending_order ON fetch_targets (priority, id) WHERE status = 'pending'`,
    );

    await queryRunner.query(`
      CREATE TABLE webhook_rejections (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        http_status integer NOT NULL,
        code text NOT NULL,
        delivery_id text,
        body_sha256 text,
        body_bytes integer,
        remote_address text,
        detail text
      )
    `);
    await queryRunner.query(
      `CREATE INDEX webhook_rejections_occurred_at ON webhook_rejections (occurred_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE webhook_rejections');
    await queryRunner.query('DROP TABLE fetch_targets');
    await queryRunner.query('DROP TABLE webhook_events');
    await queryRunner.query('DROP TABLE webhook_deliveries');
  }
}
