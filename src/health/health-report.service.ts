import { Inject, Injectable } from '@nestjs/common';
import { type Gauge } from 'prom-client';
import { familyForQueryType } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { MetricsService } from '../metrics/metrics.service';
import { GapRepository, type SyncGap } from '../reconcile/gap.repository';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { quotaAllowance } from '../reconcile/reconciler.service';
import { FAMILIES, type FamilyCoverage } from '../common/tango/families';
import { GlobalGaugeLease } from '../jobs/global-gauge-lease';
import { JobRunRepository, type JobRun, jobFailing } from '../jobs/job-runs.repository';
import { FamilyShapes, type FamilyShapeState, fullShapeState } from '../tango/family-shapes';
import { TangoRequestBudget } from '../tango/request-budget';
import { BackfillRepository, type BackfillJobView } from '../backfill/backfill.repository';
import { jobRate, type JobRate } from '../backfill/backfill.service';
import { classifyEventType } from '../webhook/delivery-parser';
import { type TableSize, HealthRepository, type SyncStateRow } from './health.repository';
import { alertProblem, DEFAULT_FAILING, familyStatus, type HealthStatus, worst } from './health-status';

export interface GapView {
  readonly id: string;
  readonly scope: string;
  readonly scopeKey: string;
  readonly resource: string | null;
  readonly alertId: string | null;
  readonly cause: string;
  readonly rangeStart: string;
  readonly rangeEnd: string;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly sweepAttempts: number;
  readonly lastSweepError: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface FamilyReport {
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
  readonly lastDeliveryReceivedAt: string | null;
  readonly lastTangoTimestamp: string | null;
  readonly lastFetchSucceededAt: string | null;
  readonly lastChangeEmittedAt: string | null;
  readonly reconciledThrough: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly openGaps: readonly GapView[];
  readonly backlog: { readonly pending: number; readonly oldestAgeSeconds: number | null };
  readonly deadLetters: number;
  /** Fetches Tango refused for good, not yet resolved (the family is failing while there are any). */
  readonly rejectedFetches: {
    readonly count: number;
    readonly lastStatus: number | null;
    readonly lastError: string | null;
    readonly lastFailedAt: string | null;
  };
  /** What the family asks Tango for: its full shape, or less after contract drift (see FamilyShapes). */
  readonly shape: {
    readonly status: 'full' | 'reduced' | 'unshaped';
    readonly dropped: readonly { readonly path: string; readonly reason: string; readonly since: string }[];
    readonly unshapedReason: string | null;
    readonly degradedSince: string | null;
    readonly driftEvents: number;
    readonly lastProbeAt: string | null;
    readonly lastProbeOutcome: string | null;
    readonly restoredAt: string | null;
  };
  /** Ids that name no record Tango has (bare PIIDs, forecast subjects). */
  readonly unresolvedIds: number;
  readonly coverage: FamilyCoverage;
}

export interface JobReport {
  readonly job: string;
  readonly status: HealthStatus;
  readonly runs: number;
  readonly lastStartedAt: string | null;
  readonly lastSucceededAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastFinishedAt: string | null;
  /** What the last successful run did, as the job reported it (for retention: rows pruned per table). */
  readonly lastOutcome: Readonly<Record<string, unknown>> | null;
}

export interface AlertReport {
  readonly alertId: string;
  readonly queryType: string;
  readonly resource: string | null;
  readonly status: HealthStatus;
  readonly reason: string | null;
  readonly alertStatus: string;
  readonly frequency: string | null;
  readonly matchCount: number;
  readonly lastCheckedAt: string | null;
  readonly observedAt: string;
  readonly lastDeliveryReceivedAt: string | null;
  readonly reconciledThrough: string | null;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly generatedAt: string;
  readonly families: Readonly<Record<ResourceFamily, FamilyReport>>;
  readonly alerts: readonly AlertReport[];
  readonly gaps: { readonly open: readonly GapView[]; readonly recentlyClosed: readonly GapView[] };
  readonly lag: {
    readonly changeEventsPending: number;
    readonly changeEventsOldestAgeSeconds: number | null;
  };
  readonly quota: {
    readonly dailyLimit: number | null;
    readonly dailyRemaining: number | null;
    readonly dailyResetAt: string | null;
    readonly burstLimit: number | null;
    readonly burstRemaining: number | null;
    readonly parkedUntil: string | null;
    readonly parkedReason: string | null;
    readonly sweepShare: number;
    readonly sweepRequestsAllowed: number | null;
    readonly sweepsPausedReason: string | null;
  };
  /** The last reconcile run's outcome, from `job_runs` (the same on every replica). */
  readonly reconcile: Readonly<Record<string, unknown>> | null;
  /** Table sizes (bytes, estimated rows) and the last retention run: is the database bounded? */
  readonly storage: {
    readonly tables: readonly TableSize[];
    readonly totalBytes: number;
    readonly retention: JobReport | null;
  };
  /** The scheduled jobs' last runs (shared by every replica). */
  readonly jobs: readonly JobReport[];
  /** Webhook event types Tango lists, and those the delivery parser does not know. */
  readonly eventTypes: { readonly listed: readonly string[]; readonly unknown: readonly string[] };
  /** Backfill jobs running or paused, and the latest finished ones, with progress, rate and ETA. */
  readonly backfills: readonly BackfillReport[];
  /** Problems that are not one family's (unknown event types). */
  readonly problems: readonly string[];
}

export type BackfillReport = BackfillJobView & { readonly rate: JobRate };

/**
 * Per family, the problem of its latest backfill when that one failed (a later job that finished clears it): the
 * family's initial load is incomplete.
 */
export function backfillProblems(jobs: readonly BackfillJobView[]): Map<ResourceFamily, string[]> {
  const problems = new Map<ResourceFamily, string[]>();
  const seen = new Set<ResourceFamily>();
  for (const job of jobs) {
    for (const family of job.families) {
      if (seen.has(family)) {
        continue;
      }
      seen.add(family);
      const progress = job.progress.find((entry) => entry.family === family);
      if (job.state === 'failed' && (progress?.segments.failed ?? 0) > 0) {
        problems.set(family, [
          `backfill ${job.id} failed: ${progress?.segments.failed ?? 0} segment(s) gave up (${progress?.lastError ?? job.lastError ?? 'no error recorded'}); start a new backfill`,
        ]);
      }
    }
  }
  return problems;
}

/** One `tango_sync_family_status` series per status (a Record, so a new status cannot be left out). */
const STATUS_SERIES: Readonly<Record<HealthStatus, null>> = { ok: null, degraded: null, failing: null };

/** A gauge without labels: its value, or no sample at all when the value is unknown (never a sentinel). */
function setOrOmit(gauge: Gauge, value: number | null): void {
  if (value === null) {
    gauge.remove();
  } else {
    gauge.set(value);
  }
}

const epochSeconds = (value: string | null): number | null =>
  value === null ? null : Date.parse(value) / 1000;

/** How long the oldest of these gaps has been open; 0 for none, so `> threshold` alerts need no absent(). */
function oldestAgeSeconds(gaps: readonly GapView[], nowMs: number): number {
  if (gaps.length === 0) {
    return 0;
  }
  return Math.max(0, nowMs - Math.min(...gaps.map((gap) => Date.parse(gap.openedAt)))) / 1000;
}

const CACHE_MS = 1_000;

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

function gapView(gap: SyncGap): GapView {
  return {
    id: gap.id,
    scope: gap.scope,
    scopeKey: gap.scopeKey,
    resource: gap.resource,
    alertId: gap.alertId,
    cause: gap.cause,
    rangeStart: gap.rangeStart.toISOString(),
    rangeEnd: gap.rangeEnd.toISOString(),
    openedAt: gap.openedAt.toISOString(),
    closedAt: iso(gap.closedAt),
    sweepAttempts: gap.sweepAttempts,
    lastSweepError: gap.lastSweepError,
    detail: gap.detail,
  };
}

function jobReport(run: JobRun): JobReport {
  return {
    job: run.job,
    status: jobFailing(run) ? 'degraded' : 'ok',
    runs: run.runs,
    lastStartedAt: iso(run.lastStartedAt),
    lastSucceededAt: iso(run.lastSucceededAt),
    lastError: run.lastError,
    lastErrorAt: iso(run.lastErrorAt),
    lastFinishedAt: iso(run.lastFinishedAt),
    lastOutcome: run.lastOutcome,
  };
}

/** A non-paused alert not checked for this many times its frequency is degraded. */
const ALERT_STALE_FACTOR = 3;

/**
 * Whether the mirror can be trusted, per family: the last successful timestamps, open gaps, fetch backlog,
 * dead letters, alert health and quota, folded into ok | degraded | failing with the reasons. The same figures are
 * Prometheus gauges, computed at scrape time from one cached report.
 */
@Injectable()
export class HealthReportService {
  private cached: { at: number; report: Promise<HealthReport> } | undefined;
  private exporting: { at: number; holder: Promise<boolean> } | undefined;

