import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** What a retention rule prunes, named as /health, the metrics and the logs show it. */
export const RETENTION_TABLES = [
  'change_events',
  'webhook_deliveries',
  'fetch_targets',
  'fetch_failures',
  'webhook_rejections',
  'alert_observations',
  'record_history',
] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

/** `$n` days before now, as SQL (fractions of a day allowed). */
const cutoff = (param: string): string =>
  `clock_timestamp() - make_interval(secs => ${param}::float8 * 86400)`;

/**
 * The delete statements of retention, one per table. Each deletes at most `limit` rows that are old enough, in one
 * short statement of its own (no transaction spans two batches), and never a row that is still pending, still
 * needed by gap detection, still referenced by a pending fetch target or an open gap, or a record's current
 * version. Returns the rows deleted.
 */
@Injectable()
export class RetentionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Published change-event outbox rows (record_history keeps every version; pending rows are never touched). */
  async pruneChangeEvents(days: number, limit: number): Promise<number> {
    return this.count(
      `WITH doomed AS (
         SELECT id FROM change_events
          WHERE status = 'published' AND published_at < ${cutoff('$1')}
          ORDER BY published_at LIMIT $2
       ),
       gone AS (
         DELETE FROM change_events c USING doomed WHERE c.id = doomed.id RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, limit],
    );
  }

  /**
   * Webhook deliveries (raw body, events, family rows): processed (and not-mirrored) ones older than `days`,
   * malformed and unrecognized ones older than `unprocessedDays` (0: kept). Always kept: the newest delivery of each family and
   * of each alert (freshness and gap detection read them), deliveries whose alert events gap detection has not
   * counted yet (above the alert's latest observation), events over the fan-out limits not yet turned into a gap,
   * deliveries a pending fetch target names, and deliveries received inside an open gap's range.
   */
  async pruneDeliveries(days: number, unprocessedDays: number, limit: number): Promise<number> {
    return this.count(
      `WITH RECURSIVE families AS (
         SELECT min(family) AS family FROM webhook_event_families
         UNION ALL
         SELECT (SELECT min(w.family) FROM webhook_event_families w WHERE w.family > f.family)
           FROM families f WHERE f.family IS NOT NULL
       ),
       alerts AS (
         SELECT min(alert_id) AS alert_id FROM webhook_events WHERE alert_id IS NOT NULL
         UNION ALL
         SELECT (SELECT min(e.alert_id) FROM webhook_events e WHERE e.alert_id > a.alert_id)
           FROM alerts a WHERE a.alert_id IS NOT NULL
       ),
       newest AS (
         SELECT (SELECT max(w.delivery_pk) FROM webhook_event_families w WHERE w.family = f.family) AS pk
           FROM families f WHERE f.family IS NOT NULL
         UNION
         SELECT (SELECT max(e.delivery_pk) FROM webhook_events e WHERE e.alert_id = a.alert_id)
           FROM alerts a WHERE a.alert_id IS NOT NULL
       ),
       floor AS (
         SELECT (SELECT min(LEAST(t.first_delivery_pk, t.last_delivery_pk))
                   FROM fetch_targets t WHERE t.status = 'pending') AS below_pk,
                (SELECT COALESCE(max((g.detail->>'lastDeliveryPk')::bigint), 0)
                   FROM sync_gaps g WHERE g.cause = 'delivery_over_limits') AS over_limits_through_pk,
                (SELECT min(g.range_start) FROM sync_gaps g WHERE g.closed_at IS NULL) AS open_gap_start
       ),
       doomed AS (
         SELECT d.id FROM webhook_deliveries d, floor
          WHERE ((d.status NOT IN ('unrecognized', 'malformed') AND $1::float8 > 0 AND d.received_at < ${cutoff('$1')})
                 OR (d.status IN ('unrecognized', 'malformed') AND $2::float8 > 0 AND d.received_at < ${cutoff('$2')}))
            AND (floor.below_pk IS NULL OR d.id < floor.below_pk)
            AND (floor.open_gap_start IS NULL OR d.received_at < floor.open_gap_start)
            AND d.id NOT IN (SELECT pk FROM newest WHERE pk IS NOT NULL)
            AND NOT EXISTS (
              SELECT 1 FROM webhook_events e
               WHERE e.delivery_pk = d.id AND e.alert_id IS NOT NULL
                 AND e.delivery_pk > COALESCE(
                       (SELECT o.delivered_through_pk FROM alert_observations o
                         WHERE o.alert_id = e.alert_id ORDER BY o.observed_at DESC LIMIT 1),
                       e.delivery_pk)
            )
            AND NOT EXISTS (
              SELECT 1 FROM webhook_events e
               WHERE e.delivery_pk = d.id AND e.ids_dropped > 0 AND d.id > floor.over_limits_through_pk
            )
          ORDER BY d.id
          LIMIT $3
       ),
       families_gone AS (
         DELETE FROM webhook_event_families w USING doomed WHERE w.delivery_pk = doomed.id
       ),
       events_gone AS (
         DELETE FROM webhook_events e USING doomed WHERE e.delivery_pk = doomed.id
       ),
       gone AS (
         DELETE FROM webhook_deliveries d USING doomed WHERE d.id = doomed.id RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, unprocessedDays, limit],
    );
  }

  /** Published fetch targets (pending ones are the fetcher's outbox and never deleted). */
  async pruneFetchTargets(days: number, limit: number): Promise<number> {
    return this.count(
      `WITH doomed AS (
         SELECT id FROM fetch_targets
          WHERE status = 'published' AND published_at < ${cutoff('$1')}
          ORDER BY published_at LIMIT $2
       ),
       gone AS (
         DELETE FROM fetch_targets t USING doomed WHERE t.id = doomed.id AND t.status = 'published' RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, limit],
    );
  }

  /** Resolved fetch failures (open and dead-lettered ones stay until resolved). */
  async pruneFetchFailures(days: number, limit: number): Promise<number> {
    return this.count(
      `WITH doomed AS (
         SELECT resource, record_id FROM fetch_failures
          WHERE resolved_at IS NOT NULL AND resolved_at < ${cutoff('$1')}
          ORDER BY resolved_at LIMIT $2
       ),
       gone AS (
         DELETE FROM fetch_failures f USING doomed
          WHERE f.resource = doomed.resource AND f.record_id = doomed.record_id AND f.resolved_at IS NOT NULL
         RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, limit],
    );
  }

  /** Webhook rejections already turned into a gap (at or below the gap detector's watermark). */
  async pruneRejections(days: number, limit: number): Promise<number> {
    return this.count(
      `WITH watermark AS (
         SELECT COALESCE(max((detail->>'lastRejectionId')::bigint), 0) AS last_id
           FROM sync_gaps WHERE cause = 'webhook_rejected'
       ),
       doomed AS (
         SELECT r.id FROM webhook_rejections r, watermark w
          WHERE r.id <= w.last_id AND r.occurred_at < ${cutoff('$1')}
          ORDER BY r.id LIMIT $2
       ),
       gone AS (
         DELETE FROM webhook_rejections r USING doomed WHERE r.id = doomed.id RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, limit],
    );
  }

  /** Alert observations, except the newest of each alert (the next poll compares against it). */
  async pruneAlertObservations(days: number, limit: number): Promise<number> {
    return this.count(
      `WITH doomed AS (
         SELECT o.id FROM alert_observations o
          WHERE o.observed_at < ${cutoff('$1')}
            AND EXISTS (SELECT 1 FROM alert_observations n WHERE n.alert_id = o.alert_id AND n.observed_at > o.observed_at)
          ORDER BY o.observed_at LIMIT $2
       ),
       gone AS (
         DELETE FROM alert_observations o USING doomed WHERE o.id = doomed.id RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, limit],
    );
  }

  /**
   * Record versions superseded before the cutoff, up to `limit` records a batch: the version each record had at
   * the cutoff (and every later one) stays, rebased to hold the whole record (the patches before it go), so "as of"
   * answers stay exact for any time inside the retention window.
   */
  async pruneHistory(days: number, limit: number): Promise<number> {
    return this.count(
      `WITH anchors AS (
         SELECT h.resource, h.record_id, max(h.version) AS version
           FROM record_history h
          WHERE h.valid_from < ${cutoff('$1')}
          GROUP BY h.resource, h.record_id
         HAVING count(*) > 1
          LIMIT $2
       ),
       rebuilt AS (
         SELECT a.resource, a.record_id, a.version,
                tango_fold(h.patch, h.removed_fields, h.is_full ORDER BY h.version) AS record
           FROM anchors a
           JOIN record_history h ON h.resource = a.resource AND h.record_id = a.record_id AND h.version <= a.version
          GROUP BY a.resource, a.record_id, a.version
       ),
       rebased AS (
         UPDATE record_history h SET is_full = true, patch = r.record, removed_fields = '{}'
           FROM rebuilt r
          WHERE h.resource = r.resource AND h.record_id = r.record_id AND h.version = r.version AND NOT h.is_full
       ),
       gone AS (
         DELETE FROM record_history h USING anchors a
          WHERE h.resource = a.resource AND h.record_id = a.record_id AND h.version < a.version
         RETURNING 1
       )
       SELECT count(*)::int AS pruned FROM gone`,
      [days, limit],
    );
  }

  private async count(sql: string, params: readonly unknown[]): Promise<number> {
    const rows = await this.dataSource.query<{ pruned: number }[]>(sql, [...params]);
    return rows[0]?.pruned ?? 0;
  }
}
