import { Inject, Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { familyForQueryType } from '../common/tango/families';
import { TangoClient } from '../tango/tango-client';
import { TangoRequestError } from '../tango/tango-errors';
import { type AlertObservation, GapRepository } from '../sync-state/gap.repository';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

const alertSchema = z.looseObject({
  alert_id: z.union([z.string(), z.number()]).transform(String),
  query_type: z.string(),
  status: z.string().optional(),
  is_active: z.boolean().optional(),
  frequency: z.string().nullable().optional(),
  filters: z.record(z.string(), z.unknown()).nullable().optional(),
  last_checked_at: z.string().nullable().optional(),
  match_count: z.coerce.number().nonnegative().nullable().optional(),
});
const alertPageSchema = z.looseObject({
  results: z.array(z.unknown()),
  next: z.string().nullable().optional(),
});

const MAX_ALERT_PAGES = 20;
/** How far before an over-limit event's check the sweep of its gap reaches (the changes it named are older). */
const OVER_LIMIT_LOOKBACK_MS = 24 * 3_600_000;

type PolledAlert = Omit<AlertObservation, 'observedAt' | 'deliveredThroughPk'>;

export interface AlertPollOutcome {
  readonly alerts: number;
  /** Alerts checked too recently to judge (their delivery may still be in Tango's retry schedule). */
  readonly deferred: number;
  readonly gapsOpened: number;
}

export interface AlertGapVerdict {
  readonly gap: boolean;
  readonly growth: number;
  readonly missing: number;
}

/** Rule (a): a match_count that grew by more than the matches the received deliveries reported is a gap. */
export function judgeAlertGrowth(previous: number, current: number, delivered: number): AlertGapVerdict {
  const growth = Math.max(0, current - previous);
  const missing = Math.max(0, growth - delivered);
  return { gap: missing > 0, growth, missing };
}

/**
 * Finds gaps. Silence proves nothing (Tango sends nothing when an alert matches nothing), so only positive
 * evidence opens one: an alert whose `match_count` grew by more than what was delivered (rule a), and every
 * non-2xx answer the webhook module gave (rule b). Backlog, dead letters and quota (rule c) are signals the
 * health report computes live; they degrade a family without needing a sweep.
 */
@Injectable()
export class GapDetector {
  private readonly logger = new Logger(GapDetector.name);

  constructor(
    private readonly tango: TangoClient,
    private readonly gaps: GapRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Rule (a): polls `GET /api/webhooks/alerts/` and compares each alert with its previous observation. */
  async pollAlerts(now: Date = new Date()): Promise<AlertPollOutcome> {
    const alerts = await this.listAlerts();
    const previous = new Map((await this.gaps.latestObservations()).map((o) => [o.alertId, o]));
    let deferred = 0;
    let gapsOpened = 0;
    for (const alert of alerts) {
      const before = previous.get(alert.alertId);
      const checkedAt = alert.lastCheckedAt;
      const tooFresh =
        checkedAt !== null && now.getTime() - checkedAt.getTime() < this.config.health.gapGraceSeconds * 1000;
      if (before !== undefined && tooFresh && alert.matchCount > before.matchCount) {
        deferred += 1;
        continue;
      }
      const delivered =
        checkedAt === null
          ? { events: 0, matches: 0, throughPk: before?.deliveredThroughPk ?? 0 }
          : await this.gaps.deliveredMatches(alert.alertId, before?.deliveredThroughPk ?? 0, checkedAt);
      if (before !== undefined && checkedAt !== null && alert.matchCount > before.matchCount) {
        const verdict = judgeAlertGrowth(before.matchCount, alert.matchCount, delivered.matches);
        if (verdict.gap) {
          const resource = familyForQueryType(alert.queryType) ?? null;
          await this.gaps.openOrWiden({
            scope: 'alert',
            scopeKey: alert.alertId,
            resource,
            alertId: alert.alertId,
            cause: 'alert_match_count',
            rangeStart: before.lastCheckedAt ?? before.observedAt,
            rangeEnd: checkedAt,
            detail: {
              queryType: alert.queryType,
              matchCountFrom: before.matchCount,
              matchCountTo: alert.matchCount,
              deliveredMatches: delivered.matches,
              deliveredEvents: delivered.events,
              missingMatches: verdict.missing,
            },
          });
          gapsOpened += 1;
          this.logger.warn(
            {
              alertId: alert.alertId,
              resource,
              growth: verdict.growth,
              delivered: delivered.matches,
              missing: verdict.missing,
            },
            'alert match_count grew without the deliveries for it: gap opened',
          );
        }
      }
      await this.gaps.recordObservation({ ...alert, deliveredThroughPk: delivered.throughPk });
    }
    return { alerts: alerts.length, deferred, gapsOpened };
  }

  /** Rule (b): every non-2xx answer not yet covered becomes (or widens) the open rejection gap. */
  async detectRejections(): Promise<number> {
    const batch = await this.gaps.newRejections();
    if (batch === null) {
      return 0;
    }
    await this.gaps.openOrWiden({
      scope: 'webhook',
      scopeKey: 'rejections',
      resource: null,
      alertId: null,
      cause: 'webhook_rejected',
      rangeStart: batch.firstAt,
      rangeEnd: batch.lastAt,
      detail: { lastRejectionId: Number(batch.lastId), rejections: batch.count, statuses: batch.statuses },
    });
    this.logger.warn(
      { rejections: batch.count, statuses: batch.statuses, from: batch.firstAt, to: batch.lastAt },
      'webhook answers that Tango may have dropped: gap opened',
    );
    return batch.count;
  }

  /**
   * Deliveries that named more records than the fan-out limits allow: their extra ids were not enqueued one by one;
   * each family (and alert) with such events gets a gap over their time, which a sweep repairs.
   */
  async detectOverLimits(): Promise<number> {
    const groups = await this.gaps.newOverLimitEvents();
    for (const group of groups) {
      await this.gaps.openOrWiden({
        scope: group.alertId === null ? 'resource' : 'alert',
        scopeKey: group.alertId ?? group.resource ?? 'unknown',
        resource: group.resource,
        alertId: group.alertId,
        cause: 'delivery_over_limits',
        rangeStart: new Date(group.firstAt.getTime() - OVER_LIMIT_LOOKBACK_MS),
        rangeEnd: group.lastAt,
        detail: {
          lastDeliveryPk: Number(group.lastDeliveryPk),
          idsDropped: group.idsDropped,
          events: group.events,
        },
      });
      this.logger.warn(
        { resource: group.resource, alertId: group.alertId, idsDropped: group.idsDropped },
        'deliveries over the fan-out limits: gap opened for a sweep',
      );
    }
    return groups.length;
  }

  private async listAlerts(): Promise<PolledAlert[]> {
    const alerts: PolledAlert[] = [];
    let query: Record<string, string> = { page: '1', page_size: '100' };
    for (let page = 0; page < MAX_ALERT_PAGES; page += 1) {
      const answer = await this.tango.get({
        path: '/api/webhooks/alerts/',
        query,
        priority: 'sweep',
        route: 'webhooks.alerts',
      });
      const parsed = alertPageSchema.safeParse(answer.body);
      if (answer.status !== 200 || !parsed.success) {
        throw new TangoRequestError(
          'invalid_body',
          `alerts list answer is not a list (${answer.status})`,
          answer.status,
          true,
        );
      }
      for (const raw of parsed.data.results) {
        const alert = alertSchema.safeParse(raw);
        if (!alert.success) {
          this.logger.warn({ issues: alert.error.issues.length }, 'alert with an unexpected shape skipped');
          continue;
        }
        const lastChecked = alert.data.last_checked_at ? new Date(alert.data.last_checked_at) : null;
        alerts.push({
          alertId: alert.data.alert_id,
          queryType: alert.data.query_type,
          status: alert.data.status ?? (alert.data.is_active === false ? 'paused' : 'active'),
          frequency: alert.data.frequency ?? null,
          matchCount: alert.data.match_count ?? 0,
          lastCheckedAt: lastChecked !== null && !Number.isNaN(lastChecked.getTime()) ? lastChecked : null,
          filters: alert.data.filters ?? {},
        });
      }
      const next = parsed.data.next ?? null;
      if (next === null) {
        break;
      }
      query = Object.fromEntries(
        new URL(this.tango.sameOriginPath(next), 'http://tango.invalid').searchParams,
      );
    }
    return alerts;
  }
}
