import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
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

/** All SQL of the webhook module. Every write of one delivery happens in one transaction. */
@Injectable()
export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  async storeDelivery(delivery: DeliveryToStore): Promise<StoreOutcome> {
    return this.inTransaction(async (runner) => {
      const { parsed } = delivery;
      const targets = mergeTargets(parsed.events);
      const inserted = (await runner.query(
        `INSERT INTO webhook_deliveries
           (delivery_key, delivery_id, body_sha256, raw_body, headers, received_at, tango_timestamp, format, status,
            problems, event_count, target_count, verified_by)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10::jsonb, $11, $12, $13)
         ON CONFLICT (delivery_key) DO UPDATE
           SET duplicate_count = webhook_deliveries.duplicate_count + 1, last_duplicate_at = clock_timestamp()
         RETURNING id::text AS id, (xmax <> 0) AS duplicate`,
        [
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
        ],
      )) as { id: string; duplicate: boolean }[];
      const row = inserted[0];
      if (row === undefined) {
        throw new Error('INSERT … RETURNING gave no row');
      }
      if (row.duplicate) {
        return { outcome: 'duplicate', deliveryPk: row.id };
      }
      await this.insertEvents(runner, row.id, parsed.events);
      await this.upsertTargets(runner, row.id, targets);
      await this.touchSyncState(runner, delivery, parsed);
      return { outcome: 'stored', deliveryPk: row.id, targetCount: targets.length };
    });
  }

  /** Replaces a stored delivery's parse (events, status) and enqueues its targets; for the reprocess command. */
  async replaceParse(deliveryPk: string, parsed: ParsedDelivery): Promise<number> {
    return this.inTransaction(async (runner) => {
      const targets = mergeTargets(parsed.events);
      await runner.query('DELETE FROM webhook_events WHERE delivery_pk = $1', [deliveryPk]);
      await this.insertEvents(runner, deliveryPk, parsed.events);
      await this.upsertTargets(runner, deliveryPk, targets);
      await runner.query(
        `UPDATE webhook_deliveries
            SET format = $2, status = $3, problems = $4::jsonb, event_count = $5, target_count = $6,
                reprocessed_at = clock_timestamp()
          WHERE id = $1`,
        [
          deliveryPk,
          parsed.format,
          parsed.status,
          JSON.stringify(allProblems(parsed)),
          parsed.events.length,
          targets.length,
        ],
      );
      return targets.length;
    });
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

  private async insertEvents(
    runner: QueryRunner,
    deliveryPk: string,
    events: readonly ParsedEvent[],
  ): Promise<void> {
    if (events.length === 0) {
      return;
    }
    await runner.query(
      `INSERT INTO webhook_events
         (delivery_pk, event_index, event_type, status, alert_id, query_type, resource, checked_at, tango_created_at,
          problems, payload, target_count)
       SELECT $1, e.idx, e.event_type, e.status, e.alert_id, e.query_type, e.resource, e.checked_at, e.created_at,
              e.problems::jsonb, e.payload::jsonb, e.target_count
         FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],
                     $9::timestamptz[], $10::text[], $11::text[], $12::int[])
           AS e(idx, event_type, status, alert_id, query_type, resource, checked_at, created_at, problems, payload,
                target_count)`,
      [
        deliveryPk,
        events.map((e) => e.index),
        events.map((e) => e.eventType),
        events.map((e) => e.status),
        events.map((e) => e.alertId),
        events.map((e) => e.queryType),
        events.map((e) => e.resource),
        events.map((e) => e.checkedAt),
        events.map((e) => e.createdAt),
        events.map((e) => JSON.stringify(e.problems)),
        events.map((e) => (e.payload === undefined ? 'null' : JSON.stringify(e.payload))),
        events.map((e) => e.targets.length),
      ],
    );
  }

  /**
   * Coalescing insert into the outbox: a pending target for the same record absorbs the hint (counted); when the
   * record's target was already claimed for fetching, a new pending one is created, so the newest change is fetched.
   * Rows go in a fixed order so concurrent deliveries lock them in the same order (no deadlocks).
   */
  private async upsertTargets(
    runner: QueryRunner,
    deliveryPk: string,
    targets: readonly TargetRow[],
  ): Promise<void> {
    if (targets.length === 0) {
      return;
    }
    await runner.query(
      `INSERT INTO fetch_targets
         (resource, record_id, id_kind, kind, priority, reason, sweep_spec, hint_count, first_delivery_pk, last_delivery_pk)
       SELECT t.resource, t.record_id, t.id_kind, t.kind, 0, t.reason, t.sweep_spec::jsonb, t.hints, $1, $1
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
           AS t(resource, record_id, id_kind, kind, reason, sweep_spec, hints)
       ON CONFLICT (resource, record_id) WHERE status = 'pending' DO UPDATE
         SET hint_count = fetch_targets.hint_count + EXCLUDED.hint_count,
             last_hinted_at = clock_timestamp(),
             last_delivery_pk = EXCLUDED.last_delivery_pk,
             reason = EXCLUDED.reason,
             priority = LEAST(fetch_targets.priority, EXCLUDED.priority),
             sweep_spec = COALESCE(EXCLUDED.sweep_spec, fetch_targets.sweep_spec)`,
      [
        deliveryPk,
        targets.map((t) => t.target.resource),
        targets.map((t) => t.target.recordId),
        targets.map((t) => t.target.idKind),
        targets.map((t) => t.target.kind),
        targets.map((t) => t.target.reason),
        targets.map((t) => (t.target.kind === 'sweep' ? JSON.stringify(t.target.sweep) : null)),
        targets.map((t) => t.hints),
      ],
    );
    await runner.query(`SELECT pg_notify('fetch_targets', $1)`, [String(targets.length)]);
  }

  /**
   * Last delivery per resource family and per alert, for the health module. The per-family rows are shared by
   * every delivery, so they are refreshed at most once a second: a hot row locked by each ingest transaction would
   * serialise all of them.
   */
  private async touchSyncState(
    runner: QueryRunner,
    delivery: DeliveryToStore,
    parsed: ParsedDelivery,
  ): Promise<void> {
    const families = [
      ...new Set(parsed.events.map((e) => e.resource).filter((r): r is ResourceFamily => r !== null)),
    ];
    if (families.length > 0) {
      await runner.query(
        `UPDATE sync_state
            SET last_delivery_received_at = $2, last_delivery_id = $3,
                last_tango_timestamp = GREATEST(last_tango_timestamp, $4::timestamptz), updated_at = clock_timestamp()
          WHERE scope = 'resource' AND scope_key = ANY($1::text[])
            AND (last_delivery_received_at IS NULL OR last_delivery_received_at < $2::timestamptz - interval '1 second')`,
        [families.sort(), delivery.receivedAt, parsed.deliveryId, parsed.tangoTimestamp],
      );
    }
    const alerts = new Map<string, { checkedAt: string | null }>();
    for (const event of parsed.events) {
      if (event.alertId !== null) {
        const previous = alerts.get(event.alertId)?.checkedAt ?? null;
        const checkedAt =
          previous !== null && (event.checkedAt === null || previous > event.checkedAt)
            ? previous
            : event.checkedAt;
        alerts.set(event.alertId, { checkedAt });
      }
    }
    if (alerts.size > 0) {
      const ids = [...alerts.keys()].sort();
      await runner.query(
        `INSERT INTO sync_state (scope, scope_key, last_delivery_received_at, last_delivery_id, last_tango_timestamp, last_checked_at)
         SELECT 'alert', a.id, $2, $3, $4, a.checked_at
           FROM unnest($1::text[], $5::timestamptz[]) AS a(id, checked_at)
         ON CONFLICT (scope, scope_key) DO UPDATE
           SET last_delivery_received_at = GREATEST(sync_state.last_delivery_received_at, EXCLUDED.last_delivery_received_at),
               last_delivery_id = EXCLUDED.last_delivery_id,
               last_tango_timestamp = GREATEST(sync_state.last_tango_timestamp, EXCLUDED.last_tango_timestamp),
               last_checked_at = GREATEST(sync_state.last_checked_at, EXCLUDED.last_checked_at),
               updated_at = clock_timestamp()`,
        [
          ids,
          delivery.receivedAt,
          parsed.deliveryId,
          parsed.tangoTimestamp,
          ids.map((id) => alerts.get(id)?.checkedAt ?? null),
        ],
      );
    }
  }

  private async inTransaction<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      try {
        const result = await work(runner);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        if (runner.isTransactionActive) {
          await runner.rollbackTransaction().catch(() => undefined);
        }
        throw error;
      }
    } finally {
      await runner.release();
    }
  }
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
