import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ParsedDelivery, type ParsedEvent, type FetchTarget } from './delivery-parser';
import { queryPrepared } from '../database/prepared-statement';
import { pgJson } from './pg-json';
import { hintFetchTargetsSql, notifyFetchTargetsSql } from '../outbox/fetch-target-outbox';

export interface DeliveryToStore {
  readonly deliveryKey: string;
  readonly bodySha256: string;
  readonly rawBody: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly receivedAt: Date;
  readonly verifiedBy: string;
  readonly parsed: ParsedDelivery;
}

export type StoreOutcome =
  | { readonly outcome: 'stored'; readonly deliveryPk: string; readonly targetCount: number }
  | { readonly outcome: 'duplicate'; readonly deliveryPk: string };

export interface RejectionRecord {
  readonly occurredAt: Date;
  readonly httpStatus: number;
  readonly code: string;
  readonly deliveryId: string | null;
  readonly bodySha256: string | null;
  readonly bodyBytes: number | null;
  readonly remoteAddress: string | null;
  readonly detail: string | null;
}

/** A delivery as stored, for an operator looking for one (a test delivery they just asked Tango to send). */
export interface StoredDeliverySummary {
  readonly deliveryPk: string;
  readonly deliveryId: string | null;
  readonly receivedAt: Date;
  readonly status: string;
  readonly verifiedBy: string;
  readonly rawBody: Buffer;
}

/** A rejection as recorded (no body). */
export interface RecordedRejection {
  readonly occurredAt: Date;
  readonly httpStatus: number;
  readonly code: string;
  readonly detail: string | null;
}

export interface StoredDeliveryForReprocess {
  readonly deliveryPk: string;
  readonly rawBody: Buffer;
  readonly headerDeliveryId: string | null;
  readonly status: string;
}

/** Merged hints for one record within a single delivery. */
interface TargetRow {
  readonly target: FetchTarget;
  hints: number;
}

/**
 * All SQL of the webhook module. New deliveries are written by one statement (data-modifying CTEs), which
 * Postgres runs as one transaction: each delivery, its events, the coalesced fetch targets and the sync state
 * commit together or not at all, in a single round trip. Several deliveries may share the statement (the
 * ingest path batches what arrives while the previous statements run), so every CTE is set-based over them.
 */
