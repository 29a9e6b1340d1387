import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type JsonRecord } from '../common/json';
import { type ResourceFamily } from '../common/tango/resource-family';
import { notifyOutbox, OUTBOX_CHANNELS } from '../outbox/channels';
import { insertChangeEventsSql } from '../outbox/change-event-outbox';

/** One version of one record, as `record_timeline` gives it. */
export interface RecordVersion {
  readonly version: number;
  readonly changeType: 'created' | 'updated' | 'enriched' | 'deleted';
  readonly validFrom: Date;
  /** When the next version replaced it; null for the current version. */
  readonly validTo: Date | null;
  readonly sourceModifiedAt: Date | null;
  readonly changedFields: readonly string[];
  readonly hash: string | null;
  readonly eventId: string;
  readonly record: JsonRecord | null;
  readonly provenance: Readonly<Record<string, unknown>>;
}

export interface HistoryReplayBatch {
  /** History rows read in this batch. */
  readonly selected: number;
  /** Outbox rows written (fewer when this replay id already wrote some). */
  readonly inserted: number;
  /** Keyset cursor: the last row's (valid_from, record_id, version); null when the batch was empty. */
  readonly after: HistoryCursor | null;
}

export interface HistoryCursor {
  /** As Postgres prints it (microseconds kept: a JS Date would cut them and the cursor would not move on). */
  readonly validFrom: string;
  readonly recordId: string;
  readonly version: number;
}

/** The window of history a replay re-publishes, and where it is in it. */
export interface HistoryWindow {
  readonly from: Date;
  readonly to: Date;
  readonly after: HistoryCursor | null;
  readonly limit: number;
  readonly replayId: string;
}

/** Reads `record_history` (timelines) and re-publishes windows of it through the change-event outbox. */
@Injectable()
export class HistoryRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Every kept version of one record, oldest first. */
  async timeline(family: ResourceFamily, recordId: string): Promise<RecordVersion[]> {
    const rows = await this.dataSource.query<
      {
        version: number;
        change_type: RecordVersion['changeType'];
        valid_from: Date;
        valid_to: Date | null;
        source_modified_at: Date | null;
        changed_fields: string[];
        hash: string | null;
        event_id: string;
        record: JsonRecord | null;
        provenance: Record<string, unknown>;
      }[]
    >(
      `SELECT version, change_type, valid_from, valid_to, source_modified_at, changed_fields, hash,
              event_id::text AS event_id, record, provenance
         FROM record_timeline
        WHERE resource = $1 AND record_id = $2
        ORDER BY version`,
      [family, recordId],
    );
    return rows.map((row) => ({
      version: row.version,
      changeType: row.change_type,
      validFrom: row.valid_from,
      validTo: row.valid_to,
      sourceModifiedAt: row.source_modified_at,
      changedFields: row.changed_fields,
      hash: row.hash,
      eventId: row.event_id,
      record: row.record,
      provenance: row.provenance,
    }));
  }

  /**
   * Writes the original change events of the next `limit` history rows of the window (valid_from in
   * [from, to), in time order) into the outbox again: the same event id, version, change type, time, fields,
   * record and provenance, with `replayId` added to the provenance and as the row's `replay_key` (so a re-run
   * with the same replay id writes nothing twice, and the original row, if still in the outbox, is untouched).
   */
  async insertReplayBatch(family: ResourceFamily, window: HistoryWindow): Promise<HistoryReplayBatch> {
    return this.dataSource.transaction(async (manager) => {
      const [result] = await manager.query<
        {
          selected: number;
          inserted: number;
          last_valid_from: string | null;
          last_record_id: string | null;
          last_version: number | null;
        }[]
      >(REPLAY_BATCH_SQL, [
        family,
        window.from,
        window.to,
        window.after?.validFrom ?? null,
        window.after?.recordId ?? null,
        window.after?.version ?? null,
        window.limit,
        window.replayId,
      ]);
      const inserted = result?.inserted ?? 0;
      await notifyOutbox(manager, OUTBOX_CHANNELS.changeEvents, inserted);
      const last =
        result?.last_valid_from && result.last_record_id !== null && result.last_version !== null
          ? {
              validFrom: result.last_valid_from,
              recordId: result.last_record_id,
              version: result.last_version,
            }
          : null;
      const after: HistoryCursor | null = last;
      return { selected: result?.selected ?? 0, inserted, after };
    });
  }
}

