import { Inject, Injectable } from '@nestjs/common';
import { HealthReportService } from '../health/health-report.service';
import { type BackfillReport, type GapView, type HealthReport } from '../health/health-report.types';
import { type HealthStatus } from '../health/health-status';
import { FAMILIES } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ConsoleRepository } from './console.repository';

export interface ConsoleFamily {
  readonly family: ResourceFamily;
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
  /** Rows in the mirror (exact up to 5,000, Postgres's estimate above). */
  readonly records: number;
  readonly lastDeliveryReceivedAt: string | null;
  readonly lastFetchSucceededAt: string | null;
  /** Seconds since the last successful fetch; null: never. */
  readonly freshnessSeconds: number | null;
  readonly backlog: { readonly pending: number; readonly oldestAgeSeconds: number | null };
  readonly openGaps: readonly GapView[];
  readonly deadLetters: number;
  readonly shape: {
    readonly status: string;
    readonly dropped: readonly string[];
    /** Paths of the whole record the family does not mirror, as `path (reason)`. */
    readonly notMirrored: readonly string[];
    readonly paths: { readonly whole: number; readonly asked: number };
  };
}

export interface ConsoleOverview {
  readonly generatedAt: string;
  readonly status: HealthStatus;
  readonly families: readonly ConsoleFamily[];
  readonly gaps: readonly GapView[];
  readonly changeEvents: { readonly pending: number; readonly oldestAgeSeconds: number | null };
  readonly quota: {
    readonly dailyLimit: number | null;
    readonly dailyUsed: number | null;
    readonly dailyRemaining: number | null;
    readonly dailyResetAt: string | null;
    readonly burstLimit: number | null;
    readonly burstRemaining: number | null;
    readonly parkedUntil: string | null;
    readonly sweepsPausedReason: string | null;
  };
  readonly backfills: readonly BackfillReport[];
  readonly unknownEventTypes: readonly string[];
  readonly problems: readonly string[];
  /** The live Tango API version beside the worker's contract, and the warning when Tango is newer. */
  readonly tango: HealthReport['tango'];
  /** Whether actions are possible at all (an operator token is configured); each still needs the token. */
  readonly actionsEnabled: boolean;
}

/**
 * What the console shows, read from the same services `/health` uses (no second source of truth), shaped for a
 * page: one row per family, the quota as used and left, and whether actions are enabled. Never a secret, an API
 * key or a raw payload.
 */
@Injectable()
export class ConsoleService {
  constructor(
    private readonly health: HealthReportService,
    private readonly repository: ConsoleRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** `fresh`: read now (after an action); otherwise a report at most a second old, shared by every viewer. */
  async overview(options: { fresh?: boolean } = {}, now: Date = new Date()): Promise<ConsoleOverview> {
    const report = options.fresh === true ? await this.health.report(now) : await this.health.recentReport();
    const estimates = new Map(report.storage.tables.map((table) => [table.table, table.estimatedRows]));
    const counts = await this.repository.mirrorCounts(
      RESOURCE_FAMILIES.filter((family) => report.families[family] !== undefined).map(
        (family) => FAMILIES[family].table,
      ),
      estimates,
    );
    // The resources turned on: the health report has an entry for each, and only for them.
    const families = RESOURCE_FAMILIES.flatMap((family): ConsoleFamily[] => {
      const entry = report.families[family];
      if (entry === undefined) {
        return [];
      }
      const lastFetch = entry.lastFetchSucceededAt;
      return [
        {
          family,
          status: entry.status,
          reasons: entry.reasons,
          records: counts.get(FAMILIES[family].table) ?? 0,
          lastDeliveryReceivedAt: entry.lastDeliveryReceivedAt,
          lastFetchSucceededAt: lastFetch,
          freshnessSeconds:
            lastFetch === null
              ? null
              : Math.max(0, Math.round((now.getTime() - Date.parse(lastFetch)) / 1000)),
          backlog: entry.backlog,
          openGaps: entry.openGaps,
          deadLetters: entry.deadLetters,
          shape: {
            status: entry.shape.status,
            dropped: entry.shape.dropped.map((item) => `${item.path} (${item.reason})`),
            notMirrored: entry.shape.notMirrored.map((item) => `${item.path} (${item.reason})`),
            paths: entry.shape.paths,
          },
        },
      ];
    });
    const { quota } = report;
    return {
      generatedAt: report.generatedAt,
      status: report.status,
      families,
      gaps: report.gaps.open,
      changeEvents: {
        pending: report.lag.changeEventsPending,
        oldestAgeSeconds: report.lag.changeEventsOldestAgeSeconds,
      },
      quota: {
        dailyLimit: quota.dailyLimit,
        dailyUsed:
          quota.dailyLimit === null || quota.dailyRemaining === null
            ? null
            : quota.dailyLimit - quota.dailyRemaining,
        dailyRemaining: quota.dailyRemaining,
        dailyResetAt: quota.dailyResetAt,
        burstLimit: quota.burstLimit,
        burstRemaining: quota.burstRemaining,
        parkedUntil: quota.parkedUntil,
        sweepsPausedReason: quota.sweepsPausedReason,
      },
      backfills: report.backfills,
      unknownEventTypes: report.eventTypes.unknown,
      problems: report.problems,
      tango: report.tango,
      actionsEnabled: this.config.consoleToken !== undefined,
    };
  }
}