  constructor(
    private readonly repository: HealthRepository,
    private readonly gaps: GapRepository,
    private readonly budget: TangoRequestBudget,
    private readonly shapes: FamilyShapes,
    private readonly jobRuns: JobRunRepository,
    private readonly gaugeLease: GlobalGaugeLease,
    private readonly backfills: BackfillRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.registerGauges(metrics);
  }

  async report(now: Date = new Date()): Promise<HealthReport> {
    const [states, backlog, deadLetters, openGaps, closedGaps, observations, budget, lag] = await Promise.all(
      [
        this.repository.syncStates(),
        this.repository.fetchBacklog(),
        this.repository.deadLetters(),
        this.gaps.openGaps(),
        this.gaps.recentlyClosed(20),
        this.gaps.latestObservations(),
        this.budget.state(),
        this.repository.changeEventLag(),
      ],
    );
    const [rejected, unresolved, shapeStates, jobRuns, listedEventTypes, tableSizes, backfillJobs] =
      await Promise.all([
        this.repository.rejectedFetches(),
        this.repository.unresolvedIds(),
        this.shapes.allStates(),
        this.jobRuns.all(),
        this.repository.listedEventTypes(),
        this.repository.tableSizes(),
        this.backfills.jobs({ limit: 10 }),
      ]);
    const backfillIssues = backfillProblems(backfillJobs);
    const shapeByFamily = new Map(shapeStates.map((state) => [state.family, state]));
    const jobs = jobRuns.map(jobReport);
    const alertPoll = jobRuns.find((run) => run.job === 'alert-poll');
    const jobProblems =
      alertPoll !== undefined && jobFailing(alertPoll)
        ? [
            `alert poll failing since ${iso(alertPoll.lastErrorAt) ?? '?'} (gap detection is blind): ${alertPoll.lastError ?? ''}`,
          ]
        : [];
    const unknownEventTypes = listedEventTypes.filter((type) => classifyEventType(type) === 'unknown');
    const problems = unknownEventTypes.map(
      (type) => `Tango lists webhook event type ${type}, which the delivery parser does not know`,
    );
    const allowance = quotaAllowance(budget, this.config.health.reconcileMaxQuotaShare, now);
    const quotaProblems: string[] = [];
    if (allowance.pausedReason !== null) {
      quotaProblems.push(`sweeps paused: ${allowance.pausedReason}`);
    }
    const alertStates = new Map(states.filter((s) => s.scope === 'alert').map((s) => [s.scopeKey, s]));
    const alerts: AlertReport[] = observations.map((o) => {
      const reason = alertProblem(o, ALERT_STALE_FACTOR, now);
      const state = alertStates.get(o.alertId);
      return {
        alertId: o.alertId,
        queryType: o.queryType,
        resource: familyForQueryType(o.queryType) ?? null,
        status: reason === null ? 'ok' : 'degraded',
        reason,
        alertStatus: o.status,
        frequency: o.frequency,
        matchCount: o.matchCount,
        lastCheckedAt: iso(o.lastCheckedAt),
        observedAt: o.observedAt.toISOString(),
        lastDeliveryReceivedAt: iso(state?.lastDeliveryReceivedAt),
        reconciledThrough: iso(state?.reconciledThrough),
      };
    });
    const resourceStates = new Map(states.filter((s) => s.scope === 'resource').map((s) => [s.scopeKey, s]));
    const families = {} as Record<ResourceFamily, FamilyReport>;
    for (const family of RESOURCE_FAMILIES) {
      const state: SyncStateRow | undefined = resourceStates.get(family);
      const shape: FamilyShapeState = shapeByFamily.get(family) ?? fullShapeState(family);
      const familyRejected = rejected.get(family);
      const familyGaps = openGaps.filter((gap) => gap.resource === family || gap.resource === null);
      const familyBacklog = backlog.find((row) => row.resource === family);
      const verdict = familyStatus(
        {
          openGaps: familyGaps,
          backlogPending: familyBacklog?.pending ?? 0,
          backlogOldestAgeSeconds: familyBacklog?.oldestAgeSeconds ?? null,
          deadLetters: deadLetters.get(family) ?? 0,
          lastFetchSucceededAt: state?.lastFetchSucceededAt ?? null,
          lastErrorAt: state?.lastErrorAt ?? null,
          degradedAlerts: alerts
            .filter((alert) => alert.resource === family && alert.reason !== null)
            .map((alert) => ({ alertId: alert.alertId, why: alert.reason ?? '' })),
          quotaProblems,
          rejected: rejected.get(family) ?? null,
          shape: {
            status: shape.status,
            dropped: shape.dropped,
            unshapedReason: shape.unshapedReason,
          },
          unresolvedIds: unresolved.get(family) ?? 0,
          jobProblems,
          backfillProblems: backfillIssues.get(family) ?? [],
        },
        { lagDegradedSeconds: this.config.health.lagDegradedSeconds, ...DEFAULT_FAILING },
      );
      families[family] = {
        status: verdict.status,
        reasons: verdict.reasons,
        lastDeliveryReceivedAt: iso(state?.lastDeliveryReceivedAt),
        lastTangoTimestamp: iso(state?.lastTangoTimestamp),
        lastFetchSucceededAt: iso(state?.lastFetchSucceededAt),
        lastChangeEmittedAt: iso(state?.lastChangeEmittedAt),
        reconciledThrough: iso(state?.reconciledThrough),
        lastError: state?.lastError ?? null,
        lastErrorAt: iso(state?.lastErrorAt),
        openGaps: familyGaps.map(gapView),
        backlog: {
          pending: familyBacklog?.pending ?? 0,
          oldestAgeSeconds: familyBacklog?.oldestAgeSeconds ?? null,
        },
        deadLetters: deadLetters.get(family) ?? 0,
        rejectedFetches: {
          count: familyRejected?.count ?? 0,
          lastStatus: familyRejected?.lastStatus ?? null,
          lastError: familyRejected?.lastError ?? null,
          lastFailedAt: iso(familyRejected?.lastFailedAt),
        },
        shape: {
          status: shape.status,
          dropped: shape.dropped,
          unshapedReason: shape.unshapedReason,
          degradedSince: iso(shape.degradedSince),
          driftEvents: shape.driftEvents,
          lastProbeAt: iso(shape.lastProbeAt),
          lastProbeOutcome: shape.lastProbeOutcome,
          restoredAt: iso(shape.restoredAt),
        },
        unresolvedIds: unresolved.get(family) ?? 0,
        coverage: FAMILIES[family].coverage,
      };
    }
    return {
      status: worst([
        ...Object.values(families).map((f) => f.status),
        problems.length > 0 ? 'degraded' : 'ok',
      ]),
      generatedAt: now.toISOString(),
      families,
      alerts,
      gaps: { open: openGaps.map(gapView), recentlyClosed: closedGaps.map(gapView) },
      lag: { changeEventsPending: lag.pending, changeEventsOldestAgeSeconds: lag.oldestAgeSeconds },
      quota: {
        dailyLimit: budget.dailyLimit,
        dailyRemaining: budget.dailyRemaining,
        dailyResetAt: iso(budget.dailyResetAt),
        burstLimit: budget.burstLimit,
        burstRemaining: budget.burstRemaining,
        parkedUntil: iso(budget.parkedUntil),
        parkedReason: budget.parkedReason,
        sweepShare: this.config.health.reconcileMaxQuotaShare,
        sweepRequestsAllowed: Number.isFinite(allowance.requests) ? allowance.requests : null,
        sweepsPausedReason: allowance.pausedReason,
      },
      reconcile: jobRuns.find((run) => run.job === 'reconcile')?.lastOutcome ?? null,
      storage: {
        tables: tableSizes,
        totalBytes: tableSizes.reduce((sum, table) => sum + table.bytes, 0),
        retention: jobs.find((job) => job.job === 'retention') ?? null,
      },
      jobs,
      eventTypes: { listed: listedEventTypes, unknown: unknownEventTypes },
      backfills: backfillJobs
        .filter((job, index) => job.state === 'running' || job.state === 'paused' || index < 3)
        .map((job) => ({ ...job, rate: jobRate(job, now) })),
      problems,
    };
  }