/**
 * A history version's `change_events.previous_values` from the record before it (`b.previous_record`): as the
 * mirror writes them live (MirrorRepository), or NULL (unknown) when the version before was pruned.
 */
const PREVIOUS_VALUES_OF_HISTORY = `CASE
       WHEN b.change_type = 'deleted' THEN b.previous_record
       WHEN b.change_type = 'created' OR b.previous_record IS NULL THEN NULL
       ELSE (SELECT COALESCE(jsonb_object_agg(k, b.previous_record -> k), '{}'::jsonb)
               FROM unnest(b.changed_fields) k WHERE b.previous_record ? k)
     END`;

/**
 * The next history rows of a replay window (after the keyset cursor), each rebuilt from its patches, written into
 * the change-event outbox again under the replay id.
 */
const REPLAY_BATCH_SQL = `WITH picked AS (
   SELECT h.record_id, h.version, h.valid_from FROM record_history h
    WHERE h.resource = $1 AND h.valid_from >= $2 AND h.valid_from < $3
      AND ($4::timestamptz IS NULL OR (h.valid_from, h.record_id, h.version) > ($4::timestamptz, $5::text, $6::int))
    ORDER BY h.valid_from, h.record_id, h.version
    LIMIT $7
 ),
 rebuilt AS (
   -- Each picked record's versions rebuilt from its patches (up to the newest picked one).
   SELECT f.* FROM (SELECT record_id, max(version) AS upto FROM picked GROUP BY record_id) r
   CROSS JOIN LATERAL (
     SELECT h.record_id, h.version, h.event_id, h.change_type, h.previous_hash, h.hash, h.changed_fields,
            h.provenance, h.valid_from,
            tango_fold(h.patch, h.removed_fields, h.is_full) OVER (ORDER BY h.version) AS record
       FROM record_history h
      WHERE h.resource = $1 AND h.record_id = r.record_id AND h.version <= r.upto
   ) f
 ),
 folded AS (
   -- With the record before each version (a deleted version folds to NULL: a re-creation's "before" is the
   -- record before the delete), so replayed events carry the old values their live events carried.
   SELECT b.*, ${PREVIOUS_VALUES_OF_HISTORY} AS previous_values
     FROM (
       SELECT r.*, COALESCE(lag(r.record) OVER w, lag(r.record, 2) OVER w) AS previous_record
         FROM rebuilt r
       WINDOW w AS (PARTITION BY r.record_id ORDER BY r.version)
     ) b
 ),
 inserted AS (
   ${insertChangeEventsSql(
     'picked p JOIN folded f ON f.record_id = p.record_id AND f.version = p.version',
     {
       eventId: 'f.event_id',
       resource: '$1',
       recordId: 'f.record_id',
       changeType: 'f.change_type',
       version: 'f.version',
       previousHash: 'f.previous_hash',
       hash: 'f.hash',
       changedFields: 'f.changed_fields',
       record: 'f.record',
       previousValues: 'f.previous_values',
       provenance: `f.provenance || jsonb_build_object('replayId', $8::text)`,
       occurredAt: 'f.valid_from',
       replayKey: '$8::text',
     },
     { orderBy: 'p.valid_from, p.record_id, p.version', returning: true },
   )}
 ),
 last AS (
   SELECT valid_from, record_id, version FROM picked ORDER BY valid_from DESC, record_id DESC, version DESC LIMIT 1
 )
 SELECT (SELECT count(*)::int FROM picked) AS selected,
        (SELECT count(*)::int FROM inserted) AS inserted,
        (SELECT valid_from::text FROM last) AS last_valid_from,
        (SELECT record_id FROM last) AS last_record_id,
        (SELECT version FROM last) AS last_version`;
