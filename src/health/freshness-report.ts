import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import {
  nextRefreshAt,
  type RefreshSettings,
  type RefreshState,
  refreshPeriods,
} from '../resources/refresh-plan';
import { type AppConfig } from '../config/app-config';
import {
  cycleEstimateSeconds,
  decideFreshnessSources,
  type FreshnessSource,
  type LearnedBy,
  learnedBy,
  reverifyRequestsPerRun,
} from '../reconcile/freshness-plan';
import { type FilterProbe, type VerificationState } from '../reconcile/freshness.repository';
import { type BudgetState } from '../tango/request-budget';

/** What the freshness part of `/health` is built from (read by HealthSnapshotReader). */
export interface FreshnessSnapshot {
  /** Of the mirrored families' alert event types, those Tango delivered although its catalog may not list them. */
  readonly deliveredAlertTypes: readonly string[];
  readonly verification: readonly VerificationState[];
  readonly probes: readonly FilterProbe[];
  /** Where each turned-on contract resource's list walks stand, with its live records. */
  readonly refreshes: readonly { readonly state: RefreshState; readonly live: number }[];
}

/** The settings the freshness verdicts depend on. */
export interface FreshnessSettings {
  readonly freshness: Pick<AppConfig['freshness'], 'reverifyQuotaShare' | 'verificationDegradedSeconds'>;
  readonly health: Pick<AppConfig['health'], 'reconcileIntervalMs' | 'driftSampleSize'>;
  /** The resources turned on (TANGO_RESOURCES). */
  readonly mirrored: readonly ResourceFamily[];
  /** The walks' periods (RESOURCE_*, RESOURCE_SCHEDULES). */
  readonly resources: RefreshSettings;
}

/** How a contract resource is kept fresh by list walks, and where they stand (null for the nine families). */
export interface ResourceRefreshReport {
  readonly mode: 'full' | 'since_filter' | 'newest_first';
  readonly sinceFilter: string | null;
  readonly ordering: string | null;
  readonly idField: string;
  /** How sure the reviewed table is of the id field (docs/tango-resources.md). */
  readonly idCertainty: 'confirmed' | 'likely' | 'unconfirmed';
  /** Tango names the detail route: deletions are confirmed by a 404. */
  readonly detailRoute: boolean;
  readonly dimension: boolean;
  readonly pollSeconds: number | null;
  readonly fullSeconds: number;
  readonly lastPollAt: string | null;
  readonly lastFullWalkAt: string | null;
  readonly nextDueAt: string | null;
  readonly lastOutcome: Readonly<Record<string, unknown>> | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
}

export interface FamilyFreshness {
  /** How new and changed records are learned first: Tango's alerts, or the newest-first poll. */
  readonly source: FreshnessSource;
  readonly sourceWhy: string;
  /** How new, modified and deleted records are learned. */
  readonly learnedBy: LearnedBy;
  /** `modified_after` on this list: the run-time probe's verdict, or null where it is not probed. */
  readonly modifiedSince: {
    readonly honoured: boolean;
    readonly detail: string;
    readonly probedAt: string;
  } | null;
  readonly mirrored: number;
  readonly oldestVerifiedAt: string | null;
  /** Age of the least recently verified live record (null: none mirrored). */
  readonly oldestVerificationAgeSeconds: number | null;
  /** How long re-verifying every mirrored record of every family takes at the configured quota share. */
  readonly cycleEstimateSeconds: number | null;
  readonly verificationBoundSeconds: number;
  /** Why the family is degraded by its freshness, or null. */
  readonly problem: string | null;
  readonly refresh: ResourceRefreshReport | null;
}

/** Re-verification requests per day the configured share allows (the drift-sample size per run without limits). */
export function reverifyRequestsPerDay(budget: BudgetState, settings: FreshnessSettings): number {
  const intervalSeconds = settings.health.reconcileIntervalMs / 1000;
  const perRun = reverifyRequestsPerRun(
    budget.dailyLimit,
    settings.freshness.reverifyQuotaShare,
    intervalSeconds,
    settings.health.driftSampleSize,
  );
  return intervalSeconds > 0 ? perRun * (86_400 / intervalSeconds) : 0;
}

function ageSeconds(at: Date | null, now: Date): number | null {
  return at === null ? null : Math.max(0, Math.round((now.getTime() - at.getTime()) / 1000));
}

/**
 * Per family: its freshness source (decided as the worker decides it, from the same catalog and deliveries), how
 * each kind of change is learned, the measured age of its least recently verified record and the cycle estimate;
 * degraded when that age exceeds HEALTH_VERIFICATION_DEGRADED_SECONDS. Pure.
 */