  /** The report, at most a second old: shared by every gauge of one scrape and by the console's viewers. */
  recentReport(): Promise<HealthReport> {
    const now = Date.now();
    if (this.cached === undefined || now - this.cached.at > CACHE_MS) {
      this.cached = { at: now, report: this.report() };
    }
    return this.cached.report;
  }

  /**
   * The report for the global gauges, or null when this replica does not export them: only the holder of the
   * global-gauge lease does (see GlobalGaugeLease), so summing over replicas never multiplies them.
   */
  private exportedReport(): Promise<HealthReport | null> {
    const now = Date.now();
    if (this.exporting === undefined || now - this.exporting.at > CACHE_MS) {
      this.exporting = { at: now, holder: this.gaugeLease.holdOrTake().catch(() => false) };
    }
    const holder = this.exporting.holder;
    // A failing database must not fail the scrape: the gauges are then left out.
    return holder.then((held) => (held ? this.recentReport().catch(() => null) : null));
  }

  private registerGauges(metrics: MetricsService): void {
    const current = (): Promise<HealthReport | null> => this.exportedReport();
    metrics.gauge(
      'tango_sync_global_gauges_exporter',
      '1 on the one replica that exports the global (database-derived) gauges, 0 on the others',
      [],
      async function collect() {
        this.set((await current()) !== null ? 1 : 0);
      },
    );
    const perFamily = (name: string, help: string, value: (family: FamilyReport) => number | null): void => {
      metrics.gauge(name, help, ['resource'], async function collect() {
        const report = await current();
        this.reset();
        if (report === null) {
          return;
        }
        for (const family of RESOURCE_FAMILIES) {
          const v = value(report.families[family]);
          if (v !== null) {
            this.set({ resource: family }, v);
          }
        }
      });
    };
    const global = (name: string, help: string, value: (report: HealthReport) => number | null): void => {
      metrics.gauge(name, help, [], async function collect() {
        const report = await current();
        setOrOmit(this, report === null ? null : value(report));
      });
    };
    metrics.gauge(
      'tango_sync_family_status',
      'Family health, one series per status: 1 for the current one (ok, degraded, failing), 0 for the others',
      ['family', 'status'],
      async function collect() {
        const report = await current();
        this.reset();
        if (report === null) {
          return;
        }
        for (const family of RESOURCE_FAMILIES) {
          const now = report.families[family].status;
          for (const status of Object.keys(STATUS_SERIES)) {
            this.set({ family, status }, status === now ? 1 : 0);
          }
        }
      },
    );
    perFamily('tango_sync_open_gaps', 'Open sync gaps touching the family', (f) => f.openGaps.length);
    perFamily(
      'tango_sync_open_gap_oldest_seconds',
      'How long the oldest open gap touching the family has been open (0 when none is)',
      (f) => oldestAgeSeconds(f.openGaps, Date.now()),
    );
    perFamily('tango_sync_fetch_backlog', 'Pending fetch targets', (f) => f.backlog.pending);
    perFamily(
      'tango_sync_fetch_backlog_oldest_seconds',
      'Age of the oldest pending fetch target (0 when none is pending)',
      (f) => f.backlog.oldestAgeSeconds ?? 0,
    );
    perFamily('tango_sync_dead_letters', 'Dead-lettered, unresolved records', (f) => f.deadLetters);
    perFamily('tango_sync_last_delivery_received_timestamp_seconds', 'Last webhook delivery received', (f) =>
      epochSeconds(f.lastDeliveryReceivedAt),
    );
    perFamily('tango_sync_last_fetch_succeeded_timestamp_seconds', 'Last successful fetch', (f) =>
      epochSeconds(f.lastFetchSucceededAt),
    );
    perFamily('tango_sync_last_change_emitted_timestamp_seconds', 'Last change event written', (f) =>
      epochSeconds(f.lastChangeEmittedAt),
    );
    perFamily('tango_sync_reconciled_through_timestamp_seconds', 'Reconciliation watermark', (f) =>
      epochSeconds(f.reconciledThrough),
    );
    global(
      'tango_sync_change_events_pending',
      'Change events not yet relayed to Kafka',
      (report) => report.lag.changeEventsPending,
    );
    global(
      'tango_sync_change_events_oldest_pending_seconds',
      'Age of the oldest change event not yet relayed to Kafka (0 when none is pending)',
      (report) => report.lag.changeEventsOldestAgeSeconds ?? 0,
    );
    global(
      'tango_sync_quota_daily_limit',
      'Tango daily request limit (absent until an answer has reported it)',
      (report) => report.quota.dailyLimit,
    );
    global(
      'tango_sync_quota_daily_remaining',
      'Tango daily requests remaining (absent until an answer has reported it)',
      (report) => report.quota.dailyRemaining,
    );
    global(
      'tango_sync_sweeps_paused',
      '1 when reconciliation sweeps are paused by the quota share or a 429',
      (report) => (report.quota.sweepsPausedReason === null ? 0 : 1),
    );
  }
}
