import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { whileRenewingLease } from '../database/lease-renewal';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type FetchRequest, priorityName } from './fetch-request';
import { compareFetchTargetKeys, fetchTargetLockOrder } from '../database/lock-order';

export interface ClaimedTarget {
  readonly request: FetchRequest;
  readonly key: string;
}

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

/**
 * Why a record is in `fetch_failures`: `error` (retryable, retried with backoff), `rejected` (Tango refused the
 * request for good), `not_found` (a 404 for an id never mirrored), `unresolvable` (a PIID or forecast subject that
 * names no record), `filter_ignored` (kept for old rows).
 */
export type FailureKind = 'error' | 'not_found' | 'unresolvable' | 'filter_ignored' | 'rejected';

export interface FailureRecord {
  readonly resource: ResourceFamily;
  readonly recordId: string;
  readonly idKind: string;
  readonly kind: FailureKind;
  readonly status: number | null;
  readonly error: string;
  readonly deadLettered: boolean;
  /** A failed alert re-run keeps its spec, so a redrive runs it again as a sweep. */
  readonly sweep: FetchRequest['sweep'];
}

const PRIORITY_NUMBER: Readonly<Record<FetchRequest['priority'], number>> = {
  live: 0,
  sweep: 1,
  backfill: 2,
};