export function freshnessReports(
  snapshot: FreshnessSnapshot,
  listedEventTypes: readonly string[],
  budget: BudgetState,
  settings: FreshnessSettings,
  now: Date,
): Map<ResourceFamily, FamilyFreshness> {
  const decisions = decideFreshnessSources(
    new Set(listedEventTypes),
    new Set(snapshot.deliveredAlertTypes),
    settings.mirrored,
  );
  const cycle = cycleEstimateSeconds(snapshot.verification, reverifyRequestsPerDay(budget, settings));
  const bound = settings.freshness.verificationDegradedSeconds;
  const reports = new Map<ResourceFamily, FamilyFreshness>();
  for (const decision of decisions) {
    const state = snapshot.verification.find((entry) => entry.family === decision.family);
    const probe = snapshot.probes.find((entry) => entry.resource === decision.family) ?? null;
    const age = ageSeconds(state?.oldestVerifiedAt ?? null, now);
    reports.set(decision.family, {
      source: decision.source,
      sourceWhy: decision.why,
      learnedBy: learnedBy(decision.family, decision.source, probe?.honoured ?? false),
      modifiedSince:
        probe === null
          ? null
          : { honoured: probe.honoured, detail: probe.detail, probedAt: probe.probedAt.toISOString() },
      mirrored: state?.mirrored ?? 0,
      oldestVerifiedAt: state?.oldestVerifiedAt?.toISOString() ?? null,
      oldestVerificationAgeSeconds: age,
      cycleEstimateSeconds: cycle,
      verificationBoundSeconds: bound,
      problem:
        age !== null && age > bound
          ? `least recently verified record is ${age}s old (bound ${bound}s; re-verification cycle ~${cycle ?? '?'}s)`
          : null,
      refresh: null,
    });
  }
  for (const { state, live } of snapshot.refreshes) {
    if (settings.mirrored.includes(state.resource)) {
      reports.set(state.resource, resourceFreshness(state, live, settings, now));
    }
  }
  return reports;
}

const isoOrNull = (at: Date | null): string | null => at?.toISOString() ?? null;

/**
 * A contract resource's freshness: its alerts (where Tango has them) and its list walks. Degraded while no full
 * walk has completed, when the last walk or poll failed, or when the last complete walk is more than two periods
 * old (the refresh job is not running).
 */
export function resourceFreshness(
  state: RefreshState,
  live: number,
  settings: FreshnessSettings,
  now: Date,
): FamilyFreshness {
  const descriptor = FAMILIES[state.resource];
  const plan = descriptor.refresh;
  if (plan === undefined) {
    throw new Error(`${state.resource} is not refreshed by list walks`);
  }
  const periods = refreshPeriods(state.resource, settings.resources);
  const { queryType } = descriptor;
  const alerted = queryType !== null;
  const polled = plan.mode !== 'full';
  const walkAge = ageSeconds(state.fullCompletedAt, now);
  const problem =
    state.lastError !== null
      ? `last ${state.lastKind ?? 'refresh'} failed: ${state.lastError}`
      : state.fullCompletedAt === null
        ? 'no complete walk of the list yet: the mirror does not hold the resource yet'
        : walkAge !== null && walkAge > 2 * periods.fullSeconds
          ? `last complete walk is ${walkAge}s old (period ${periods.fullSeconds}s): is the refresh job running?`
          : null;
  const first = alerted
    ? ('alerts' as const)
    : polled
      ? ('incremental poll' as const)
      : ('full walk' as const);
  return {
    source: alerted ? 'alerts' : polled ? 'incremental-poll' : 'full-refresh',
    sourceWhy: [
      queryType === null ? null : `Tango's catalog lists alerts.${queryType}.match`,
      polled
        ? `polled every ${periods.pollSeconds ?? '?'}s by ${plan.sinceFilter ?? `ordering=${plan.ordering ?? ''}`}`
        : null,
      `walked whole every ${periods.fullSeconds}s`,
    ]
      .filter((part) => part !== null)
      .join('; '),
    learnedBy: {
      new: [...new Set([first, ...(polled ? (['incremental poll'] as const) : []), 'full walk' as const])],
      modified: [
        ...new Set([first, ...(polled ? (['incremental poll'] as const) : []), 'full walk' as const]),
      ],
      deleted: ['full walk'],
    },
    modifiedSince: null,
    mirrored: live,
    oldestVerifiedAt: isoOrNull(state.fullStartedAt),
    oldestVerificationAgeSeconds: ageSeconds(state.fullStartedAt, now),
    cycleEstimateSeconds: periods.fullSeconds,
    verificationBoundSeconds: 2 * periods.fullSeconds,
    problem,
    refresh: {
      mode: plan.mode,
      sinceFilter: plan.sinceFilter ?? null,
      ordering: plan.ordering ?? null,
      idField: descriptor.idField,
      idCertainty: plan.idCertainty,
      detailRoute: plan.detailRoute,
      dimension: plan.dimension,
      pollSeconds: periods.pollSeconds,
      fullSeconds: periods.fullSeconds,
      lastPollAt: isoOrNull(state.pollCompletedAt),
      lastFullWalkAt: isoOrNull(state.fullCompletedAt),
      nextDueAt: isoOrNull(nextRefreshAt(state, settings.resources)),
      lastOutcome: Object.keys(state.lastOutcome).length === 0 ? null : state.lastOutcome,
      lastError: state.lastError,
      lastErrorAt: isoOrNull(state.lastErrorAt),
    },
  };
}
