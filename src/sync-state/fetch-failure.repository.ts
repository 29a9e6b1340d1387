import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { compareFetchTargetKeys } from '../database/lock-order';
import { type FetchRequest } from '../outbox/fetch-request';
import { FetchTargetOutbox } from '../outbox/fetch-target-outbox';

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

/** Failed fetches (`fetch_failures`): recorded and resolved with the fetcher's writes, redriven by operators. */
@Injectable()
export class FetchFailureRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: FetchTargetOutbox,
  ) {}

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
      await this.outbox.enqueue(
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
}
