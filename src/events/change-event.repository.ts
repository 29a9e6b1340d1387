import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { FAMILIES } from '../common/tango/families';
import { CHANGE_EVENT_LANES, changeEventLaneSql } from '../mirror/mirror.repository';
import { buildChangeEvent, type ChangeEventRow, ChangeEventRowError } from './change-event.envelope';
import { type ChangeEvent } from './change-event.schema';

/**
 * First key of the two-key advisory locks relays take per lane (`pg_try_advisory_xact_lock(namespace, lane)`).
 * Arbitrary but fixed ('tsce'); the two-key form never collides with single-key locks such as the migration lock.
 */
export const CHANGE_EVENT_LANE_LOCK_NAMESPACE = 0x74_73_63_65;

/** NOTIFY channel the relay listens on (the mirror and the snapshot replay notify it). */
export const CHANGE_EVENT_CHANNEL = 'change_events';

export interface ClaimedChangeEvent {
  readonly rowId: string;
  readonly lane: number;
  readonly resource: ResourceFamily;
  readonly event: ChangeEvent;
}

/** A lane held back at a row that cannot become a valid event; its later rows wait behind it. */
export interface BlockedLane {
  readonly lane: number;
  readonly error: ChangeEventRowError;
}

export interface ClaimResult {
  /** Events handed to `publish` and marked published. */
  readonly published: number;
  /** Lanes this batch held (and published from, in id order). */
  readonly lanes: readonly number[];
  readonly blocked: readonly BlockedLane[];
}

export interface SnapshotBatch {
  /** Mirror rows read in this batch (live ones only). */
  readonly selected: number;
  /** Snapshot events written (fewer than selected when this replay id already wrote some). */
  readonly inserted: number;
  /** Keyset cursor for the next batch; null when the batch was empty. */
  readonly lastId: string | null;
}

interface RawChangeEventRow {
  id: string;
  event_id: string;
  resource: string;
  record_id: string;
  change_type: string;
  version: number;
  previous_hash: string | null;
  hash: string | null;
  changed_fields: string[];
  record: unknown;
  provenance: unknown;
  occurred_at: Date;
  lane: number;
}

const LANE_LIST = `generate_series(0, ${CHANGE_EVENT_LANES - 1})`;

/** The lane of a record: must stay the mirror's expression (mirror.repository.ts), or order across writers breaks. */
const laneSql = changeEventLaneSql;

