import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface RecentDelivery {
  readonly id: string;
  readonly deliveryId: string | null;
  readonly receivedAt: string;
  readonly status: string;
  readonly eventTypes: readonly string[];
  readonly events: number;
  readonly targets: number;
  /** Which configured secret verified it (a fingerprint, never the secret), or `insecure`. */
  readonly verifiedBy: string;
  readonly duplicates: number;
}

export interface RecentRejection {
  readonly occurredAt: string;
  readonly httpStatus: number;
  readonly code: string;
  readonly detail: string | null;
  readonly deliveryId: string | null;
  readonly bodyBytes: number | null;
}

export interface DeadLetter {
  readonly family: string;
  readonly recordId: string;
  readonly kind: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly lastFailedAt: string;
  readonly deadLetteredAt: string;
}

export interface ActivitySeries {
  readonly bucketSeconds: number;
  /** Bucket starts (unix seconds), oldest first, then one array per series, aligned with them. */
  readonly at: readonly number[];
  readonly deliveries: readonly number[];
  readonly recordsFetched: readonly number[];
  readonly tangoRequests: readonly number[];
  readonly tangoThrottled: readonly number[];
  readonly changesPublished: readonly number[];
}

export interface ActivitySample {
  readonly deliveries: number;
  readonly recordsFetched: number;
  readonly tangoRequests: number;
  readonly tangoThrottled: number;
  readonly changesPublished: number;
}

/** Mirror tables are counted exactly up to this many rows; above, Postgres's estimate is shown. */
const EXACT_UP_TO = 5_000;

/** Samples older than this are pruned by the sampler. */
const SAMPLE_RETENTION_HOURS = 48;

