import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type LeasedBatch, publishUnderLease } from './leased-publish';

/** Number of lanes change events are spread over; one relay publishes a lane at a time, in id order. */
export const CHANGE_EVENT_LANES = 64;

/**
 * The lane of a record's change events. Only this module writes `change_events`, always with this expression, so
 * all events of one record share a lane (and so leave in order). The mask keeps it non-negative for any hash.
 */
function laneSql(resourceSql: string, idSql: string): string {
  return `((hashtext(${resourceSql} || ':' || ${idSql}) & 2147483647) % ${CHANGE_EVENT_LANES})`;
}

/** One `change_events` row as the relay reads it. */
export interface ChangeEventRow {
  /** The outbox row's identity (bigint, as text): the publish order within a lane. */
  readonly id: string;
  readonly eventId: string;
  readonly resource: string;
  readonly recordId: string;
  readonly changeType: string;
  readonly version: number;
  readonly previousHash: string | null;
  readonly hash: string | null;
  readonly changedFields: readonly string[];
  readonly record: unknown;
  /**
   * What the record held before the change: for `updated` and `enriched` the old values of the changed fields
   * that it had (an object; a field it lacked is absent), for `deleted` the whole last record; null for the others
   * and for rows written before the column existed.
   */
  readonly previousValues: unknown;
  /** As the mirror stores it: `{ deliveryIds, eventTypes, alertIds, reasons, snapshot?, replayId? }`. */
  readonly provenance: unknown;
  readonly occurredAt: Date;
  readonly lane: number;
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
  previous_values: unknown;
  provenance: unknown;
  occurred_at: Date;
  lane: number;
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
    previousValues: raw.previous_values,
    provenance: raw.provenance,
    occurredAt: raw.occurred_at,
    lane: raw.lane,
  };
}

/**
 * SQL expressions, over the caller's relation, of one change event per row. `occurredAt` defaults to the commit's
 * clock, `replayKey` to '' (a live or snapshot row; a replay sets it, so the same event may sit in the outbox
 * once per replay) and `previousValues` to NULL (see ChangeEventRow.previousValues).
 */
export interface ChangeEventColumns {
  readonly eventId: string;
  readonly resource: string;
  readonly recordId: string;
  readonly changeType: string;
  readonly version: string;
  readonly previousHash: string;
  readonly hash: string;
  readonly changedFields: string;
  readonly record: string;
  readonly provenance: string;
  readonly previousValues?: string;
  readonly occurredAt?: string;
  readonly replayKey?: string;
}

/**
 * The one writer of `change_events`: an `INSERT … SELECT` (for a data-modifying CTE of the caller's statement, so
 * the events commit with the change they describe) that assigns each event its record's lane and writes an event
 * id at most once per replay key. Callers notify `OUTBOX_CHANNELS.changeEvents` in the same transaction.
 */
export function insertChangeEventsSql(
  from: string,
  columns: ChangeEventColumns,
  options: { readonly orderBy?: string; readonly returning?: boolean } = {},
): string {
  return `INSERT INTO change_events (event_id, resource, record_id, change_type, version, previous_hash, hash,
                                    changed_fields, record, previous_values, provenance, lane, occurred_at,
                                    replay_key)
          SELECT ${columns.eventId}, ${columns.resource}, ${columns.recordId}, ${columns.changeType}, ${columns.version},
                 ${columns.previousHash}, ${columns.hash}, ${columns.changedFields}, ${columns.record},
                 ${columns.previousValues ?? 'NULL'}, ${columns.provenance}, ${laneSql(columns.resource, columns.recordId)},
                 ${columns.occurredAt ?? 'clock_timestamp()'}, ${columns.replayKey ?? "''"}
            FROM ${from}
           ${options.orderBy === undefined ? '' : `ORDER BY ${options.orderBy}`}
          ON CONFLICT (event_id, replay_key) DO NOTHING
          ${options.returning === true ? 'RETURNING 1' : ''}`;
}

/** A lane's pending rows, in publish order, as the relay hands them on. */
export interface ClaimedLaneRows<T, E extends Error> {
  readonly items: T[];
  /** Lanes held back at a row `decode` refused; their later rows wait behind it. */
  readonly blocked: BlockedLane<E>[];
}

/** A lane held back at a row that cannot become a valid message; its later rows wait behind it. */
export interface BlockedLane<E extends Error> {
  readonly lane: number;
  readonly error: E;
}

/** What one relay batch of change events did. */
export interface LaneClaimResult<E extends Error> {
  /** Rows handed to `publish` and marked published. */
  readonly published: number;
  /** Lanes this batch held (and published from, in id order). */
  readonly lanes: readonly number[];
  readonly blocked: readonly BlockedLane<E>[];
}

/** How the relay turns a row into what it publishes; a row it cannot turn into one stops its lane. */
export interface ChangeEventDecoder<T, E extends Error> {
  decode(row: ChangeEventRow): T;
  /** The error `decode` throws for a row that can never be published as it is (any other error is thrown on). */
  isRowError(error: unknown): error is E;
}