@Injectable()
export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** One delivery; see storeDeliveries. */
  async storeDelivery(delivery: DeliveryToStore): Promise<StoreOutcome> {
    const [outcome] = await this.storeDeliveries([delivery]);
    if (outcome === undefined) {
      throw new Error('storing the delivery returned no outcome');
    }
    return outcome;
  }

  /**
   * Stores several deliveries in one statement, so one transaction and one commit: each delivery, its events, the
   * fetch targets they name (coalesced across the deliveries, and with what is already pending) and the sync state.
   * Outcomes come back in input order. A delivery already stored, or repeated within the batch, is a duplicate and
   * creates no work; only deliveries inserted by this statement contribute events, targets and sync state.
   *
   * Rows travel as one JSON document per table (parsed by `jsonb_to_recordset`) and raw bodies as binary
   * parameters, which is far cheaper to encode than Postgres array literals.
   */
  async storeDeliveries(deliveries: readonly DeliveryToStore[]): Promise<StoreOutcome[]> {
    if (deliveries.length === 0) {
      return [];
    }
    const rows = uniqueDeliveries(deliveries);
    const params = new SqlParams();
    const stored = await queryPrepared<{ position: number; id: string; duplicate: boolean }>(
      this.dataSource,
      'webhook-store-deliveries-v5',
      storeDeliveriesSql(rows, params),
      params.values,
    );
    return outcomesInInputOrder(deliveries, rows, stored);
  }

  /** Replaces a stored delivery's parse (events, status) and enqueues its targets; for the reprocess command. */
  async replaceParse(deliveryPk: string, parsed: ParsedDelivery): Promise<number> {
    const targets = mergeTargets(parsed.events);
    const params = new SqlParams();
    const pk = params.add(deliveryPk);
    const rows = [{ position: 1, events: parsed.events, targets }];
    await this.dataSource.transaction(async (manager) => {
      await manager.query('DELETE FROM webhook_events WHERE delivery_pk = $1', [deliveryPk]);
      await manager.query(
        `WITH reprocessed AS (
           SELECT id, 1 AS position FROM webhook_deliveries WHERE id = ${pk}::bigint
         ),
         events AS (${insertEventsSql('reprocessed', rows, params)}),
         targets AS (${upsertTargetsSql('reprocessed', rows, params)}),
         families AS (${eventFamiliesSql('reprocessed', rows, params)})
         UPDATE webhook_deliveries
            SET format = ${params.add(parsed.format)}, status = ${params.add(parsed.status)},
                problems = ${params.add(pgJson(allProblems(parsed)))}::jsonb,
                event_count = ${params.add(parsed.events.length)}, target_count = ${params.add(targets.length)},
                reprocessed_at = clock_timestamp()
          WHERE id = ${pk}::bigint`,
        params.values,
      );
    });
    return targets.length;
  }

  async listNeedingReprocess(afterPk: string, limit: number): Promise<StoredDeliveryForReprocess[]> {
    const rows = await this.dataSource.query<
      { id: string; raw_body: Buffer; header_delivery_id: string | null; status: string }[]
    >(
      `SELECT id::text AS id, raw_body, headers->>'x-tango-delivery-id' AS header_delivery_id, status
         FROM webhook_deliveries d
        WHERE (status IN ('unrecognized', 'malformed', 'not_mirrored')
               -- a processed delivery may hold alerts of a resource turned on since (TANGO_RESOURCES)
               OR EXISTS (SELECT 1 FROM webhook_events e WHERE e.delivery_pk = d.id AND e.status = 'not_mirrored'))
          AND id > $1
        ORDER BY id
        LIMIT $2`,
      [afterPk, limit],
    );
    return rows.map((row) => ({
      deliveryPk: row.id,
      rawBody: row.raw_body,
      headerDeliveryId: row.header_delivery_id,
      status: row.status,
    }));
  }

  /** Deliveries received at or after `since`, newest first (at most `limit`). */
  async deliveriesSince(since: Date, limit = 50): Promise<StoredDeliverySummary[]> {
    const rows = await this.dataSource.query<
      {
        id: string;
        delivery_id: string | null;
        received_at: Date;
        status: string;
        verified_by: string;
        raw_body: Buffer;
      }[]
    >(
      `SELECT id::text AS id, delivery_id, received_at, status, verified_by, raw_body
         FROM webhook_deliveries WHERE received_at >= $1 ORDER BY received_at DESC LIMIT $2`,
      [since, limit],
    );
    return rows.map((row) => ({
      deliveryPk: row.id,
      deliveryId: row.delivery_id,
      receivedAt: row.received_at,
      status: row.status,
      verifiedBy: row.verified_by,
      rawBody: row.raw_body,
    }));
  }

  /** Rejections that happened at or after `since`, newest first (at most `limit`). */
  async rejectionsSince(since: Date, limit = 20): Promise<RecordedRejection[]> {
    const rows = await this.dataSource.query<
      { occurred_at: Date; http_status: number; code: string; detail: string | null }[]
    >(
      `SELECT occurred_at, http_status, code, detail FROM webhook_rejections
        WHERE occurred_at >= $1 ORDER BY occurred_at DESC LIMIT $2`,
      [since, limit],
    );
    return rows.map((row) => ({
      occurredAt: row.occurred_at,
      httpStatus: row.http_status,
      code: row.code,
      detail: row.detail,
    }));
  }

  async recordRejections(rejections: readonly RejectionRecord[]): Promise<void> {
    if (rejections.length === 0) {
      return;
    }
    await this.dataSource.query(
      `INSERT INTO webhook_rejections
         (occurred_at, http_status, code, delivery_id, body_sha256, body_bytes, remote_address, detail)
       SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[])`,
      [
        rejections.map((r) => r.occurredAt),
        rejections.map((r) => r.httpStatus),
        rejections.map((r) => r.code),
        rejections.map((r) => r.deliveryId),
        rejections.map((r) => r.bodySha256),
        rejections.map((r) => r.bodyBytes),
        rejections.map((r) => r.remoteAddress),
        rejections.map((r) => r.detail),
      ],
    );
  }
}

/** A delivery of a statement, once: its position, merged targets and how many copies of it the batch held. */
interface UniqueDelivery {
  readonly delivery: DeliveryToStore;
  readonly targets: TargetRow[];
  readonly copies: number;
  readonly position: number;
}

/** Each delivery key once (later copies counted), sorted by key so concurrent statements lock in one order. */
function uniqueDeliveries(deliveries: readonly DeliveryToStore[]): UniqueDelivery[] {
  const unique = new Map<string, { delivery: DeliveryToStore; targets: TargetRow[]; copies: number }>();
  for (const delivery of deliveries) {
    const seen = unique.get(delivery.deliveryKey);
    if (seen === undefined) {
      unique.set(delivery.deliveryKey, {
        delivery,
        targets: mergeTargets(delivery.parsed.events),
        copies: 1,
      });
    } else {
      seen.copies += 1;
    }
  }
  return [...unique.values()]
    .sort((a, b) => compareText(a.delivery.deliveryKey, b.delivery.deliveryKey))
    .map((row, index) => ({ ...row, position: index + 1 }));
}

/**
 * The ingest statement. All raw bodies travel in one binary parameter, cut apart by (1-based) offset, so the
 * statement text never changes with the batch size and its prepared plan is reused.
 */