/** The console's lists and charts: read-only SQL over the tables the worker already keeps, and its samples. */
@Injectable()
export class ConsoleRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Rows per mirror table: exact up to EXACT_UP_TO (a count that stops there, so it costs the same on any table),
   * Postgres's estimate above (at least EXACT_UP_TO + 1, for a table not analyzed yet).
   */
  async mirrorCounts(
    tables: readonly string[],
    estimates: ReadonlyMap<string, number>,
  ): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<{ table: string; n: number }[]>(
      tables
        .map(
          (table) =>
            `SELECT '${table}' AS table, count(*)::int AS n FROM (SELECT 1 FROM ${table} WHERE deleted_at IS NULL LIMIT ${EXACT_UP_TO + 1}) x`,
        )
        .join(' UNION ALL '),
    );
    return new Map(
      rows.map((row) => [
        row.table,
        row.n <= EXACT_UP_TO ? row.n : Math.max(EXACT_UP_TO + 1, Math.round(estimates.get(row.table) ?? 0)),
      ]),
    );
  }

  async recentDeliveries(limit: number): Promise<RecentDelivery[]> {
    const rows = await this.dataSource.query<
      {
        id: string;
        delivery_id: string | null;
        received_at: Date;
        status: string;
        event_types: string[] | null;
        event_count: number;
        target_count: number;
        verified_by: string;
        duplicate_count: number;
      }[]
    >(
      `SELECT d.id::text AS id, d.delivery_id, d.received_at, d.status, d.event_count, d.target_count, d.verified_by,
              d.duplicate_count,
              (SELECT array_agg(DISTINCT e.event_type) FROM webhook_events e
                WHERE e.delivery_pk = d.id AND e.event_type IS NOT NULL) AS event_types
         FROM webhook_deliveries d ORDER BY d.received_at DESC, d.id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      id: row.id,
      deliveryId: row.delivery_id,
      receivedAt: row.received_at.toISOString(),
      status: row.status,
      eventTypes: row.event_types ?? [],
      events: row.event_count,
      targets: row.target_count,
      verifiedBy: row.verified_by,
      duplicates: row.duplicate_count,
    }));
  }

  async recentRejections(limit: number): Promise<RecentRejection[]> {
    const rows = await this.dataSource.query<
      {
        occurred_at: Date;
        http_status: number;
        code: string;
        detail: string | null;
        delivery_id: string | null;
        body_bytes: number | null;
      }[]
    >(
      `SELECT occurred_at, http_status, code, detail, delivery_id, body_bytes
         FROM webhook_rejections ORDER BY occurred_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      occurredAt: row.occurred_at.toISOString(),
      httpStatus: row.http_status,
      code: row.code,
      detail: row.detail,
      deliveryId: row.delivery_id,
      bodyBytes: row.body_bytes,
    }));
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    const rows = await this.dataSource.query<
      {
        resource: string;
        record_id: string;
        kind: string;
        attempts: number;
        last_status: number | null;
        last_error: string | null;
        last_failed_at: Date;
        dead_lettered_at: Date;
      }[]
    >(
      `SELECT resource, record_id, kind, attempts, last_status, last_error, last_failed_at, dead_lettered_at
         FROM fetch_failures WHERE dead_lettered_at IS NOT NULL AND resolved_at IS NULL
        ORDER BY dead_lettered_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      family: row.resource,
      recordId: row.record_id,
      kind: row.kind,
      attempts: row.attempts,
      lastStatus: row.last_status,
      lastError: row.last_error === null ? null : row.last_error.slice(0, 300),
      lastFailedAt: row.last_failed_at.toISOString(),
      deadLetteredAt: row.dead_lettered_at.toISOString(),
    }));
  }

  /** The replicas' samples summed per bucket over the last `hours`, empty buckets included. */
  async activity(hours: number, bucketSeconds: number): Promise<ActivitySeries> {
    const rows = await this.dataSource.query<
      {
        bucket: string;
        deliveries: string;
        records_fetched: string;
        tango_requests: string;
        tango_throttled: string;
        changes_published: string;
      }[]
    >(
      `WITH buckets AS (
         SELECT generate_series(
                  to_timestamp(floor(extract(epoch FROM clock_timestamp() - make_interval(hours => $1)) / $2) * $2),
                  clock_timestamp(), make_interval(secs => $2)) AS bucket
       )
       SELECT extract(epoch FROM b.bucket)::bigint::text AS bucket,
              COALESCE(sum(s.deliveries), 0)::text AS deliveries,
              COALESCE(sum(s.records_fetched), 0)::text AS records_fetched,
              COALESCE(sum(s.tango_requests), 0)::text AS tango_requests,
              COALESCE(sum(s.tango_throttled), 0)::text AS tango_throttled,
              COALESCE(sum(s.changes_published), 0)::text AS changes_published
         FROM buckets b
         LEFT JOIN console_samples s
           ON s.sampled_at >= b.bucket AND s.sampled_at < b.bucket + make_interval(secs => $2)
        GROUP BY b.bucket ORDER BY b.bucket`,
      [hours, bucketSeconds],
    );
    return {
      bucketSeconds,
      at: rows.map((row) => Number(row.bucket)),
      deliveries: rows.map((row) => Number(row.deliveries)),
      recordsFetched: rows.map((row) => Number(row.records_fetched)),
      tangoRequests: rows.map((row) => Number(row.tango_requests)),
      tangoThrottled: rows.map((row) => Number(row.tango_throttled)),
      changesPublished: rows.map((row) => Number(row.changes_published)),
    };
  }

  /** One replica's activity over its last interval; old samples are pruned on the way. */
  async recordSample(replica: string, intervalSeconds: number, sample: ActivitySample): Promise<void> {
    await this.dataSource.query(
      `WITH pruned AS (
         DELETE FROM console_samples WHERE sampled_at < clock_timestamp() - make_interval(hours => $8)
       )
       INSERT INTO console_samples
         (sampled_at, replica, interval_seconds, deliveries, records_fetched, tango_requests, tango_throttled,
          changes_published)
       VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6, $7)`,
      [
        replica,
        intervalSeconds,
        sample.deliveries,
        sample.recordsFetched,
        sample.tangoRequests,
        sample.tangoThrottled,
        sample.changesPublished,
        SAMPLE_RETENTION_HOURS,
      ],
    );
  }
}
