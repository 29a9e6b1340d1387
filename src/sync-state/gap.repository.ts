import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';

export type GapScope = 'resource' | 'alert' | 'webhook';

export type GapCause =
  /** An alert's match_count grew by more than the deliveries received for it. */
  | 'alert_match_count'
  /** The webhook module answered non-2xx: a delivery Tango may have dropped after its retries. */
  | 'webhook_rejected'
  /**
   * A counts-only alert event whose filters Tango's list endpoint would not honour (keys its contract lacks): the
   * alert cannot be re-run faithfully, so the family's date window is swept instead.
   */
  | 'alert_filters_unsupported'
  /** An alert re-run stopped before its last page (page limit or a failure Tango will not retry). */
  | 'alert_sweep_incomplete'
  /** A delivery named more records than the fan-out limits allow: the rest are swept instead of fetched by id. */
  | 'delivery_over_limits';

export interface GapToOpen {
  readonly scope: GapScope;
  readonly scopeKey: string;
  readonly resource: ResourceFamily | null;
  readonly alertId: string | null;
  readonly cause: GapCause;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface SyncGap extends GapToOpen {
  readonly id: string;
  readonly openedAt: Date;
  readonly closedAt: Date | null;
  readonly sweepAttempts: number;
  readonly lastSweepAt: Date | null;
  readonly lastSweepError: string | null;
}

export interface AlertObservation {
  readonly alertId: string;
  readonly queryType: string;
  readonly status: string;
  readonly frequency: string | null;
  readonly matchCount: number;
  readonly lastCheckedAt: Date | null;
  readonly observedAt: Date;
  /** Webhook deliveries (by primary key) already counted against this alert's match_count. */
  readonly deliveredThroughPk: number;
  readonly filters: Readonly<Record<string, unknown>>;
}

/** Events whose targets went over the fan-out limits since the last look, per family and alert. */
export interface OverLimitGroup {
  readonly resource: ResourceFamily | null;
  readonly alertId: string | null;
  readonly idsDropped: number;
  readonly events: number;
  readonly firstAt: Date;
  readonly lastAt: Date;
  readonly lastDeliveryPk: string;
}

export interface RejectionBatch {
  readonly firstId: string;
  readonly lastId: string;
  readonly count: number;
  readonly firstAt: Date;
  readonly lastAt: Date;
  readonly statuses: readonly number[];
}

interface GapRow {
  id: string;
  scope: GapScope;
  scope_key: string;
  resource: ResourceFamily | null;
  alert_id: string | null;
  cause: GapCause;
  range_start: Date;
  range_end: Date;
  opened_at: Date;
  closed_at: Date | null;
  detail: Record<string, unknown>;
  sweep_attempts: number;
  last_sweep_at: Date | null;
  last_sweep_error: string | null;
}

const GAP_COLUMNS = `id::text AS id, scope, scope_key, resource, alert_id, cause, range_start, range_end, opened_at,
  closed_at, detail, sweep_attempts, last_sweep_at, last_sweep_error`;

function toGap(row: GapRow): SyncGap {
  return {
    id: row.id,
    scope: row.scope,
    scopeKey: row.scope_key,
    resource: row.resource,
    alertId: row.alert_id,
    cause: row.cause,
    rangeStart: row.range_start,
    rangeEnd: row.range_end,
    detail: row.detail,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
    sweepAttempts: row.sweep_attempts,
    lastSweepAt: row.last_sweep_at,
    lastSweepError: row.last_sweep_error,
  };
}

/** SQL of sync gaps, alert observations and the reconciliation watermarks in sync_state. */
@Injectable()
export class GapRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Opens a gap, or widens the open one of the same scope and cause; returns its id. */
  async openOrWiden(gap: GapToOpen, manager?: EntityManager): Promise<string> {
    const rows = await (manager ?? this.dataSource.manager).query<{ id: string }[]>(
      `INSERT INTO sync_gaps (scope, scope_key, resource, alert_id, cause, range_start, range_end, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
       ON CONFLICT (scope, scope_key, cause) WHERE closed_at IS NULL DO UPDATE
         SET range_start = LEAST(sync_gaps.range_start, EXCLUDED.range_start),
             range_end = GREATEST(sync_gaps.range_end, EXCLUDED.range_end),
             detail = sync_gaps.detail || EXCLUDED.detail
       RETURNING id::text AS id`,
      [
        gap.scope,
        gap.scopeKey,
        gap.resource,
        gap.alertId,
        gap.cause,
        gap.rangeStart,
        gap.rangeEnd,
        JSON.stringify(gap.detail),
      ],
    );
    return rows[0]?.id ?? '';
  }