const LANE_LIST = `generate_series(0, ${CHANGE_EVENT_LANES - 1})`;

/**
 * The relay side of `change_events`: lane leases. A relay leases the lanes with pending events, oldest first, that
 * no other relay holds (one short statement that skips locked lanes, so it never waits), reads each leased lane's
 * pending rows in id order, publishes them, marks them published and gives the leases back. Two relays never
 * publish the same lane at once (unless renewals fail for a whole lease) and a lane's rows leave strictly in id
 * order, so each record's events are published in version order.
 */
@Injectable()
export class ChangeEventOutbox {
  private readonly logger = new Logger(ChangeEventOutbox.name);

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Leases lanes, reads up to `limit` of their pending rows (decoded) and publishes them under the leases (see
   * publishUnderLease): no transaction is open while `publish` talks to Kafka. A relay that dies after `publish`
   * leaves the rows pending: they are published again with the same event ids once its lease ends (a duplicate,
   * never a gap).
   */
  async claimAndPublish<T extends { readonly rowId: string }, E extends Error>(
    limit: number,
    leaseMs: number,
    decoder: ChangeEventDecoder<T, E>,
    publish: (items: readonly T[]) => Promise<void>,
  ): Promise<LaneClaimResult<E>> {
    const batch = await this.claim(limit, leaseMs, decoder);
    const published = await publishUnderLease(leaseMs, batch, publish);
    return { published, lanes: batch.lanes, blocked: batch.blocked };
  }

  /**
   * Leases lanes and reads up to `limit` of their pending rows, decoding each; a lane stops at a row `decode`
   * rejects with a `RowError` (any other error is thrown). The batch's `release` gives the leases back.
   */
  async claim<T extends { readonly rowId: string }, E extends Error>(
    limit: number,
    leaseMs: number,
    decoder: ChangeEventDecoder<T, E>,
  ): Promise<LeasedBatch<T> & Omit<LaneClaimResult<E>, 'published'>> {
    const holder = randomUUID();
    const lanes = await this.leaseLanes(holder, leaseMs);
    const release = (): Promise<unknown> =>
      this.dataSource.query(
        `UPDATE relay_lane_leases SET holder = NULL, leased_until = '-infinity' WHERE holder = $1`,
        [holder],
      );
    let read: ClaimedLaneRows<T, E> = { items: [], blocked: [] };
    try {
      read = await this.readLanes(lanes, limit, decoder);
    } catch (error) {
      await release().catch(() => undefined);
      throw error;
    }
    return {
      items: read.items,
      lanes,
      blocked: read.blocked,
      renew: () => this.renewLanes(holder, leaseMs),
      settle: async () => {
        try {
          await this.markPublished(read.items.map((item) => item.rowId));
        } finally {
          await release().catch(() => undefined);
        }
        return read.items.length;
      },
      release,
      onRenewError: (error) => {
        this.logger.warn({ err: error }, 'change-event lane leases not renewed; trying again');
      },
    };
  }

  private async leaseLanes(holder: string, leaseMs: number): Promise<number[]> {
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
    return leased.map((row) => row.lane);
  }

  private async renewLanes(holder: string, leaseMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE relay_lane_leases
          SET leased_until = clock_timestamp() + make_interval(secs => $2::float8 / 1000)
        WHERE holder = $1`,
      [holder, leaseMs],
    );
  }

  private async markPublished(rowIds: readonly string[]): Promise<void> {
    if (rowIds.length === 0) {
      return;
    }
    await this.dataSource.query(
      `UPDATE change_events SET status = 'published', published_at = clock_timestamp()
        WHERE id = ANY($1::bigint[]) AND status = 'pending'`,
      [rowIds],
    );
  }

  /** The pending rows of leased lanes, each lane in id order, until `limit`; a lane stops at an invalid row. */
  private async readLanes<T, E extends Error>(
    lanes: readonly number[],
    limit: number,
    decoder: ChangeEventDecoder<T, E>,
  ): Promise<ClaimedLaneRows<T, E>> {
    const items: T[] = [];
    const blocked: BlockedLane<E>[] = [];
    for (const lane of lanes) {
      if (items.length >= limit) {
        break;
      }
      const rows = await this.dataSource.query<RawChangeEventRow[]>(
        // Order by the bigint column, qualified: a bare `id` would sort by the text alias ('111' < '75').
        `SELECT c.id::text AS id, c.event_id::text AS event_id, c.resource, c.record_id, c.change_type, c.version,
                c.previous_hash, c.hash, c.changed_fields, c.record, c.previous_values, c.provenance, c.occurred_at,
                c.lane
           FROM change_events c
          WHERE c.status = 'pending' AND c.lane = $1
          ORDER BY c.id
          LIMIT $2`,
        [lane, limit - items.length],
      );
      for (const raw of rows) {
        try {
          items.push(decoder.decode(toRow(raw)));
        } catch (error) {
          if (!decoder.isRowError(error)) {
            throw error;
          }
          blocked.push({ lane, error });
          break;
        }
      }
    }
    return { items, blocked };
  }
}
