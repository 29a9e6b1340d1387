import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface SyncStateRow {
  readonly scope: 'resource' | 'alert';
  readonly scopeKey: string;
  readonly lastDeliveryReceivedAt: Date | null;
  readonly lastDeliveryId: string | null;
  readonly lastTangoTimestamp: Date | null;
  readonly lastCheckedAt: Date | null;
  readonly lastFetchSucceededAt: Date | null;
  readonly lastChangeEmittedAt: Date | null;
  readonly reconciledThrough: Date | null;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

export interface BacklogRow {
  readonly resource: string;
  readonly pending: number;
  readonly oldestAgeSeconds: number | null;
}

/** Read-only SQL behind GET /health and the health gauges. */
@Injectable()
export class HealthRepository {
  constructor(private readonly dataSource: DataSource) {}

  async syncStates(): Promise<SyncStateRow[]> {
    const rows = await this.dataSource.query<
      {
        scope: 'resource' | 'alert';
        scope_key: string;
        last_delivery_received_at: Date | null;
        last_delivery_id: string | null;
        last_tango_timestamp: Date | null;
        last_checked_at: Date | null;
        last_fetch_succeeded_at: Date | null;
        last_change_emitted_at: Date | null;
        reconciled_through: Date | null;
        last_error: string | null;
        last_error_at: Date | null;
      }[]
    >(
      // Deliveries (written by ingest) and fetch and reconcile progress (written by the fetcher and reconciler)
      // live in separate tables so the ack path never locks a row the others hold; they are read together here.
      `SELECT scope, scope_key, d.last_delivery_received_at, d.last_delivery_id, d.last_tango_timestamp,
              d.last_checked_at, s.last_fetch_succeeded_at, s.last_change_emitted_at, s.reconciled_through,
              s.last_error, s.last_error_at
         FROM sync_state AS s
         FULL JOIN delivery_state AS d USING (scope, scope_key)
        ORDER BY scope, scope_key`,
    );
    return rows.map((row) => ({
      scope: row.scope,
      scopeKey: row.scope_key,
      lastDeliveryReceivedAt: row.last_delivery_received_at,
      lastDeliveryId: row.last_delivery_id,
      lastTangoTimestamp: row.last_tango_timestamp,
      lastCheckedAt: row.last_checked_at,
      lastFetchSucceededAt: row.last_fetch_succeeded_at,
      lastChangeEmittedAt: row.last_change_emitted_at,
      reconciledThrough: row.reconciled_through,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at,
    }));
  }

  /** Pending fetch targets per family and the age of the oldest (by its first hint). */
  async fetchBacklog(): Promise<BacklogRow[]> {
    const rows = await this.dataSource.query<{ resource: string; pending: string; oldest: number | null }[]>(
      `SELECT resource, count(*)::text AS pending,
              EXTRACT(EPOCH FROM clock_timestamp() - min(first_hinted_at))::float8 AS oldest
         FROM fetch_targets WHERE status = 'pending' GROUP BY resource`,
    );
    return rows.map((row) => ({
      resource: row.resource,
      pending: Number(row.pending),
      oldestAgeSeconds: row.oldest,
    }));
  }

  /** Change events not yet relayed to Kafka, and the age of the oldest (the consumer-facing lag). */
  async changeEventLag(): Promise<{ pending: number; oldestAgeSeconds: number | null }> {
    const rows = await this.dataSource.query<{ pending: string; oldest: number | null }[]>(
      `SELECT count(*)::text AS pending, EXTRACT(EPOCH FROM clock_timestamp() - min(occurred_at))::float8 AS oldest
         FROM change_events WHERE status = 'pending'`,
    );
    return { pending: Number(rows[0]?.pending ?? 0), oldestAgeSeconds: rows[0]?.oldest ?? null };
  }

  /** Dead-lettered, unresolved failures per family. */
  async deadLetters(): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<{ resource: string; dead: string }[]>(
      `SELECT resource, count(*)::text AS dead FROM fetch_failures
        WHERE dead_lettered_at IS NOT NULL AND resolved_at IS NULL GROUP BY resource`,
    );
    return new Map(rows.map((row) => [row.resource, Number(row.dead)]));
  }

  /**
   * Per family, the fetches Tango refused for good and not yet resolved (`rejected` failures): how many, and the
   * newest one's status and Tango's message.
   */
  async rejectedFetches(): Promise<Map<string, RejectedFetches>> {
    const rows = await this.dataSource.query<
      {
        resource: string;
        count: string;
        last_status: number | null;
        last_error: string | null;
        last_failed_at: Date;
      }[]
    >(
      `SELECT DISTINCT ON (resource) resource, count(*) OVER (PARTITION BY resource)::text AS count,
              last_status, last_error, last_failed_at
         FROM fetch_failures
        WHERE kind = 'rejected' AND resolved_at IS NULL
        ORDER BY resource, last_failed_at DESC`,
    );
    return new Map(
      rows.map((row) => [
        row.resource,
        {
          count: Number(row.count),
          lastStatus: row.last_status,
          lastError: row.last_error,
          lastFailedAt: row.last_failed_at,
        },
      ]),
    );
  }

  /** Per family, ids that name no record and stay unresolved (bare PIIDs, forecast subjects). */
  async unresolvedIds(): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<{ resource: string; count: string }[]>(
      `SELECT resource, count(*)::text AS count FROM fetch_failures
        WHERE kind = 'unresolvable' AND resolved_at IS NULL GROUP BY resource`,
    );
    return new Map(rows.map((row) => [row.resource, Number(row.count)]));
  }

  /** Event types Tango lists (and has not stopped listing), for the parser to compare with what it knows. */
  /** Every table of tango-sync's schema, largest first (partitioned tables as one, summed over partitions). */
  async tableSizes(): Promise<TableSize[]> {
    const rows = await this.dataSource.query<{ table: string; bytes: string; rows: string }[]>(
      `SELECT c.relname AS table, s.bytes::text AS bytes, s.rows::bigint::text AS rows
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
         CROSS JOIN LATERAL (
           SELECT sum(pg_total_relation_size(p.oid)) AS bytes, sum(GREATEST(p.reltuples, 0)) AS rows
             FROM pg_class p
            WHERE p.oid = c.oid OR p.oid IN (SELECT t.relid FROM pg_partition_tree(c.oid) t)
         ) s
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
        ORDER BY s.bytes DESC, c.relname`,
    );
    return rows.map((row) => ({
      table: row.table,
      bytes: Number(row.bytes),
      estimatedRows: Number(row.rows),
    }));
  }

  async listedEventTypes(): Promise<string[]> {
    const rows = await this.dataSource.query<{ event_type: string }[]>(
      `SELECT event_type FROM tango_event_types WHERE delisted_at IS NULL ORDER BY event_type`,
    );
    return rows.map((row) => row.event_type);
  }
}

/** One table of the schema: its size on disk (with indexes and TOAST; partitions summed) and estimated rows. */
export interface TableSize {
  readonly table: string;
  readonly bytes: number;
  readonly estimatedRows: number;
}

export interface RejectedFetches {
  readonly count: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastFailedAt: Date;
}