function storeDeliveriesSql(rows: readonly UniqueDelivery[], params: SqlParams): string {
  const offsets: number[] = [];
  rows.reduce((offset, row) => {
    offsets.push(offset);
    return offset + row.delivery.rawBody.length;
  }, 1);
  const input = params.add(pgJson(rows.map((row) => deliveryInputRow(row, offsets[row.position - 1] ?? 1))));
  const bodies = params.add(Buffer.concat(rows.map((row) => row.delivery.rawBody)));
  const contributions = rows.map((row) => ({
    position: row.position,
    events: row.delivery.parsed.events,
    targets: row.targets,
  }));
  return `WITH input AS (
       SELECT * FROM jsonb_to_recordset(${input}::jsonb)
         AS d(position int, body_offset int, body_length int, delivery_key text, delivery_id text, body_sha256 text, headers jsonb,
              received_at timestamptz, tango_timestamp timestamptz, format text, status text, problems jsonb,
              event_count int, target_count int, verified_by text, extra_copies int)
     ),
     delivery AS (
       INSERT INTO webhook_deliveries
         (delivery_key, delivery_id, body_sha256, raw_body, headers, received_at, tango_timestamp, format, status,
          problems, event_count, target_count, verified_by, duplicate_count, last_duplicate_at)
       SELECT d.delivery_key, d.delivery_id, d.body_sha256,
              substring(${bodies}::bytea FROM d.body_offset FOR d.body_length), d.headers, d.received_at, d.tango_timestamp,
              d.format, d.status, d.problems, d.event_count, d.target_count, d.verified_by, d.extra_copies,
              CASE WHEN d.extra_copies > 0 THEN clock_timestamp() END
         FROM input AS d
        ORDER BY d.position
       ON CONFLICT (delivery_key) DO UPDATE
         SET duplicate_count = webhook_deliveries.duplicate_count + 1 + EXCLUDED.duplicate_count,
             last_duplicate_at = clock_timestamp()
       RETURNING id, delivery_key, delivery_id, received_at, tango_timestamp, (xmax <> 0) AS duplicate
     ),
     stored AS (SELECT i.position, x.* FROM delivery AS x JOIN input AS i USING (delivery_key)),
     fresh AS (SELECT * FROM stored WHERE NOT duplicate),
     events AS (${insertEventsSql('fresh', contributions, params)}),
     targets AS (${upsertTargetsSql('fresh', contributions, params)}),
     families AS (${eventFamiliesSql('fresh', contributions, params)}),
     notified AS (${notifyFetchTargetsSql('targets')})
     SELECT position, id::text AS id, duplicate, (SELECT count(*) FROM notified) AS notified FROM stored`;
}

/** One delivery as the statement's JSON input row. */
function deliveryInputRow(row: UniqueDelivery, bodyOffset: number): Record<string, unknown> {
  const { delivery } = row;
  return {
    position: row.position,
    body_offset: bodyOffset,
    body_length: delivery.rawBody.length,
    delivery_key: delivery.deliveryKey,
    delivery_id: delivery.parsed.deliveryId,
    body_sha256: delivery.bodySha256,
    headers: delivery.headers,
    received_at: delivery.receivedAt.toISOString(),
    tango_timestamp: delivery.parsed.tangoTimestamp,
    format: delivery.parsed.format,
    status: delivery.parsed.status,
    problems: allProblems(delivery.parsed),
    event_count: delivery.parsed.events.length,
    target_count: row.targets.length,
    verified_by: delivery.verifiedBy,
    extra_copies: row.copies - 1,
  };
}

/** Outcomes in input order: the first copy of a delivery the statement inserted is stored, every other a duplicate. */
function outcomesInInputOrder(
  deliveries: readonly DeliveryToStore[],
  rows: readonly UniqueDelivery[],
  stored: readonly { position: number; id: string; duplicate: boolean }[],
): StoreOutcome[] {
  const byPosition = new Map(stored.map((row) => [row.position, row]));
  const byKey = new Map(rows.map((row) => [row.delivery.deliveryKey, row]));
  const answered = new Set<string>();
  return deliveries.map((delivery): StoreOutcome => {
    const batched = byKey.get(delivery.deliveryKey);
    const row = batched === undefined ? undefined : byPosition.get(batched.position);
    if (batched === undefined || row === undefined) {
      throw new Error(`storing delivery ${delivery.deliveryKey} returned no row`);
    }
    const first = !answered.has(delivery.deliveryKey);
    answered.add(delivery.deliveryKey);
    return !row.duplicate && first
      ? { outcome: 'stored', deliveryPk: row.id, targetCount: batched.targets.length }
      : { outcome: 'duplicate', deliveryPk: row.id };
  });
}