/** SQL of the change-event outbox: lane claims for the relay and snapshot rows for replays. */
@Injectable()
export class ChangeEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * In one transaction: takes the lanes with pending events, oldest first, that no other relay holds
   * (`pg_try_advisory_xact_lock`, never waiting), reads each held lane's pending rows in id order (FOR UPDATE)
   * until `limit` events are gathered, hands them to `publish` in that order, marks them published, commits.
   * Two relays never publish the same lane at once and a lane's rows leave strictly in id order, so each record's
   * events are published in version order. A crash after `publish` and before commit leaves the rows pending: they
   * are published again later with the same event ids (a duplicate, never a gap).
   */
  async claimAndPublish(
    limit: number,
    publish: (events: readonly ClaimedChangeEvent[]) => Promise<void>,
  ): Promise<ClaimResult> {
    return this.dataSource.transaction(async (manager) => {
      const candidates = await manager.query<{ lane: number }[]>(
        `SELECT l.lane
           FROM ${LANE_LIST} AS l(lane)
           CROSS JOIN LATERAL (
             SELECT min(c.id) AS first_id FROM change_events c WHERE c.status = 'pending' AND c.lane = l.lane
           ) f
          WHERE f.first_id IS NOT NULL
          ORDER BY f.first_id`,
      );
      const claimed: ClaimedChangeEvent[] = [];
      const lanes: number[] = [];
      const blocked: BlockedLane[] = [];
      for (const { lane } of candidates) {
        if (claimed.length >= limit) {
          break;
        }
        // The lock is taken in its own statement: the rows are read by the next one, whose snapshot is newer than
        // the commit of whichever relay held the lane before.
        if (!(await this.tryLockLane(manager, lane))) {
          continue;
        }
        lanes.push(lane);
        const rows = await manager.query<RawChangeEventRow[]>(
          // Order by the bigint column, qualified: a bare `id` would sort by the text alias ('111' < '75').
          `SELECT c.id::text AS id, c.event_id::text AS event_id, c.resource, c.record_id, c.change_type, c.version,
                  c.previous_hash, c.hash, c.changed_fields, c.record, c.provenance, c.occurred_at, c.lane
             FROM change_events c
            WHERE c.status = 'pending' AND c.lane = $1
            ORDER BY c.id
            LIMIT $2
            FOR UPDATE`,
          [lane, limit - claimed.length],
        );
        for (const raw of rows) {
          const row = toRow(raw);
          let event: ChangeEvent;
          try {
            event = buildChangeEvent(row);
          } catch (error) {
            if (error instanceof ChangeEventRowError) {
              blocked.push({ lane, error });
              break;
            }
            throw error;
          }
          claimed.push({ rowId: row.id, lane, resource: event.resource, event });
        }
      }
      if (claimed.length === 0) {
        return { published: 0, lanes, blocked };
      }
      await publish(claimed);
      await manager.query(
        `UPDATE change_events SET status = 'published', published_at = clock_timestamp()
          WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
        [claimed.map((event) => event.rowId)],
      );
      return { published: claimed.length, lanes, blocked };
    });
  }

  private async tryLockLane(manager: EntityManager, lane: number): Promise<boolean> {
    const [row] = await manager.query<{ locked: boolean }[]>(
      'SELECT pg_try_advisory_xact_lock($1::int, $2::int) AS locked',
      [CHANGE_EVENT_LANE_LOCK_NAMESPACE, lane],
    );
    return row?.locked === true;
  }

  /**
   * Writes `snapshot` events for up to `limit` live (not deleted) mirror rows of a family after the keyset cursor,
   * optionally only those changed since a time, and notifies the relay. The mirror rows are read FOR SHARE: a
   * concurrent upsert of the same record either commits first (the snapshot then carries its new version, and
   * comes after its event) or waits for this transaction (its event then comes after the snapshot), so a snapshot
   * never overtakes a newer change of its record. The event id is md5(family:id:version:snapshot:replayId), so a
   * re-run with the same replay id adds nothing twice.
   */
  async insertSnapshotBatch(
    family: ResourceFamily,
    options: { afterId: string | null; since: Date | null; limit: number; replayId: string },
  ): Promise<SnapshotBatch> {
    const spec = FAMILIES[family];
    const provenance = {
      deliveryIds: [],
      eventTypes: [],
      alertIds: [],
      reasons: ['snapshot'],
      snapshot: true,
      replayId: options.replayId,
    };
    return this.dataSource.transaction(async (manager) => {
      const [result] = await manager.query<{ selected: number; inserted: number; last_id: string | null }[]>(
        `WITH picked AS (
           SELECT m.${spec.idField}::text AS id, m.${spec.idField} AS sort_key, m.version, m.content_hash, m.record
             FROM ${spec.table} m
            WHERE m.deleted_at IS NULL
              AND ($1::text IS NULL OR m.${spec.idField} > $1::${spec.idType})
              AND ($2::timestamptz IS NULL OR m.changed_at >= $2::timestamptz)
            ORDER BY m.${spec.idField}
            LIMIT $3
            FOR SHARE
         ),
         inserted AS (
           INSERT INTO change_events (event_id, resource, record_id, change_type, version, previous_hash, hash,
                                      changed_fields, record, provenance, lane)
           SELECT md5($4 || ':' || p.id || ':' || p.version || ':snapshot:' || $5)::uuid, $4, p.id, 'snapshot',
                  p.version, NULL, p.content_hash, '{}', p.record, $6::jsonb, ${laneSql('$4', 'p.id')}
             FROM picked p
            ORDER BY p.sort_key
           ON CONFLICT (event_id) DO NOTHING
           RETURNING 1
         )
         SELECT (SELECT count(*)::int FROM picked) AS selected,
                (SELECT count(*)::int FROM inserted) AS inserted,
                (SELECT p.id FROM picked p ORDER BY p.sort_key DESC LIMIT 1) AS last_id`,
        [options.afterId, options.since, options.limit, family, options.replayId, JSON.stringify(provenance)],
      );
      const batch: SnapshotBatch = {
        selected: result?.selected ?? 0,
        inserted: result?.inserted ?? 0,
        lastId: result?.last_id ?? null,
      };
      if (batch.inserted > 0) {
        await manager.query('SELECT pg_notify($1, $2)', [CHANGE_EVENT_CHANNEL, String(batch.inserted)]);
      }
      return batch;
    });
  }

  /** Tombstoned rows a replay skips (changed since `since`, when given). */
  async countDeleted(family: ResourceFamily, since: Date | null): Promise<number> {
    const spec = FAMILIES[family];
    const [row] = await this.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM ${spec.table}
        WHERE deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR changed_at >= $1::timestamptz)`,
      [since],
    );
    return row?.count ?? 0;
  }
}

function toRow(raw: RawChangeEventRow): ChangeEventRow {
  return {
    id: raw.id,
    eventId: raw.event_id,
    resource: raw.resource,
    recordId: raw.record_id,
    changeType: raw.change_type,
    version: raw.version,
    previousHash: raw.previous_hash,
    hash: raw.hash,
    changedFields: raw.changed_fields,
    record: raw.record,
    provenance: raw.provenance,
    occurredAt: raw.occurred_at,
    lane: raw.lane,
  };
}
