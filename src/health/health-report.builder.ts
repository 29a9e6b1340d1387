import { z } from 'zod';
import { type BackfillJobView } from '../backfill/backfill.repository';
import { jobRate } from '../backfill/backfill.service';
import { classifyEventType, FAMILIES, familyForQueryType } from '../common/tango/families';
import { isResourceFamily, type ResourceFamily } from '../common/tango/resource-family';
import { type JobRun, jobFailing } from '../jobs/job-runs.repository';
import { type AlertObservation, type SyncGap } from '../sync-state/gap.repository';
import { quotaAllowance, type QuotaAllowance } from '../reconcile/reconciler.service';
import { type FamilyShapeState, fullShapeState } from '../tango/family-shapes';
import { type SyncStateRow } from './health.repository';
import {
  type AlertReport,
  type BackfillReport,
  type FamilyReport,
  type GapView,
  type HealthReport,
  type HealthReportSettings,
  type HealthSnapshot,
  type JobReport,
} from './health-report.types';
import { alertProblem, DEFAULT_FAILING, familyStatus, type FamilySignals, worst } from './health-status';
import { type FamilyFreshness, freshnessReports } from './freshness-report';
import { type HealthStatus } from './health-status';
import { tangoVersionReport } from './tango-version-report';

/** A non-paused alert not checked for this many times its frequency is degraded. */
export const ALERT_STALE_FACTOR = 3;

/** Finished backfills shown besides the running and paused ones (jobs come newest first). */
const LATEST_BACKFILLS = 3;

