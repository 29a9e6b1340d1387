import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { whileRenewingLease } from '../database/lease-renewal';
import { DataSource } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { FAMILIES } from '../common/tango/families';
import { CHANGE_EVENT_LANES, changeEventLaneSql } from '../mirror/mirror.repository';
import { buildChangeEvent, type ChangeEventRow, ChangeEventRowError } from './change-event.envelope';
import { type ChangeEvent } from './change-event.schema';

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

/** A `change_events` row as SQL returns it (snake_case), before it becomes a ChangeEventRow. */
export interface RawChangeEventRow {
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
  private readonly logger = new Logger(ChangeEventRepository.name);

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Takes a lease on the lanes with pending events, oldest first, that no other relay holds (one short statement
   * that skips locked lanes, so it never waits), reads each leased lane's pending rows in id order until `limit` events are gathered, hands them
   * to `publish` in that order, then marks them published and gives the leases back. No transaction is open while
   * `publish` talks to Kafka, and the leases are renewed while it waits. Two relays never publish the same lane at
   * once (unless renewals fail for a whole lease) and a lane's rows leave strictly in id order, so each record's events are published
   * in version order. A relay that dies after `publish` leaves the rows pending: they are published again with the
   * same event ids once its lease ends (a duplicate, never a gap).
   */
  async claimAndPublish(
    limit: number,
    leaseMs: number,
    publish: (events: readonly ClaimedChangeEvent[]) => Promise<void>,
  ): Promise<ClaimResult> {
    const holder = randomUUID();
    const leased = await this.dataSource.query<{ lane: number }[]>(
      `WITH candidates AS (
         SELECT l.lane, f.first_id
           FROM ${LANE_LIST} AS l(lane)
           CROSS JOIN LATERAL (
             SELECT min(c.id) AS first_id FROM change_events c WHERE c.status = 'pending' AND c.lane = l.lane
           ) f
          WHERE f.first_id IS NOT NULL
       ),
       free AS (
         SELECT r.lane FROM relay_lane_leases r JOIN candidates c USING (lane)
          WHERE r.leased_until <= clock_timestamp()
          ORDER BY r.lane
          FOR UPDATE OF r SKIP LOCKED
       ),
       taken AS (
         UPDATE relay_lane_leases AS r
            SET holder = $1, leased_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
           FROM free
          WHERE r.lane = free.lane
         RETURNING r.lane
       )
       SELECT c.lane FROM candidates c JOIN taken t USING (lane) ORDER BY c.first_id`,
      [holder, leaseMs],
    );
    const lanes = leased.map((row) => row.lane);
    if (lanes.length === 0) {
      return { published: 0, lanes, blocked: [] };
    }
    try {
      const { claimed, blocked } = await this.readLanes(lanes, limit);
      if (claimed.length > 0) {
        await whileRenewingLease(
          leaseMs,
          () =>
            this.dataSource.query(
              `UPDATE relay_lane_leases
                  SET leased_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
                WHERE holder = $1`,
              [holder, leaseMs],
            ),
          () => publish(claimed),
          (error) => {
            this.logger.warn({ err: error }, 'change-event lane leases not renewed; trying again');
          },
        );
        await this.dataSource.query(
          `UPDATE change_events SET status = 'published', published_at = clock_timestamp()
            WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
          [claimed.map((event) => event.rowId)],
        );
      }
      return { published: claimed.length, lanes, blocked };
    } finally {
      await this.dataSource
        .query(`UPDATE relay_lane_leases SET holder = NULL, leased_until = '-infinity' WHERE holder = $1`, [
          holder,
        ])
        .catch(() => undefined);
    }
  }

  /** The pending events of leased lanes, each lane in id order, until `limit`; a lane stops at an invalid row. */
  private async readLanes(
    lanes: readonly number[],
    limit: number,
  ): Promise<{ claimed: ClaimedChangeEvent[]; blocked: BlockedLane[] }> {
    const claimed: ClaimedChangeEvent[] = [];
    const blocked: BlockedLane[] = [];
    for (const lane of lanes) {
      if (claimed.length >= limit) {
        break;
      }
      const rows = await this.dataSource.query<RawChangeEventRow[]>(
        // Order by the bigint column, qualified: a bare `id` would sort by the text alias ('111' < '75').
        `SELECT c.id::text AS id, c.event_id::text AS event_id, c.resource, c.record_id, c.change_type, c.version,
                c.previous_hash, c.hash, c.changed_fields, c.record, c.provenance, c.occurred_at, c.lane
           FROM change_events c
          WHERE c.status = 'pending' AND c.lane = $1
          ORDER BY c.id
          LIMIT $2`,
        [lane, limit - claimed.length],
      );
      for (const raw of rows) {
        const row = toRow(raw);
        try {
          const event = buildChangeEvent(row);
          claimed.push({ rowId: row.id, lane, resource: event.resource, event });
        } catch (error) {
          if (!(error instanceof ChangeEventRowError)) {
            throw error;
          }
          blocked.push({ lane, error });
          break;
        }
      }
    }
    return { claimed, blocked };
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
           ON CONFLICT (event_id, replay_key) DO NOTHING
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

export function toRow(raw: RawChangeEventRow): ChangeEventRow {
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
