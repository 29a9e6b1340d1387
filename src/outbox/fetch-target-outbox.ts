import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { fetchTargetLockOrder, compareFetchTargetKeys } from '../database/lock-order';
import { notifyOutbox, OUTBOX_CHANNELS } from './channels';
import { type FetchRequest, priorityName } from './fetch-request';
import { type LeasedBatch, publishUnderLease } from './leased-publish';

export interface ClaimedTarget {
  readonly request: FetchRequest;
  readonly key: string;
}

/** A record (or alert sweep) to fetch (again) after `notBefore`. */
export interface RetryTarget {
  readonly resource: ResourceFamily;
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  readonly kind: FetchRequest['kind'];
  readonly reason: string;
  readonly priority: FetchRequest['priority'];
  readonly sweep: FetchRequest['sweep'];
  readonly attempt: number;
  readonly notBefore: Date;
}

const PRIORITY_NUMBER: Readonly<Record<FetchRequest['priority'], number>> = {
  live: 0,
  sweep: 1,
  backfill: 2,
};

interface ClaimedTargetRow {
  id: string;
  resource: ResourceFamily;
  record_id: string;
  id_kind: FetchRequest['idKind'];
  kind: FetchRequest['kind'];
  priority: number;
  reason: string;
  sweep_spec: FetchRequest['sweep'];
  hint_count: number;
  last_hinted_at: Date;
  attempt: number;
  delivery_ids: (string | null)[];
}

/**
 * Webhook ingest's part of the ingest statement: a coalescing insert into `fetch_targets` from `source`, a relation
 * with the columns (resource, record_id, id_kind, kind, reason, sweep_spec, hints, delivery_pk), one row per hint.
 * The same record named by several deliveries becomes one row (hints summed, the newest delivery's kind, reason and
 * sweep filters), and a pending target for it absorbs the hint (counted); when the record's target was already
 * claimed for fetching, a new pending one is created, so the newest change is fetched. Rows are written (and
 * locked) in the order every writer of fetch_targets uses (fetchTargetLockOrder), so no two writers deadlock.
 * Returns one row per target written; the statement notifies `OUTBOX_CHANNELS.fetchTargets`.
 */
export function hintFetchTargetsSql(source: string): string {
  return `INSERT INTO fetch_targets
            (resource, record_id, id_kind, kind, priority, reason, sweep_spec, hint_count, first_delivery_pk, last_delivery_pk)
          SELECT DISTINCT ON (${fetchTargetLockOrder('t')})
                 t.resource, t.record_id, t.id_kind, t.kind, 0, t.reason, t.sweep_spec,
                 (sum(t.hints) OVER record)::int, min(t.delivery_pk) OVER record, max(t.delivery_pk) OVER record
            FROM ${source} AS t
          WINDOW record AS (PARTITION BY t.resource, t.record_id ORDER BY t.delivery_pk DESC
                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
           ORDER BY ${fetchTargetLockOrder('t')}, t.delivery_pk DESC
          ON CONFLICT (resource, record_id) WHERE status = 'pending' DO UPDATE
            SET hint_count = fetch_targets.hint_count + EXCLUDED.hint_count,
                last_hinted_at = clock_timestamp(),
                last_delivery_pk = EXCLUDED.last_delivery_pk,
                reason = EXCLUDED.reason,
                priority = LEAST(fetch_targets.priority, EXCLUDED.priority),
                sweep_spec = COALESCE(EXCLUDED.sweep_spec, fetch_targets.sweep_spec)
          RETURNING 1`;
}

/** The ingest statement's wake-up of the fetch-target relays, over its `targets` CTE. */
export function notifyFetchTargetsSql(targets: string): string {
  return `SELECT pg_notify('${OUTBOX_CHANNELS.fetchTargets}', n::text)
            FROM (SELECT count(*) AS n FROM ${targets}) AS c WHERE n > 0`;
}

/**
 * The `fetch_targets` outbox: the fetcher's, sweeps' and redrives' writer (webhook ingest writes through
 * `hintFetchTargetsSql` in its own statement), and the relay's row claims.
 */
@Injectable()
export class FetchTargetOutbox {
  private readonly logger = new Logger(FetchTargetOutbox.name);

  constructor(private readonly dataSource: DataSource) {}

