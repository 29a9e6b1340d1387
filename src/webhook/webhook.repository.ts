import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type FetchTarget, type ParsedDelivery, type ParsedEvent } from './delivery-parser';

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

export interface StoredDeliveryForReprocess {
  readonly deliveryPk: string;
  readonly rawBody: Buffer;
  readonly headerDeliveryId: string | null;
  readonly status: string;
}

/** Merged hints for one record within a single delivery (ON CONFLICT may touch a row only once per statement). */
interface TargetRow {
  readonly target: FetchTarget;
  hints: number;
}

/**
 * All SQL of the webhook module. A new delivery is written by one statement (data-modifying CTEs), which
 * Postgres runs as one transaction: the delivery, its events, the coalesced fetch targets and the sync state
 * commit together or not at all, in a single round trip.
 */
@Injectable()
export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  async storeDelivery(delivery: DeliveryToStore): Promise<StoreOutcome> {
    const { parsed } = delivery;
    const targets = mergeTargets(parsed.events);
    const params = new SqlParams();
    const deliveryValues = [
      delivery.deliveryKey,
      parsed.deliveryId,
      delivery.bodySha256,
      delivery.rawBody,
      JSON.stringify(delivery.headers),
      delivery.receivedAt,
      parsed.tangoTimestamp,
      parsed.format,
      parsed.status,
      JSON.stringify(allProblems(parsed)),
      parsed.events.length,
      targets.length,
      delivery.verifiedBy,
    ].map((value) => params.add(value));
    const fresh = 'SELECT id FROM delivery WHERE NOT duplicate';
    const rows = await this.dataSource.query<{ id: string; duplicate: boolean }[]>(
      `WITH delivery AS (
         INSERT INTO webhook_deliveries
           (delivery_key, delivery_id, body_sha256, raw_body, headers, received_at, tango_timestamp, format, status,
            problems, event_count, target_count, verified_by)
         VALUES (${deliveryValues[0]}, ${deliveryValues[1]}, ${deliveryValues[2]}, ${deliveryValues[3]},
                 ${deliveryValues[4]}::jsonb, ${deliveryValues[5]}, ${deliveryValues[6]}::timestamptz, ${deliveryValues[7]},
                 ${deliveryValues[8]}, ${deliveryValues[9]}::jsonb, ${deliveryValues[10]}, ${deliveryValues[11]}, ${deliveryValues[12]})
         ON CONFLICT (delivery_key) DO UPDATE
           SET duplicate_count = webhook_deliveries.duplicate_count + 1, last_duplicate_at = clock_timestamp()
         RETURNING id, (xmax <> 0) AS duplicate
       ),
       events AS (${insertEventsSql(fresh, parsed.events, params)}),
       targets AS (${upsertTargetsSql(fresh, targets, params)}),
       family_state AS (${familyStateSql(fresh, delivery, parsed, params)}),
       alert_state AS (${alertStateSql(fresh, delivery, parsed, params)})
       SELECT id::text AS id, duplicate,
              CASE WHEN NOT duplicate AND ${params.add(targets.length)}::int > 0
                   THEN pg_notify('fetch_targets', ${params.add(String(targets.length))}) END AS notified
         FROM delivery`,
      params.values,
    );
    const row = rows[0];
    if (row === undefined) {
      throw new Error('storing the delivery returned no row');
    }
    return row.duplicate
      ? { outcome: 'duplicate', deliveryPk: row.id }
      : { outcome: 'stored', deliveryPk: row.id, targetCount: targets.length };
  }

  /** Replaces a stored delivery's parse (events, status) and enqueues its targets; for the reprocess command. */
  async replaceParse(deliveryPk: string, parsed: ParsedDelivery): Promise<number> {
    const targets = mergeTargets(parsed.events);
    const params = new SqlParams();
    const pk = params.add(deliveryPk);
    const fresh = `SELECT id FROM webhook_deliveries WHERE id = ${pk}::bigint`;
    await this.dataSource.transaction(async (manager) => {
      await manager.query('DELETE FROM webhook_events WHERE delivery_pk = $1', [deliveryPk]);
      await manager.query(
        `WITH events AS (${insertEventsSql(fresh, parsed.events, params)}),
              targets AS (${upsertTargetsSql(fresh, targets, params)})
         UPDATE webhook_deliveries
            SET format = ${params.add(parsed.format)}, status = ${params.add(parsed.status)},
                problems = ${params.add(JSON.stringify(allProblems(parsed)))}::jsonb,
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
         FROM webhook_deliveries
        WHERE status <> 'processed' AND id > $1
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

/** Positional parameters for a statement assembled from fragments. */
class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Data-modifying CTE bodies; `fresh` selects the delivery's id, or nothing for a duplicate. */
function insertEventsSql(fresh: string, events: readonly ParsedEvent[], params: SqlParams): string {
  return `INSERT INTO webhook_events
            (delivery_pk, event_index, event_type, status, alert_id, query_type, resource, checked_at, tango_created_at,
             problems, payload, target_count)
          SELECT f.id, e.idx, e.event_type, e.status, e.alert_id, e.query_type, e.resource, e.checked_at, e.created_at,
                 e.problems::jsonb, e.payload::jsonb, e.target_count
            FROM (${fresh}) AS f,
                 unnest(${params.add(events.map((e) => e.index))}::int[], ${params.add(events.map((e) => e.eventType))}::text[],
                        ${params.add(events.map((e) => e.status))}::text[], ${params.add(events.map((e) => e.alertId))}::text[],
                        ${params.add(events.map((e) => e.queryType))}::text[], ${params.add(events.map((e) => e.resource))}::text[],
                        ${params.add(events.map((e) => e.checkedAt))}::timestamptz[],
                        ${params.add(events.map((e) => e.createdAt))}::timestamptz[],
                        ${params.add(events.map((e) => JSON.stringify(e.problems)))}::text[],
                        ${params.add(events.map((e) => (e.payload === undefined ? 'null' : JSON.stringify(e.payload))))}::text[],
                        ${params.add(events.map((e) => e.targets.length))}::int[])
              AS e(idx, event_type, status, alert_id, query_type, resource, checked_at, created_at, problems, payload,
                   target_count)
          RETURNING 1`;
}

/**
 * Coalescing insert into the outbox: a pending target for the same record absorbs the hint (counted); when the
 * record's target was already claimed for fetching, a new pending one is created, so the newest change is fetched.
 * Rows arrive sorted, so concurrent deliveries lock them in the same order (no deadlocks).
 */
function upsertTargetsSql(fresh: string, targets: readonly TargetRow[], params: SqlParams): string {
  return `INSERT INTO fetch_targets
            (resource, record_id, id_kind, kind, priority, reason, sweep_spec, hint_count, first_delivery_pk, last_delivery_pk)
          SELECT t.resource, t.record_id, t.id_kind, t.kind, 0, t.reason, t.sweep_spec::jsonb, t.hints, f.id, f.id
            FROM (${fresh}) AS f,
                 unnest(${params.add(targets.map((t) => t.target.resource))}::text[],
                        ${params.add(targets.map((t) => t.target.recordId))}::text[],
                        ${params.add(targets.map((t) => t.target.idKind))}::text[],
                        ${params.add(targets.map((t) => t.target.kind))}::text[],
                        ${params.add(targets.map((t) => t.target.reason))}::text[],
                        ${params.add(targets.map((t) => (t.target.kind === 'sweep' ? JSON.stringify(t.target.sweep) : null)))}::text[],
                        ${params.add(targets.map((t) => t.hints))}::int[])
              AS t(resource, record_id, id_kind, kind, reason, sweep_spec, hints)
          ON CONFLICT (resource, record_id) WHERE status = 'pending' DO UPDATE
            SET hint_count = fetch_targets.hint_count + EXCLUDED.hint_count,
                last_hinted_at = clock_timestamp(),
                last_delivery_pk = EXCLUDED.last_delivery_pk,
                reason = EXCLUDED.reason,
                priority = LEAST(fetch_targets.priority, EXCLUDED.priority),
                sweep_spec = COALESCE(EXCLUDED.sweep_spec, fetch_targets.sweep_spec)
          RETURNING 1`;
}

/**
 * Last delivery per resource family, for the health module. These rows are shared by every delivery, so they are
 * refreshed at most once a second: a hot row locked by each ingest transaction would serialise all of them.
 */
function familyStateSql(
  fresh: string,
  delivery: DeliveryToStore,
  parsed: ParsedDelivery,
  params: SqlParams,
): string {
  const families = [
    ...new Set(parsed.events.map((e) => e.resource).filter((r): r is ResourceFamily => r !== null)),
  ].sort();
  const receivedAt = params.add(delivery.receivedAt);
  return `UPDATE sync_state
             SET last_delivery_received_at = ${receivedAt}::timestamptz, last_delivery_id = ${params.add(parsed.deliveryId)},
                 last_tango_timestamp = GREATEST(last_tango_timestamp, ${params.add(parsed.tangoTimestamp)}::timestamptz),
                 updated_at = clock_timestamp()
           WHERE scope = 'resource' AND scope_key = ANY(${params.add(families)}::text[])
             AND EXISTS (${fresh})
             AND (last_delivery_received_at IS NULL OR last_delivery_received_at < ${receivedAt}::timestamptz - interval '1 second')
          RETURNING 1`;
}

/** Last delivery and last `checked_at` per alert. */
function alertStateSql(
  fresh: string,
  delivery: DeliveryToStore,
  parsed: ParsedDelivery,
  params: SqlParams,
): string {
  const latestCheck = new Map<string, string | null>();
  for (const event of parsed.events) {
    if (event.alertId !== null) {
      const previous = latestCheck.get(event.alertId) ?? null;
      latestCheck.set(
        event.alertId,
        previous !== null && (event.checkedAt === null || previous > event.checkedAt)
          ? previous
          : event.checkedAt,
      );
    }
  }
  const ids = [...latestCheck.keys()].sort();
  return `INSERT INTO sync_state
            (scope, scope_key, last_delivery_received_at, last_delivery_id, last_tango_timestamp, last_checked_at)
          SELECT 'alert', a.id, ${params.add(delivery.receivedAt)}::timestamptz, ${params.add(parsed.deliveryId)},
                 ${params.add(parsed.tangoTimestamp)}::timestamptz, a.checked_at
            FROM (${fresh}) AS f,
                 unnest(${params.add(ids)}::text[], ${params.add(ids.map((id) => latestCheck.get(id) ?? null))}::timestamptz[])
              AS a(id, checked_at)
          ON CONFLICT (scope, scope_key) DO UPDATE
            SET last_delivery_received_at = GREATEST(sync_state.last_delivery_received_at, EXCLUDED.last_delivery_received_at),
                last_delivery_id = EXCLUDED.last_delivery_id,
                last_tango_timestamp = GREATEST(sync_state.last_tango_timestamp, EXCLUDED.last_tango_timestamp),
                last_checked_at = GREATEST(sync_state.last_checked_at, EXCLUDED.last_checked_at),
                updated_at = clock_timestamp()
          RETURNING 1`;
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
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
