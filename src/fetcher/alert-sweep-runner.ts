import { Injectable, Logger } from '@nestjs/common';
import { z } from 'zod';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type GapToOpen } from '../sync-state/gap.repository';
import { type FetchedOk, RecordFetcher } from '../tango/record-fetcher';
import { TangoClient } from '../tango/tango-client';
import { TangoRequestError } from '../tango/tango-errors';
import { familyContract, splitAlertFilters } from '../tango/tango-requests';
import { FAMILIES, recordIdOf, type RefreshPlan } from '../common/tango/families';
import { alertPollFilters } from '../resources/refresh-plan';
import { ResourceWalker } from '../resources/resource-walker';
import { type FetchRequest } from '../outbox/fetch-request';

/** Pages an alert re-run may read before it is cut short (and a gap opened for the rest). */
export const ALERT_SWEEP_MAX_PAGES = 50;
/** How far back the date-window sweep of an alert that cannot be re-run reaches before its check time. */
const UNSUPPORTED_ALERT_LOOKBACK_MS = 24 * 3_600_000;

const alertDefinitionSchema = z.looseObject({
  filters: z.record(z.string(), z.unknown()).nullable().optional(),
});

export type AlertSweepOutcome =
  | {
      readonly kind: 'swept';
      readonly records: FetchedOk[];
      readonly requests: number;
      readonly gap: GapToOpen | null;
    }
  | { readonly kind: 'failed'; readonly error: TangoRequestError; readonly requests: number }
  | { readonly kind: 'unsupported'; readonly requests: number; readonly gap: GapToOpen };

/**
 * Re-runs an alert whose event came with counts but no ids. Only filters Tango's contract lists for the family's
 * list endpoint are honoured by Tango (it silently ignores others, which would turn the re-run into a scan of the
 * whole family), so: the event's filters are used when all of them are honoured; otherwise the alert's stored
 * definition (`GET /api/webhooks/alerts/{id}/`) is read; when that still holds keys Tango would ignore, no list is
 * run and a gap is opened for the family's date-window sweep, saying why.
 */
@Injectable()
export class AlertSweepRunner {
  private readonly logger = new Logger(AlertSweepRunner.name);

  constructor(
    private readonly fetcher: RecordFetcher,
    private readonly tango: TangoClient,
    private readonly walker: ResourceWalker,
  ) {}

  async run(family: ResourceFamily, sweep: FetchRequest): Promise<AlertSweepOutcome> {
    const refresh = FAMILIES[family].refresh;
    if (refresh !== undefined) {
      return this.runResourcePoll(family, refresh, sweep);
    }
    const spec = sweep.sweep;
    const alertId = spec?.alertId ?? null;
    let requests = 0;
    let split = splitAlertFilters(family, spec?.filters ?? {});
    if (!this.faithful(split) && alertId !== null) {
      try {
        const definition = await this.alertDefinition(alertId);
        requests += 1;
        if (definition !== null) {
          split = splitAlertFilters(family, definition);
        }
      } catch (error) {
        if (!(error instanceof TangoRequestError)) {
          throw error;
        }
        requests += 1;
        if (error.retryable) {
          return { kind: 'failed', error, requests };
        }
      }
    }
    const checkedAt = spec?.checkedAt ? new Date(spec.checkedAt) : new Date(sweep.hintedAt);
    const gapBase = {
      scope: 'alert' as const,
      scopeKey: alertId ?? `unknown:${family}`,
      resource: family,
      alertId,
      rangeStart: new Date(checkedAt.getTime() - UNSUPPORTED_ALERT_LOOKBACK_MS),
      rangeEnd: checkedAt,
    };
    if (!this.faithful(split)) {
      const why =
        split.unknown.length > 0
          ? `the alert's filters hold keys Tango's contract lacks for /api/${family}/: ${split.unknown.join(', ')}`
          : 'the alert has no filters a list request could use';
      this.logger.warn({ resource: family, alertId, unknown: split.unknown }, `alert not re-run: ${why}`);
      return {
        kind: 'unsupported',
        requests,
        gap: {
          ...gapBase,
          cause: 'alert_filters_unsupported',
          detail: { why, unknownFilters: split.unknown, reason: sweep.reason },
        },
      };
    }
    try {
      const result = await this.fetcher.sweep(family, split.honoured, 'sweep', ALERT_SWEEP_MAX_PAGES);
      requests += result.requests;
      const gap: GapToOpen | null = result.complete
        ? null
        : {
            ...gapBase,
            cause: 'alert_sweep_incomplete',
            detail: { why: `alert re-run stopped at its limit of ${ALERT_SWEEP_MAX_PAGES} pages` },
          };
      return { kind: 'swept', records: result.records, requests, gap };
    } catch (error) {
      if (!(error instanceof TangoRequestError)) {
        throw error;
      }
      return { kind: 'failed', error, requests: requests + 1 };
    }
  }