  /** Puts targets in the outbox to be fetched after `notBefore` (coalescing with pending hints). */
  async enqueue(targets: readonly RetryTarget[], manager?: EntityManager): Promise<void> {
    if (targets.length === 0) {
      return;
    }
    const sorted = [...targets].sort(compareFetchTargetKeys);
    const db = manager ?? this.dataSource.manager;
    await db.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, priority, reason, sweep_spec, attempt, not_before)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::jsonb[], $8::int[],
                            $9::timestamptz[])
                  AS u(resource, record_id, id_kind, kind, priority, reason, sweep_spec, attempt, not_before)
        ORDER BY ${fetchTargetLockOrder('u')}
       ON CONFLICT (resource, record_id) WHERE status = 'pending' DO UPDATE
         SET attempt = GREATEST(fetch_targets.attempt, EXCLUDED.attempt),
             not_before = GREATEST(fetch_targets.not_before, EXCLUDED.not_before),
             priority = LEAST(fetch_targets.priority, EXCLUDED.priority),
             hint_count = fetch_targets.hint_count + 1,
             last_hinted_at = clock_timestamp()`,
      [
        sorted.map((t) => t.resource),
        sorted.map((t) => t.recordId),
        sorted.map((t) => t.idKind),
        sorted.map((t) => t.kind),
        sorted.map((t) => PRIORITY_NUMBER[t.priority]),
        sorted.map((t) => t.reason),
        sorted.map((t) => (t.sweep === null ? null : JSON.stringify(t.sweep))),
        sorted.map((t) => t.attempt),
        sorted.map((t) => t.notBefore),
      ],
    );
    await notifyOutbox(db, OUTBOX_CHANNELS.fetchTargets, targets.length);
  }

  /**
   * Claims up to `limit` due targets and publishes them under the claim's lease (see publishUnderLease); returns
   * how many were marked published.
   */
  async claimAndPublish(
    limit: number,
    leaseMs: number,
    publish: (targets: readonly ClaimedTarget[]) => Promise<void>,
  ): Promise<number> {
    return publishUnderLease(leaseMs, await this.claim(limit, leaseMs), publish);
  }

  /**
   * Claims up to `limit` due targets (live first) with a lease: one short statement (`FOR UPDATE SKIP LOCKED`, so
   * relays on several replicas never claim the same row); a claimed row stays `pending` until it is settled. A
   * target hinted again after its claim stays pending at the settle (its newest hint is published again).
   */
  async claim(limit: number, leaseMs: number): Promise<LeasedBatch<ClaimedTarget>> {
    const token = randomUUID();
    const rows = await this.claimRows(limit, leaseMs, token);
    const ids = rows.map((row) => row.id);
    return {
      items: rows.map(claimedTarget),
      renew: () => this.renewClaim(ids, token, leaseMs),
      settle: () => this.settleClaim(ids, token, true),
      release: () => this.settleClaim(ids, token, false),
      onRenewError: (error) => {
        this.logger.warn({ err: error }, 'fetch-target claim not renewed; trying again');
      },
    };
  }

  private claimRows(limit: number, leaseMs: number, token: string): Promise<ClaimedTargetRow[]> {
    return this.dataSource.query<ClaimedTargetRow[]>(
      `WITH due AS (
         SELECT id FROM fetch_targets
          WHERE status = 'pending' AND (not_before IS NULL OR not_before <= clock_timestamp())
            AND (claimed_until IS NULL OR claimed_until <= clock_timestamp())
          ORDER BY priority, id
          LIMIT $1
          FOR UPDATE SKIP LOCKED
       ),
       claimed AS (
         UPDATE fetch_targets AS t
            SET claim_token = $2, claimed_at = clock_timestamp(),
                claimed_until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
           FROM due WHERE t.id = due.id
         RETURNING t.*
       )
       SELECT t.id::text AS id, t.resource, t.record_id, t.id_kind, t.kind, t.priority, t.reason, t.sweep_spec,
              t.hint_count, t.last_hinted_at, t.attempt,
              ARRAY[first_delivery.delivery_id, last_delivery.delivery_id] AS delivery_ids
         FROM claimed t
         LEFT JOIN webhook_deliveries first_delivery ON first_delivery.id = t.first_delivery_pk
         LEFT JOIN webhook_deliveries last_delivery ON last_delivery.id = t.last_delivery_pk
        ORDER BY t.priority, t.id`,
      [limit, token, leaseMs],
    );
  }

  /** Extends a claim still held (rows locked in the shared order, lock-order.ts). */
  private async renewClaim(ids: readonly string[], token: string, leaseMs: number): Promise<void> {
    await this.dataSource.query(
      `WITH locked AS (
         SELECT id FROM fetch_targets
          WHERE id = ANY($1::bigint[]) AND claim_token = $2
          ORDER BY ${fetchTargetLockOrder('fetch_targets')}
          FOR UPDATE
       )
       UPDATE fetch_targets AS t
          SET claimed_until = clock_timestamp() + make_interval(secs => $3::float8 / 1000)
         FROM locked WHERE t.id = locked.id`,
      [ids, token, leaseMs],
    );
  }

  /**
   * Ends a claim: published targets not hinted again since their claim become `published`; the others (and all of
   * them when `published` is false) go back to plain pending. Rows are locked in the shared order (lock-order.ts).
   * Returns how many were marked published.
   */
  private async settleClaim(ids: readonly string[], token: string, published: boolean): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    const [row] = await this.dataSource.query<{ published: number }[]>(
      `WITH locked AS (
         SELECT id FROM fetch_targets
          WHERE id = ANY($1::bigint[]) AND claim_token = $2
          ORDER BY ${fetchTargetLockOrder('fetch_targets')}
          FOR UPDATE
       ),
       settled AS (
         UPDATE fetch_targets AS t
            SET status = CASE WHEN $3 AND t.last_hinted_at <= t.claimed_at THEN 'published' ELSE t.status END,
                published_at = CASE WHEN $3 AND t.last_hinted_at <= t.claimed_at THEN clock_timestamp()
                                    ELSE t.published_at END,
                claim_token = NULL, claimed_at = NULL, claimed_until = NULL
           FROM locked WHERE t.id = locked.id
         RETURNING t.status
       )
       SELECT count(*) FILTER (WHERE status = 'published')::int AS published FROM settled`,
      [ids, token, published],
    );
    return row?.published ?? 0;
  }
}

function claimedTarget(row: ClaimedTargetRow): ClaimedTarget {
  return {
    key: `${row.resource}:${row.record_id}`,
    request: {
      schema: 'tango-sync.fetch-request.v1',
      targetId: row.id,
      resource: row.resource,
      recordId: row.record_id,
      idKind: row.id_kind,
      kind: row.kind,
      priority: priorityName(row.priority),
      reason: row.reason,
      hintedAt: row.last_hinted_at.toISOString(),
      hintCount: row.hint_count,
      attempt: row.attempt,
      deliveryIds: [...new Set(row.delivery_ids.filter((id): id is string => id !== null))],
      sweep: row.sweep_spec,
    },
  };
}