/** SQL of the fetch-target outbox and of failed fetches. */
@Injectable()
export class FetchTargetRepository {
  private readonly logger = new Logger(FetchTargetRepository.name);

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` due targets (live first) with a lease, hands them to `publish`, then marks them published;
   * no transaction (and no row lock) is held while `publish` talks to Kafka, so ingest, which hints the same rows,
   * never waits on the broker. The claim is one short statement (`FOR UPDATE SKIP LOCKED`, so relays on several
   * replicas never claim the same row); a claimed row stays `pending` until the mark. A target hinted again after
   * its claim stays pending at the mark (its newest hint is published again); a failed publish releases the claim;
   * the lease is renewed while `publish` waits (so a hanging broker never lets another relay take the rows), and a
   * crash leaves them claimed until the lease ends, then they are published again (a duplicate the fetcher
   * tolerates), never lost.
   */
  async claimAndPublish(
    limit: number,
    leaseMs: number,
    publish: (targets: ClaimedTarget[]) => Promise<void>,
  ): Promise<number> {
    const token = randomUUID();
    const rows = await this.dataSource.query<
      {
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
      }[]
    >(
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
    if (rows.length === 0) {
      return 0;
    }
    const ids = rows.map((row) => row.id);
    try {
      await whileRenewingLease(
        leaseMs,
        () => this.renewClaim(ids, token, leaseMs),
        () =>
          publish(
            rows.map((row) => ({
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
            })),
          ),
        (error) => {
          this.logger.warn({ err: error }, 'fetch-target claim not renewed; trying again');
        },
      );
    } catch (error) {
      await this.settleClaim(ids, token, false).catch(() => undefined);
      throw error;
    }
    return this.settleClaim(ids, token, true);
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

  /** Puts targets back in the outbox to be fetched again after `notBefore` (coalescing with pending hints). */
  async requeue(targets: readonly RetryTarget[], manager?: EntityManager): Promise<void> {
    if (targets.length === 0) {
      return;
    }
    const sorted = [...targets].sort(compareFetchTargetKeys);
    await (manager ?? this.dataSource.manager).query(
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
    await (manager ?? this.dataSource.manager).query(`SELECT pg_notify('fetch_targets', $1)`, [
      String(targets.length),
    ]);
  }

  async recordFailures(failures: readonly FailureRecord[], manager?: EntityManager): Promise<void> {
    if (failures.length === 0) {
      return;
    }
    const sorted = [...failures].sort(compareFetchTargetKeys);
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO fetch_failures (resource, record_id, id_kind, kind, last_status, last_error, dead_lettered_at,
                                   sweep_spec)
       SELECT f.resource, f.record_id, f.id_kind, f.kind, f.status, f.error, CASE WHEN f.dead THEN clock_timestamp() END,
              f.sweep_spec
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::boolean[], $8::jsonb[])
           AS f(resource, record_id, id_kind, kind, status, error, dead, sweep_spec)
       ON CONFLICT (resource, record_id) DO UPDATE
         SET attempts = CASE WHEN fetch_failures.resolved_at IS NULL THEN fetch_failures.attempts + 1 ELSE 1 END,
             first_failed_at = CASE WHEN fetch_failures.resolved_at IS NULL THEN fetch_failures.first_failed_at
                                    ELSE clock_timestamp() END,
             kind = EXCLUDED.kind, last_status = EXCLUDED.last_status, last_error = EXCLUDED.last_error,
             last_failed_at = clock_timestamp(),
             dead_lettered_at = COALESCE(EXCLUDED.dead_lettered_at, fetch_failures.dead_lettered_at),
             sweep_spec = COALESCE(EXCLUDED.sweep_spec, fetch_failures.sweep_spec),
             resolved_at = NULL`,
      [
        sorted.map((f) => f.resource),
        sorted.map((f) => f.recordId),
        sorted.map((f) => f.idKind),
        sorted.map((f) => f.kind),
        sorted.map((f) => f.status),
        sorted.map((f) => f.error.slice(0, 2000)),
        sorted.map((f) => f.deadLettered),
        sorted.map((f) => (f.sweep === null ? null : JSON.stringify(f.sweep))),
      ],
    );
  }

  /** Fetches that succeeded close their open failure rows. */
  async resolveFailures(
    resource: ResourceFamily,
    recordIds: readonly string[],
    manager?: EntityManager,
  ): Promise<void> {
    if (recordIds.length === 0) {
      return;
    }
    await (manager ?? this.dataSource.manager).query(
      `UPDATE fetch_failures SET resolved_at = clock_timestamp()
        WHERE resource = $1 AND record_id = ANY($2::text[]) AND resolved_at IS NULL`,
      [resource, recordIds],
    );
  }

  /** Re-drives dead-lettered (or all open) failures as new live targets; returns how many were enqueued. */
  async redrive(options: { resource?: ResourceFamily; includeOpen: boolean }): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows = await manager.query<
        {
          resource: ResourceFamily;
          record_id: string;
          id_kind: FetchRequest['idKind'];
          sweep_spec: FetchRequest['sweep'];
        }[]
      >(
        // A SELECT around the UPDATE: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
        `WITH redriven AS (
           UPDATE fetch_failures SET redriven_at = clock_timestamp(), dead_lettered_at = NULL
            WHERE resolved_at IS NULL AND ($1::text IS NULL OR resource = $1)
              AND (dead_lettered_at IS NOT NULL OR $2::boolean)
            RETURNING resource, record_id, id_kind, sweep_spec
         )
         SELECT resource, record_id, id_kind, sweep_spec FROM redriven`,
        [options.resource ?? null, options.includeOpen],
      );
      await this.requeue(
        rows.map((row) => ({
          resource: row.resource,
          recordId: row.record_id,
          idKind: row.id_kind,
          kind: row.id_kind === 'alert' && row.sweep_spec !== null ? 'sweep' : 'record',
          reason: 'redrive',
          priority: 'live',
          sweep: row.id_kind === 'alert' ? row.sweep_spec : null,
          attempt: 0,
          notBefore: new Date(),
        })),
        manager,
      );
      return rows.length;
    });
  }

  /** Attempts recorded so far for open failures of these records. */
  async openFailureAttempts(
    resource: ResourceFamily,
    recordIds: readonly string[],
  ): Promise<Map<string, number>> {
    if (recordIds.length === 0) {
      return new Map();
    }
    const rows = await this.dataSource.query<{ record_id: string; attempts: number; kind: FailureKind }[]>(
      `SELECT record_id, attempts, kind FROM fetch_failures
        WHERE resource = $1 AND record_id = ANY($2::text[]) AND resolved_at IS NULL`,
      [resource, recordIds],
    );
    return new Map(rows.map((row) => [row.record_id, row.attempts]));
  }
}