const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export function gapView(gap: SyncGap): GapView {
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

export function jobReport(run: JobRun): JobReport {
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

/** The alert poll failing blinds gap detection for every family. */
export function alertPollProblems(jobRuns: readonly JobRun[]): string[] {
  const alertPoll = jobRuns.find((run) => run.job === 'alert-poll');
  if (alertPoll === undefined || !jobFailing(alertPoll)) {
    return [];
  }
  return [
    `alert poll failing since ${iso(alertPoll.lastErrorAt) ?? '?'} (gap detection is blind): ${alertPoll.lastError ?? ''}`,
  ];
}

/** Listed webhook event types the delivery parser does not know. */
export function unknownEventTypes(listed: readonly string[]): string[] {
  return listed.filter((type) => classifyEventType(type) === 'unknown');
}

function eventTypeProblems(unknown: readonly string[]): string[] {
  return unknown.map(
    (type) => `Tango lists webhook event type ${type}, which the delivery parser does not know`,
  );
}

function quotaProblems(allowance: QuotaAllowance): string[] {
  return allowance.pausedReason === null ? [] : [`sweeps paused: ${allowance.pausedReason}`];
}

function statesOf(states: readonly SyncStateRow[], scope: SyncStateRow['scope']): Map<string, SyncStateRow> {
  return new Map(states.filter((state) => state.scope === scope).map((state) => [state.scopeKey, state]));
}

function alertReport(
  observation: AlertObservation,
  state: SyncStateRow | undefined,
  settings: HealthReportSettings,
  now: Date,
): AlertReport {
  const reason = alertProblem(observation, ALERT_STALE_FACTOR, now);
  return {
    alertId: observation.alertId,
    queryType: observation.queryType,
    resource: familyForQueryType(observation.queryType) ?? null,
    status: reason === null ? 'ok' : 'degraded',
    reason,
    alertStatus: observation.status,
    frequency: observation.frequency,
    matchCount: observation.matchCount,
    lastCheckedAt: iso(observation.lastCheckedAt),
    observedAt: observation.observedAt.toISOString(),
    lastDeliveryReceivedAt: iso(state?.lastDeliveryReceivedAt),
    reconciledThrough: iso(state?.reconciledThrough),
  };
}

/** Each observed alert, degraded when paused or not checked as often as its frequency says. */
export function alertReports(
  snapshot: Pick<HealthSnapshot, 'observations' | 'states'>,
  settings: HealthReportSettings,
  now: Date,
): AlertReport[] {
  const states = statesOf(snapshot.states, 'alert');
  return snapshot.observations.map((observation) =>
    alertReport(observation, states.get(observation.alertId), settings, now),
  );
}

/** What every family's verdict shares: the alerts, quota, job and backfill problems, shapes and sync states. */
interface SharedSignals {
  readonly alerts: readonly AlertReport[];
  readonly quotaProblems: readonly string[];
  readonly jobProblems: readonly string[];
  readonly backfillProblems: ReadonlyMap<ResourceFamily, readonly string[]>;
  readonly shapes: ReadonlyMap<ResourceFamily, FamilyShapeState>;
  readonly resourceStates: ReadonlyMap<string, SyncStateRow>;
  readonly freshness: ReadonlyMap<ResourceFamily, FamilyFreshness>;
  /** Records of each family the last history check found differing from the fold of their history. */
  readonly historyMismatches: ReadonlyMap<ResourceFamily, number>;
}

const historyCheckSchema = z.object({
  mismatches: z.array(z.object({ resource: z.string() })),
  differing: z.number().int().nonnegative(),
});

/** Per family, the records the last history check found differing (its recorded outcome). */
export function historyMismatches(jobRuns: HealthSnapshot['jobRuns']): Map<ResourceFamily, number> {
  const outcome = historyCheckSchema.safeParse(
    jobRuns.find((run) => run.job === 'history-check')?.lastOutcome,
  );
  const counts = new Map<ResourceFamily, number>();
  for (const mismatch of outcome.data?.mismatches ?? []) {
    if (isResourceFamily(mismatch.resource)) {
      counts.set(mismatch.resource, (counts.get(mismatch.resource) ?? 0) + 1);
    }
  }
  return counts;
}

/** A family whose mirror rows differ from the fold of their history is degraded until they are rebuilt. */
function withHistory(
  verdict: { status: HealthStatus; reasons: readonly string[] },
  family: ResourceFamily,
  mismatches: number,
): { status: HealthStatus; reasons: readonly string[] } {
  if (mismatches === 0) {
    return verdict;
  }
  return {
    status: worst([verdict.status, 'degraded']),
    reasons: [
      ...verdict.reasons,
      `history check: ${mismatches} record(s) differ from the fold of their history (tango-sync rebuild ${family})`,
    ],
  };
}

/** One family's raw figures, picked from the snapshot. */
interface FamilyFigures {
  readonly state: SyncStateRow | undefined;
  readonly shape: FamilyShapeState;
  readonly gaps: readonly SyncGap[];
  readonly backlog: { readonly pending: number; readonly oldestAgeSeconds: number | null };
  readonly deadLetters: number;
  readonly unresolvedIds: number;
}

function familyFigures(
  family: ResourceFamily,
  snapshot: HealthSnapshot,
  shared: SharedSignals,
): FamilyFigures {
  const backlog = snapshot.backlog.find((row) => row.resource === family);
  return {
    state: shared.resourceStates.get(family),
    shape: shared.shapes.get(family) ?? fullShapeState(family),
    // Family-less gaps (rejections) touch every family.
    gaps: snapshot.openGaps.filter((gap) => gap.resource === family || gap.resource === null),
    backlog: { pending: backlog?.pending ?? 0, oldestAgeSeconds: backlog?.oldestAgeSeconds ?? null },
    deadLetters: snapshot.deadLetters.get(family) ?? 0,
    unresolvedIds: snapshot.unresolved.get(family) ?? 0,
  };
}

function familySignals(
  family: ResourceFamily,
  figures: FamilyFigures,
  snapshot: HealthSnapshot,
  shared: SharedSignals,
): FamilySignals {
  return {
    openGaps: figures.gaps,
    backlogPending: figures.backlog.pending,
    backlogOldestAgeSeconds: figures.backlog.oldestAgeSeconds,
    deadLetters: figures.deadLetters,
    lastFetchSucceededAt: figures.state?.lastFetchSucceededAt ?? null,
    lastErrorAt: figures.state?.lastErrorAt ?? null,
    degradedAlerts: shared.alerts
      .filter((alert) => alert.resource === family && alert.reason !== null)
      .map((alert) => ({ alertId: alert.alertId, why: alert.reason ?? '' })),
    quotaProblems: shared.quotaProblems,
    rejected: snapshot.rejected.get(family) ?? null,
    shape: {
      status: figures.shape.status,
      dropped: figures.shape.dropped,
      unshapedReason: figures.shape.unshapedReason,
    },
    unresolvedIds: figures.unresolvedIds,
    jobProblems: shared.jobProblems,
    backfillProblems: shared.backfillProblems.get(family) ?? [],
  };
}

function shapeView(shape: FamilyShapeState): FamilyReport['shape'] {
  return {
    status: shape.status,
    dropped: shape.dropped,
    unshapedReason: shape.unshapedReason,
    degradedSince: iso(shape.degradedSince),
    driftEvents: shape.driftEvents,
    lastProbeAt: iso(shape.lastProbeAt),
    lastProbeOutcome: shape.lastProbeOutcome,
    restoredAt: iso(shape.restoredAt),
    notMirrored: shape.notMirrored,
    paths: shape.paths,
  };
}

function rejectedView(snapshot: HealthSnapshot, family: ResourceFamily): FamilyReport['rejectedFetches'] {
  const rejected = snapshot.rejected.get(family);
  return {
    count: rejected?.count ?? 0,
    lastStatus: rejected?.lastStatus ?? null,
    lastError: rejected?.lastError ?? null,
    lastFailedAt: iso(rejected?.lastFailedAt),
  };
}

function familyReport(
  family: ResourceFamily,
  snapshot: HealthSnapshot,
  shared: SharedSignals,
  settings: HealthReportSettings,
): FamilyReport {
  const figures = familyFigures(family, snapshot, shared);
  const { state } = figures;
  const signalled = familyStatus(familySignals(family, figures, snapshot, shared), {
    lagDegradedSeconds: settings.lagDegradedSeconds,
    ...DEFAULT_FAILING,
  });
  const freshness = shared.freshness.get(family);
  if (freshness === undefined) {
    throw new Error(`no freshness report for ${family}`);
  }
  const verdict = withHistory(
    withFreshness(signalled, freshness),
    family,
    shared.historyMismatches.get(family) ?? 0,
  );
  return {
    status: verdict.status,
    reasons: verdict.reasons,
    lastDeliveryReceivedAt: iso(state?.lastDeliveryReceivedAt),
    lastTangoTimestamp: iso(state?.lastTangoTimestamp),
    lastFetchSucceededAt: iso(state?.lastFetchSucceededAt),
    lastChangeEmittedAt: iso(state?.lastChangeEmittedAt),
    reconciledThrough: iso(state?.reconciledThrough),
    lastError: state?.lastError ?? null,
    lastErrorAt: iso(state?.lastErrorAt),
    openGaps: figures.gaps.map(gapView),
    backlog: figures.backlog,
    deadLetters: figures.deadLetters,
    rejectedFetches: rejectedView(snapshot, family),
    shape: shapeView(figures.shape),
    unresolvedIds: figures.unresolvedIds,
    coverage: FAMILIES[family].coverage,
    freshness,
  };
}

/** A family whose least recently verified record is older than its bound is (at least) degraded. */
function withFreshness(
  verdict: { status: HealthStatus; reasons: readonly string[] },
  freshness: FamilyFreshness,
): { status: HealthStatus; reasons: readonly string[] } {
  if (freshness.problem === null) {
    return verdict;
  }
  return { status: worst([verdict.status, 'degraded']), reasons: [...verdict.reasons, freshness.problem] };
}

function familyReports(
  snapshot: HealthSnapshot,
  shared: SharedSignals,
  settings: HealthReportSettings,
): Partial<Record<ResourceFamily, FamilyReport>> {
  const families: Partial<Record<ResourceFamily, FamilyReport>> = {};
  // The resources turned on (TANGO_RESOURCES): one turned off is neither synced nor reported.
  for (const family of settings.mirrored) {
    families[family] = familyReport(family, snapshot, shared, settings);
  }
  return families;
}

function quotaView(
  snapshot: HealthSnapshot,
  allowance: QuotaAllowance,
  settings: HealthReportSettings,
): HealthReport['quota'] {
  const { budget } = snapshot;
  return {
    dailyLimit: budget.dailyLimit,
    dailyRemaining: budget.dailyRemaining,
    dailyResetAt: iso(budget.dailyResetAt),
    burstLimit: budget.burstLimit,
    burstRemaining: budget.burstRemaining,
    parkedUntil: iso(budget.parkedUntil),
    parkedReason: budget.parkedReason,
    sweepShare: settings.reconcileMaxQuotaShare,
    sweepRequestsAllowed: Number.isFinite(allowance.requests) ? allowance.requests : null,
    sweepsPausedReason: allowance.pausedReason,
  };
}

function storageView(snapshot: HealthSnapshot, jobs: readonly JobReport[]): HealthReport['storage'] {
  return {
    tables: snapshot.tableSizes,
    totalBytes: snapshot.tableSizes.reduce((sum, table) => sum + table.bytes, 0),
    retention: jobs.find((job) => job.job === 'retention') ?? null,
  };
}

/** Backfills running or paused, and the latest others, each with its rate and ETA. */
export function backfillReports(jobs: readonly BackfillJobView[], now: Date): BackfillReport[] {
  return jobs
    .filter((job, index) => job.state === 'running' || job.state === 'paused' || index < LATEST_BACKFILLS)
    .map((job) => ({ ...job, rate: jobRate(job, now) }));
}

/**
 * Whether the mirror can be trusted, per family: the last successful timestamps, open gaps, fetch backlog,
 * dead letters, alert health and quota, folded into ok | degraded | failing with the reasons. Pure: the snapshot
 * holds everything read.
 */
export function buildHealthReport(
  snapshot: HealthSnapshot,
  now: Date,
  settings: HealthReportSettings,
): HealthReport {
  const allowance = quotaAllowance(snapshot.budget, settings.reconcileMaxQuotaShare, now);
  const alerts = alertReports(snapshot, settings, now);
  const families = familyReports(
    snapshot,
    {
      alerts,
      quotaProblems: quotaProblems(allowance),
      jobProblems: alertPollProblems(snapshot.jobRuns),
      backfillProblems: backfillProblems(snapshot.backfillJobs),
      shapes: new Map(snapshot.shapeStates.map((state) => [state.family, state])),
      resourceStates: statesOf(snapshot.states, 'resource'),
      historyMismatches: historyMismatches(snapshot.jobRuns),
      freshness: freshnessReports(
        snapshot.freshness,
        snapshot.listedEventTypes,
        snapshot.budget,
        settings,
        now,
      ),
    },
    settings,
  );
  const unknown = unknownEventTypes(snapshot.listedEventTypes);
  const problems = eventTypeProblems(unknown);
  const jobs = snapshot.jobRuns.map(jobReport);
  return {
    status: worst([...Object.values(families).map((f) => f.status), problems.length > 0 ? 'degraded' : 'ok']),
    generatedAt: now.toISOString(),
    families,
    alerts,
    gaps: { open: snapshot.openGaps.map(gapView), recentlyClosed: snapshot.closedGaps.map(gapView) },
    lag: {
      changeEventsPending: snapshot.lag.pending,
      changeEventsOldestAgeSeconds: snapshot.lag.oldestAgeSeconds,
    },
    quota: quotaView(snapshot, allowance, settings),
    reconcile: snapshot.jobRuns.find((run) => run.job === 'reconcile')?.lastOutcome ?? null,
    storage: storageView(snapshot, jobs),
    jobs,
    eventTypes: { listed: snapshot.listedEventTypes, unknown },
    backfills: backfillReports(snapshot.backfillJobs, now),
    problems,
    tango: tangoVersionReport(snapshot),
  };
}
