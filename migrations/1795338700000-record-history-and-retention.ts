import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** The mirrored families as of this migration (frozen here: a migration never reads code that can change). */
const FAMILY_TABLES = [
  'contracts',
  'idvs',
  'otas',
  'otidvs',
  'opportunities',
  'notices',
  'entities',
  'grants',
  'forecasts',
] as const;

/**
 * History as a first-class, append-only log, and what retention needs.
 *
 * - `record_history`: every version of every mirrored record (created, updated, deleted), written in the same
 *   statement as the mirror upsert. Partitioned by family (`record_history_<family>`). Stored as patches: a
 *   version holds the top-level fields it set (`patch`) and removed (`removed_fields`) against the version before;
 *   a created version, the first after a deletion, and every 16th version hold the whole record (`is_full`), so
 *   rebuilding any version folds at most 16 patches (`tango_fold`, an aggregate). bench/history measured 1.6 kB a
 *   version with indexes as patches, 2.7 kB as whole lz4-compressed records (records under Postgres's 2 kB
 *   threshold are not compressed at all). `valid_to` and the whole `record` are derived by `record_timeline`.
 *   Seeded from the change events written so far (the outbox kept them all until now), as full versions, and, for a
 *   mirror row whose current version has no event, from the row itself.
 * - Analysts' entry points: the `record_timeline` view, `tango_record_as_of(family, at)` and one
 *   `<family>_as_of(at)` function per family.
 * - `change_events.replay_key`: '' for live and snapshot rows, the replay id for events re-published from history
 *   with their original event id, so one event id can leave again once per replay (and never twice in one).
 * - `job_leases`: short leases a replica renews (the exporter of the global gauges); `job_runs.last_tick_at`: when
 *   a timer tick (not a run asked for explicitly) last started the job, which decides whether the next tick is due.
 * - Indexes that let retention find old rows without scanning whole tables.
 */
