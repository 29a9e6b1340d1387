import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The `enriched` change: a record whose new version only adds what the previous one did not hold (fields that
 * appeared when the family's shape was widened to the whole record, a code asked for as `{code, description}`),
 * with every value it held unchanged. Consumers can tell it from an `updated` change: nothing they knew changed.
 * `tango_sync_only_added(previous, current)` decides it, in the mirror's one upsert statement.
 */
export class EnrichedChangeType1796690000000 implements MigrationInterface {
  name = 'EnrichedChangeType1796690000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION tango_sync_only_added(previous jsonb, current jsonb) RETURNS boolean
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        key text;
        value jsonb;
      BEGIN
        IF jsonb_typeof(previous) = 'object' AND jsonb_typeof(current) = 'object' THEN
          FOR key, value IN SELECT * FROM jsonb_each(previous) LOOP
            IF NOT (current ? key) OR NOT tango_sync_only_added(value, current -> key) THEN
              RETURN false;
            END IF;
          END LOOP;
          RETURN true;
        ELSIF jsonb_typeof(previous) = 'array' AND jsonb_typeof(current) = 'array' THEN
          IF jsonb_array_length(previous) <> jsonb_array_length(current) THEN
            RETURN false;
          END IF;
          FOR position IN 0 .. jsonb_array_length(previous) - 1 LOOP
            IF NOT tango_sync_only_added(previous -> position, current -> position) THEN
              RETURN false;
            END IF;
          END LOOP;
          RETURN true;
        ELSIF jsonb_typeof(previous) IN ('string', 'number') AND jsonb_typeof(current) = 'object' THEN
          -- A code asked for plainly before and expanded now: the same code, with its description added.
          RETURN current -> 'code' = previous;
        END IF;
        RETURN previous = current;
      END $$`);
    await queryRunner.query(`
      COMMENT ON FUNCTION tango_sync_only_added(jsonb, jsonb) IS
        'tango-sync: true when current holds every value of previous unchanged and only adds keys (or expands a code)'`);
    await queryRunner.query(`
      ALTER TABLE change_events DROP CONSTRAINT change_events_change_type_check,
        ADD CONSTRAINT change_events_change_type_check
          CHECK (change_type IN ('created', 'updated', 'enriched', 'deleted', 'snapshot'))`);
    await queryRunner.query(`
      ALTER TABLE record_history DROP CONSTRAINT record_history_change_type_check,
        ADD CONSTRAINT record_history_change_type_check
          CHECK (change_type IN ('created', 'updated', 'enriched', 'deleted'))`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Older code knows enrichments as updates (which they are, with nothing previously held changed).
    await queryRunner.query(
      `UPDATE change_events SET change_type = 'updated' WHERE change_type = 'enriched'`,
    );
    await queryRunner.query(
      `UPDATE record_history SET change_type = 'updated' WHERE change_type = 'enriched'`,
    );
    await queryRunner.query(`
      ALTER TABLE change_events DROP CONSTRAINT change_events_change_type_check,
        ADD CONSTRAINT change_events_change_type_check
          CHECK (change_type IN ('created', 'updated', 'deleted', 'snapshot'))`);
    await queryRunner.query(`
      ALTER TABLE record_history DROP CONSTRAINT record_history_change_type_check,
        ADD CONSTRAINT record_history_change_type_check CHECK (change_type IN ('created', 'updated', 'deleted'))`);
    await queryRunner.query(`DROP FUNCTION tango_sync_only_added(jsonb, jsonb)`);
  }
}