/** Positional parameters for a statement assembled from fragments. */
class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** What one delivery of a statement contributes: its position (joined to the stored row), events and targets. */
interface DeliveryRows {
  readonly position: number;
  readonly events: readonly ParsedEvent[];
  readonly targets: readonly TargetRow[];
}

/**
 * Data-modifying CTE bodies. `fresh` names a relation with the columns (position, id, delivery_id, received_at,
 * tango_timestamp) of the deliveries this statement inserted; rows of a duplicate find no partner in it and write
 * nothing.
 */
function insertEventsSql(fresh: string, rows: readonly DeliveryRows[], params: SqlParams): string {
  const events = rows.flatMap((row) =>
    row.events.map((event) => ({
      position: row.position,
      idx: event.index,
      event_type: event.eventType,
      status: event.status,
      alert_id: event.alertId,
      query_type: event.queryType,
      resource: event.resource,
      checked_at: event.checkedAt,
      created_at: event.createdAt,
      problems: event.problems,
      new_count: event.newCount,
      modified_count: event.modifiedCount,
      target_count: event.targets.length,
      ids_dropped: event.idsDropped,
    })),
  );
  return `INSERT INTO webhook_events
            (delivery_pk, event_index, event_type, status, alert_id, query_type, resource, checked_at, tango_created_at,
             problems, new_count, modified_count, target_count, ids_dropped)
          SELECT f.id, e.idx, e.event_type, e.status, e.alert_id, e.query_type, e.resource, e.checked_at, e.created_at,
                 e.problems, e.new_count, e.modified_count, e.target_count, e.ids_dropped
            FROM jsonb_to_recordset(${params.add(pgJson(events))}::jsonb)
              AS e(position int, idx int, event_type text, status text, alert_id text, query_type text, resource text,
                   checked_at timestamptz, created_at timestamptz, problems jsonb, new_count int, modified_count int,
                   target_count int, ids_dropped int)
            JOIN ${fresh} AS f ON f.position = e.position
          RETURNING 1`;
}

/**
 * The fetch targets the deliveries name, as the outbox's hint rows (see hintFetchTargetsSql): one row per record a
 * delivery names, with its hint count and the delivery's primary key.
 */
function upsertTargetsSql(fresh: string, rows: readonly DeliveryRows[], params: SqlParams): string {
  const targets = rows.flatMap((row) =>
    row.targets.map(({ target, hints }) => ({
      position: row.position,
      resource: target.resource,
      record_id: target.recordId,
      id_kind: target.idKind,
      kind: target.kind,
      reason: target.reason,
      sweep_spec: target.kind === 'sweep' ? target.sweep : null,
      hints,
    })),
  );
  return hintFetchTargetsSql(`(
    SELECT h.resource, h.record_id, h.id_kind, h.kind, h.reason, h.sweep_spec, h.hints, f.id AS delivery_pk
      FROM jsonb_to_recordset(${params.add(pgJson(targets))}::jsonb)
        AS h(position int, resource text, record_id text, id_kind text, kind text, reason text, sweep_spec jsonb,
             hints int)
      JOIN ${fresh} AS f ON f.position = h.position
  )`);
}

/**
 * The families each delivery counts as a delivery for (the health module's "last delivery", read through the
 * `delivery_state` view). Insert-only: no two deliveries share a row, so concurrent ingest statements never wait on
 * each other here.
 */
function eventFamiliesSql(fresh: string, rows: readonly DeliveryRows[], params: SqlParams): string {
  const pairs = rows.flatMap((row) =>
    [...new Set(row.events.flatMap((e) => e.deliveredFor))].map((family) => ({
      position: row.position,
      family,
    })),
  );
  return `INSERT INTO webhook_event_families (family, delivery_pk)
          SELECT r.family, f.id
            FROM jsonb_to_recordset(${params.add(pgJson(pairs))}::jsonb) AS r(position int, family text)
            JOIN ${fresh} AS f ON f.position = r.position
          ON CONFLICT DO NOTHING
          RETURNING 1`;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function allProblems(parsed: ParsedDelivery): string[] {
  return [
    ...parsed.problems,
    ...parsed.events.flatMap((event) => event.problems.map((problem) => `event ${event.index}: ${problem}`)),
  ];
}

/** One row per (resource, record id) across the delivery, sorted; repeated hints are counted, not repeated. */
function mergeTargets(events: readonly ParsedEvent[]): TargetRow[] {
  const byKey = new Map<string, TargetRow>();
  for (const event of events) {
    for (const target of event.targets) {
      const key = `${target.resource}\u0000${target.recordId}`;
      const existing = byKey.get(key);
      if (existing === undefined) {
        byKey.set(key, { target, hints: 1 });
      } else {
        existing.hints += 1;
      }
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => compareText(a, b)).map(([, row]) => row);
}