  /**
   * An alert of a contract resource (exclusions, DIBBS RFQs and RFPs) is brought in by the resource's own poll from
   * the alert's check time: its change filter from that day, or newest first until every id the alert named was
   * seen (or, with counts only, as many pages as they fill, plus one). Its records are written like any others; what
   * it misses, the scheduled poll reads.
   */
  private async runResourcePoll(
    family: ResourceFamily,
    plan: RefreshPlan,
    sweep: FetchRequest,
  ): Promise<AlertSweepOutcome> {
    const spec = sweep.sweep;
    const checkedAt = spec?.checkedAt ? new Date(spec.checkedAt) : new Date(sweep.hintedAt);
    const wanted = new Set(spec?.ids ?? []);
    const counted = Number(spec?.newCount ?? 0) + Number(spec?.modifiedCount ?? 0);
    const pageSize = familyContract(family).pagination.maxPageSize;
    const maxPages =
      plan.mode === 'newest_first' && wanted.size === 0
        ? Math.min(ALERT_SWEEP_MAX_PAGES, Math.ceil(counted / pageSize) + 1)
        : ALERT_SWEEP_MAX_PAGES;
    const records: FetchedOk[] = [];
    try {
      const walk = await this.walker.walk(
        family,
        alertPollFilters(plan, checkedAt),
        { maxPages, route: `${family}.alert-poll` },
        (page) => {
          records.push(...page.records);
          for (const item of page.records) {
            const id = recordIdOf(FAMILIES[family], item.record);
            if (id !== null) {
              wanted.delete(id);
            }
          }
          const done = plan.mode === 'newest_first' && (spec?.ids ?? []).length > 0 && wanted.size === 0;
          return Promise.resolve(done ? 'stop' : 'continue');
        },
      );
      if (wanted.size > 0) {
        this.logger.warn(
          { resource: family, missing: [...wanted].slice(0, 10), pages: walk.pages },
          `alert poll did not see ${wanted.size} named record(s); the scheduled poll reads them`,
        );
      }
      return { kind: 'swept', records, requests: walk.requests, gap: null };
    } catch (error) {
      if (!(error instanceof TangoRequestError)) {
        throw error;
      }
      return { kind: 'failed', error, requests: 1 };
    }
  }

  /** A re-run is faithful when every filter is honoured and there is at least one (never an unfiltered scan). */
  private faithful(split: ReturnType<typeof splitAlertFilters>): boolean {
    return split.unknown.length === 0 && Object.keys(split.honoured).length > 0;
  }

  private async alertDefinition(alertId: string): Promise<Readonly<Record<string, unknown>> | null> {
    const answer = await this.tango.get({
      path: `/api/webhooks/alerts/${encodeURIComponent(alertId)}/`,
      priority: 'sweep',
      route: 'webhooks.alert',
    });
    if (answer.status === 404) {
      return null;
    }
    const parsed = alertDefinitionSchema.safeParse(answer.body);
    return parsed.success ? (parsed.data.filters ?? null) : null;
  }
}