  async openGaps(): Promise<SyncGap[]> {
    const rows = await this.dataSource.query<GapRow[]>(
      `SELECT ${GAP_COLUMNS} FROM sync_gaps WHERE closed_at IS NULL ORDER BY opened_at, id`,
    );
    return rows.map(toGap);
  }

  async recentlyClosed(limit: number): Promise<SyncGap[]> {
    const rows = await this.dataSource.query<GapRow[]>(
      `SELECT ${GAP_COLUMNS} FROM sync_gaps WHERE closed_at IS NOT NULL ORDER BY closed_at DESC LIMIT $1`,
      [limit],
    );
    return rows.map(toGap);
  }

  /** Closes a gap after its sweep committed (call inside the sweep's transaction). */
  async close(id: string, reason: string, sweptRecords: number, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE sync_gaps SET closed_at = clock_timestamp(), close_reason = $2, swept_records = swept_records + $3,
              sweep_attempts = sweep_attempts + 1, last_sweep_at = clock_timestamp(), last_sweep_error = NULL
        WHERE id = $1 AND closed_at IS NULL`,
      [id, reason, sweptRecords],
    );
  }

  /** A sweep ran but could not finish (quota, page limit, error): the gap stays open with the reason. */
  async noteSweepIncomplete(
    id: string,
    why: string,
    sweptRecords: number,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `UPDATE sync_gaps SET sweep_attempts = sweep_attempts + 1, last_sweep_at = clock_timestamp(),
              last_sweep_error = $2, swept_records = swept_records + $3
        WHERE id = $1`,
      [id, why.slice(0, 2000), sweptRecords],
    );
  }

  /** Moves the reconciliation watermark of a family (and of an alert) forward, never back. */
  async markReconciled(
    resource: ResourceFamily | null,
    alertId: string | null,
    through: Date,
    manager: EntityManager,
  ): Promise<void> {
    if (resource !== null) {
      await manager.query(
        `UPDATE sync_state SET reconciled_through = GREATEST(reconciled_through, $2), updated_at = clock_timestamp()
          WHERE scope = 'resource' AND scope_key = $1`,
        [resource, through],
      );
    }
    if (alertId !== null) {
      await manager.query(
        `INSERT INTO sync_state (scope, scope_key, reconciled_through) VALUES ('alert', $1, $2)
         ON CONFLICT (scope, scope_key) DO UPDATE
           SET reconciled_through = GREATEST(sync_state.reconciled_through, EXCLUDED.reconciled_through),
               updated_at = clock_timestamp()`,
        [alertId, through],
      );
    }
  }

  /** The newest observation of every alert seen so far. */
  async latestObservations(): Promise<AlertObservation[]> {
    const rows = await this.dataSource.query<
      {
        alert_id: string;
        query_type: string;
        status: string;
        frequency: string | null;
        match_count: string;
        last_checked_at: Date | null;
        observed_at: Date;
        delivered_through_pk: string;
        filters: Record<string, unknown>;
      }[]
    >(
      `SELECT DISTINCT ON (alert_id) alert_id, query_type, status, frequency, match_count, last_checked_at,
              observed_at, delivered_through_pk::text AS delivered_through_pk, filters
         FROM alert_observations ORDER BY alert_id, observed_at DESC, id DESC`,
    );
    return rows.map((row) => ({
      alertId: row.alert_id,
      queryType: row.query_type,
      status: row.status,
      frequency: row.frequency,
      matchCount: Number(row.match_count),
      lastCheckedAt: row.last_checked_at,
      observedAt: row.observed_at,
      deliveredThroughPk: Number(row.delivered_through_pk),
      filters: row.filters,
    }));
  }

  async recordObservation(
    observation: Omit<AlertObservation, 'observedAt'>,
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `INSERT INTO alert_observations (alert_id, query_type, status, frequency, match_count, last_checked_at,
                                       delivered_through_pk, filters)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)`,
      [
        observation.alertId,
        observation.queryType,
        observation.status,
        observation.frequency,
        observation.matchCount,
        observation.lastCheckedAt,
        observation.deliveredThroughPk,
        JSON.stringify(observation.filters),
      ],
    );
  }

  /**
   * Matches reported by the deliveries received for an alert that were not counted yet (delivery pk above
   * `afterPk`) for checks up to `upTo`: the sum of the events' `new_count + modified_count` (or the lengths of
   * their id lists when the counts are missing), and the highest delivery pk counted.
   */
  async deliveredMatches(
    alertId: string,
    afterPk: number,
    upTo: Date,
  ): Promise<{ events: number; matches: number; throughPk: number }> {
    const rows = await this.dataSource.query<
      { events: string; matches: string; through_pk: string | null }[]
    >(
      `SELECT count(*)::text AS events, max(delivery_pk)::text AS through_pk,
              COALESCE(sum(COALESCE(new_count, 0)::bigint + COALESCE(modified_count, 0)), 0)::text AS matches
         FROM webhook_events
        WHERE alert_id = $1 AND delivery_pk > $2 AND (checked_at IS NULL OR checked_at <= $3)`,
      [alertId, afterPk, upTo],
    );
    return {
      events: Number(rows[0]?.events ?? 0),
      matches: Number(rows[0]?.matches ?? 0),
      throughPk: Math.max(afterPk, Number(rows[0]?.through_pk ?? 0)),
    };
  }

  /**
   * Events stored since the last look whose targets went over the fan-out limits, grouped by family and alert. The
   * watermark is the newest delivery already turned into a gap (kept in the gaps' detail).
   */
  async newOverLimitEvents(): Promise<OverLimitGroup[]> {
    const rows = await this.dataSource.query<
      {
        resource: ResourceFamily | null;
        alert_id: string | null;
        dropped: string;
        events: string;
        first_at: Date;
        last_at: Date;
        last_pk: string;
      }[]
    >(
      `WITH watermark AS (
         SELECT COALESCE(max((detail->>'lastDeliveryPk')::bigint), 0) AS last_pk
           FROM sync_gaps WHERE cause = 'delivery_over_limits'
       )
       SELECT e.resource, e.alert_id, sum(e.ids_dropped)::text AS dropped, count(*)::text AS events,
              min(COALESCE(e.checked_at, d.received_at)) AS first_at, max(COALESCE(e.checked_at, d.received_at)) AS last_at,
              max(e.delivery_pk)::text AS last_pk
         FROM webhook_events e
         JOIN webhook_deliveries d ON d.id = e.delivery_pk, watermark w
        WHERE e.ids_dropped > 0 AND e.delivery_pk > w.last_pk
        GROUP BY e.resource, e.alert_id`,
    );
    return rows.map((row) => ({
      resource: row.resource,
      alertId: row.alert_id,
      idsDropped: Number(row.dropped),
      events: Number(row.events),
      firstAt: row.first_at,
      lastAt: row.last_at,
      lastDeliveryPk: row.last_pk,
    }));
  }

  /** Non-2xx answers recorded after the last one already turned into a gap. */
  async newRejections(): Promise<RejectionBatch | null> {
    const rows = await this.dataSource.query<
      {
        first_id: string | null;
        last_id: string | null;
        count: string;
        first_at: Date | null;
        last_at: Date | null;
        statuses: number[] | null;
      }[]
    >(
      `WITH watermark AS (
         SELECT COALESCE(max((detail->>'lastRejectionId')::bigint), 0) AS last_id
           FROM sync_gaps WHERE cause = 'webhook_rejected'
       )
       SELECT min(r.id)::text AS first_id, max(r.id)::text AS last_id, count(*)::text AS count,
              min(r.occurred_at) AS first_at, max(r.occurred_at) AS last_at,
              array_agg(DISTINCT r.http_status) AS statuses
         FROM webhook_rejections r, watermark w
        WHERE r.id > w.last_id`,
    );
    const row = rows[0];
    if (
      row === undefined ||
      row.first_id === null ||
      row.last_id === null ||
      row.first_at === null ||
      row.last_at === null
    ) {
      return null;
    }
    return {
      firstId: row.first_id,
      lastId: row.last_id,
      count: Number(row.count),
      firstAt: row.first_at,
      lastAt: row.last_at,
      statuses: row.statuses ?? [],
    };
  }
}