export class RecordHistoryAndRetention1795338700000 implements MigrationInterface {
  name = 'RecordHistoryAndRetention1795338700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE record_history (
        resource text NOT NULL,
        record_id text NOT NULL,
        version integer NOT NULL,
        event_id uuid NOT NULL,
        change_type text NOT NULL CHECK (change_type IN ('created', 'updated', 'deleted')),
        valid_from timestamptz NOT NULL,
        source_modified_at timestamptz,
        previous_hash text,
        hash text,
        changed_fields text[] NOT NULL DEFAULT '{}',
        is_full boolean NOT NULL,
        patch jsonb,
        removed_fields text[] NOT NULL DEFAULT '{}',
        provenance jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (resource, record_id, version),
        CONSTRAINT record_history_full_or_patch CHECK (is_full OR patch IS NOT NULL)
      ) PARTITION BY LIST (resource)
    `);
    const lz4 = await supportsLz4(queryRunner);
    for (const family of FAMILY_TABLES) {
      await queryRunner.query(
        `CREATE TABLE record_history_${family} PARTITION OF record_history FOR VALUES IN ('${family}')`,
      );
      if (lz4) {
        // Full versions above 2 kB are compressed; lz4 is several times cheaper than pglz at about the same size.
        await queryRunner.query(
          `ALTER TABLE record_history_${family} ALTER COLUMN patch SET COMPRESSION lz4`,
        );
      }
    }
    await queryRunner.query(
      'CREATE INDEX record_history_valid_from ON record_history (resource, valid_from)',
    );
    await queryRunner.query(
      `COMMENT ON TABLE record_history IS 'tango-sync: every version of every mirrored record (append-only; see record_timeline)'`,
    );

    await queryRunner.query(`
      CREATE FUNCTION tango_fold_step(state jsonb, patch jsonb, removed text[], is_full boolean)
      RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN is_full THEN patch ELSE (COALESCE(state, '{}'::jsonb) - removed) || patch END
      $$
    `);
    await queryRunner.query(`
      CREATE AGGREGATE tango_fold(jsonb, text[], boolean) (SFUNC = tango_fold_step, STYPE = jsonb, PARALLEL = SAFE)
    `);
    await queryRunner.query(
      `COMMENT ON AGGREGATE tango_fold(jsonb, text[], boolean) IS 'tango-sync: a record rebuilt from its history rows (patch, removed_fields, is_full) in version order'`,
    );

    // Seed: every version the outbox kept (it was never pruned before this migration) ...
    await queryRunner.query(`
      INSERT INTO record_history (resource, record_id, version, event_id, change_type, valid_from, previous_hash, hash,
                                  changed_fields, is_full, patch, provenance)
      SELECT resource, record_id, version, event_id, change_type, occurred_at, previous_hash, hash, changed_fields,
             true, record, provenance
        FROM change_events
       WHERE change_type IN ('created', 'updated', 'deleted')
      ON CONFLICT DO NOTHING
    `);
    // ... and the current version of any mirror row that has no event for it.
    for (const family of FAMILY_TABLES) {
      const idField = await primaryKeyColumn(queryRunner, family);
      await queryRunner.query(
        `INSERT INTO record_history (resource, record_id, version, event_id, change_type, valid_from,
                                     source_modified_at, hash, is_full, patch, provenance)
         SELECT '${family}', m.${idField}::text, m.version, md5('${family}:' || m.${idField}::text || ':' || m.version)::uuid,
                CASE WHEN m.deleted_at IS NOT NULL THEN 'deleted' WHEN m.version = 1 THEN 'created' ELSE 'updated' END,
                m.changed_at, m.source_modified_at,
                CASE WHEN m.deleted_at IS NULL THEN m.content_hash END, true,
                CASE WHEN m.deleted_at IS NULL THEN m.record END,
                '{"reasons": ["history-seed"]}'::jsonb
           FROM ${family} m
         ON CONFLICT DO NOTHING`,
      );
    }

    await queryRunner.query(`
      CREATE VIEW record_timeline AS
      SELECT h.resource, h.record_id, h.version, h.change_type, h.valid_from,
             lead(h.valid_from) OVER w AS valid_to,
             h.source_modified_at, h.changed_fields, h.hash, h.previous_hash,
             tango_fold(h.patch, h.removed_fields, h.is_full) OVER w AS record,
             h.provenance, h.event_id
        FROM record_history h
      WINDOW w AS (PARTITION BY h.resource, h.record_id ORDER BY h.version)
    `);
    await queryRunner.query(
      `COMMENT ON VIEW record_timeline IS 'tango-sync: each version of each record with the time it was valid from and to (valid_to NULL: current)'`,
    );
    await queryRunner.query(`
      CREATE FUNCTION tango_record_as_of(family text, at timestamptz)
      RETURNS TABLE (record_id text, version integer, valid_from timestamptz, record jsonb)
      LANGUAGE sql STABLE AS $$
        SELECT v.record_id, v.version, v.valid_from, v.record
          FROM (
            SELECT DISTINCT ON (f.record_id) f.record_id, f.version, f.valid_from, f.change_type, f.record
              FROM (
                SELECT h.record_id, h.version, h.valid_from, h.change_type,
                       tango_fold(h.patch, h.removed_fields, h.is_full)
                         OVER (PARTITION BY h.record_id ORDER BY h.version) AS record
                  FROM record_history h
                 WHERE h.resource = family AND h.valid_from <= at
              ) f
             ORDER BY f.record_id, f.version DESC
          ) v
         WHERE v.change_type <> 'deleted'
      $$
    `);
    await queryRunner.query(
      `COMMENT ON FUNCTION tango_record_as_of(text, timestamptz) IS 'tango-sync: the records of a family as the mirror held them at a time'`,
    );
    for (const family of FAMILY_TABLES) {
      await queryRunner.query(`
        CREATE FUNCTION ${family}_as_of(at timestamptz)
        RETURNS TABLE (record_id text, version integer, valid_from timestamptz, record jsonb)
        LANGUAGE sql STABLE AS $$ SELECT * FROM tango_record_as_of('${family}', at) $$
      `);
    }

    await queryRunner.query(`ALTER TABLE change_events ADD COLUMN replay_key text NOT NULL DEFAULT ''`);
    await queryRunner.query('ALTER TABLE change_events DROP CONSTRAINT change_events_event_id_unique');
    await queryRunner.query(
      'ALTER TABLE change_events ADD CONSTRAINT change_events_event_replay_unique UNIQUE (event_id, replay_key)',
    );

    await queryRunner.query('ALTER TABLE job_runs ADD COLUMN last_tick_at timestamptz');
    await queryRunner.query(`
      CREATE TABLE job_leases (
        name text PRIMARY KEY,
        holder text,
        leased_until timestamptz NOT NULL DEFAULT '-infinity'
      )
    `);

    await queryRunner.query(
      `CREATE INDEX change_events_published ON change_events (published_at) WHERE status = 'published'`,
    );
    await queryRunner.query(
      `CREATE INDEX fetch_targets_published ON fetch_targets (published_at) WHERE status = 'published'`,
    );
    await queryRunner.query(
      'CREATE INDEX fetch_failures_resolved ON fetch_failures (resolved_at) WHERE resolved_at IS NOT NULL',
    );
    await queryRunner.query(
      'CREATE INDEX webhook_event_families_delivery ON webhook_event_families (delivery_pk)',
    );
    await queryRunner.query(
      'CREATE INDEX alert_observations_observed_at ON alert_observations (observed_at)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX alert_observations_observed_at');
    await queryRunner.query('DROP INDEX webhook_event_families_delivery');
    await queryRunner.query('DROP INDEX fetch_failures_resolved');
    await queryRunner.query('DROP INDEX fetch_targets_published');
    await queryRunner.query('DROP INDEX change_events_published');
    await queryRunner.query('DROP TABLE job_leases');
    await queryRunner.query('ALTER TABLE job_runs DROP COLUMN last_tick_at');
    // Rows re-published from history share their event id with the original: only one row per id can stay.
    await queryRunner.query(`DELETE FROM change_events WHERE replay_key <> ''`);
    await queryRunner.query('ALTER TABLE change_events DROP CONSTRAINT change_events_event_replay_unique');
    await queryRunner.query(
      'ALTER TABLE change_events ADD CONSTRAINT change_events_event_id_unique UNIQUE (event_id)',
    );
    await queryRunner.query('ALTER TABLE change_events DROP COLUMN replay_key');
    for (const family of FAMILY_TABLES) {
      await queryRunner.query(`DROP FUNCTION ${family}_as_of(timestamptz)`);
    }
    await queryRunner.query('DROP FUNCTION tango_record_as_of(text, timestamptz)');
    await queryRunner.query('DROP VIEW record_timeline');
    await queryRunner.query('DROP TABLE record_history');
    await queryRunner.query('DROP AGGREGATE tango_fold(jsonb, text[], boolean)');
    await queryRunner.query('DROP FUNCTION tango_fold_step(jsonb, jsonb, text[], boolean)');
  }
}

/** Whether this server was built with lz4 (SET COMPRESSION lz4 fails otherwise). */
async function supportsLz4(queryRunner: QueryRunner): Promise<boolean> {
  const rows = (await queryRunner.query(
    `SELECT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)) AS lz4`,
  )) as { lz4: boolean }[];
  return rows[0]?.lz4 === true;
}

/** The primary-key column of a mirror table (the families key their tables differently). */
async function primaryKeyColumn(queryRunner: QueryRunner, table: string): Promise<string> {
  const rows = (await queryRunner.query(
    `SELECT a.attname AS name
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = $1::regclass AND i.indisprimary`,
    [table],
  )) as { name: string }[];
  const name = rows[0]?.name;
  if (rows.length !== 1 || name === undefined) {
    throw new Error(`mirror table ${table} has no single-column primary key`);
  }
  return name;
}
