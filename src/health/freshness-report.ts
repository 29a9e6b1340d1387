import { type ResourceFamily } from '../common/tango/resource-family';
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
}

/** The settings the freshness verdicts depend on. */
export interface FreshnessSettings {
  readonly freshness: Pick<AppConfig['freshness'], 'reverifyQuotaShare' | 'verificationDegradedSeconds'>;
  readonly health: Pick<AppConfig['health'], 'reconcileIntervalMs' | 'driftSampleSize'>;
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
  const decisions = decideFreshnessSources(new Set(listedEventTypes), new Set(snapshot.deliveredAlertTypes));
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
    });
  }
  return reports;
}
