export type HealthStatus = 'ok' | 'degraded' | 'failing';

export interface FamilySignals {
  /** Open gaps that touch this family (its own, its alerts', and family-less ones such as rejections). */
  readonly openGaps: readonly {
    readonly cause: string;
    readonly sweepAttempts: number;
    readonly lastSweepError: string | null;
  }[];
  readonly backlogPending: number;
  readonly backlogOldestAgeSeconds: number | null;
  readonly deadLetters: number;
  readonly lastFetchSucceededAt: Date | null;
  readonly lastErrorAt: Date | null;
  /** Alerts of this family that are paused or not checked as often as their frequency says. */
  readonly degradedAlerts: readonly { readonly alertId: string; readonly why: string }[];
  /** Account-wide quota problems (sweeps paused, requests parked). */
  readonly quotaProblems: readonly string[];
  /** Fetches Tango refused for good (a 4xx other than 404/429, a 200 carrying an error), not yet resolved. */
  readonly rejected: {
    readonly count: number;
    readonly lastStatus: number | null;
    readonly lastError: string | null;
  } | null;
  /** The family's shape, when Tango refused part of it (or all of it, for the tier). */
  readonly shape: {
    readonly status: 'full' | 'reduced' | 'unshaped';
    readonly dropped: readonly { readonly path: string; readonly reason: string }[];
    readonly unshapedReason: string | null;
  };
  /** Ids (bare PIIDs, forecast subjects) that name no record Tango has. */
  readonly unresolvedIds: number;
  /** Problems of jobs every family depends on (the alert poll). */
  readonly jobProblems: readonly string[];
  /** The family's latest backfill failed: its initial load is incomplete. */
  readonly backfillProblems: readonly string[];
}

export interface StatusThresholds {
  readonly lagDegradedSeconds: number;
  /** Backlog age, in multiples of lagDegradedSeconds, that marks a family failing. */
  readonly lagFailingFactor: number;
  /** Sweep attempts after which a gap that still cannot be closed marks the family failing. */
  readonly failingSweepAttempts: number;
}

export const DEFAULT_FAILING: Pick<StatusThresholds, 'lagFailingFactor' | 'failingSweepAttempts'> = {
  lagFailingFactor: 4,
  failingSweepAttempts: 3,
};

export interface StatusVerdict {
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
}

/**
 * A family is `failing` when the mirror is falling behind and not recovering by itself (the backlog is far older
 * than the lag threshold, its latest fetch failed with work pending, or a gap's sweep keeps failing), `degraded`
 * when it may be missing changes that the worker knows how to repair (open gaps, backlog over the threshold, dead
 * letters, a paused or stale alert, quota that pauses sweeps), and `ok` otherwise.
 */
export function familyStatus(signals: FamilySignals, thresholds: StatusThresholds): StatusVerdict {
  const failing: string[] = [];
  const degraded: string[] = [];
  const age = signals.backlogOldestAgeSeconds;
  if (age !== null && age > thresholds.lagDegradedSeconds * thresholds.lagFailingFactor) {
    failing.push(`fetch backlog ${Math.round(age)}s old (${signals.backlogPending} pending)`);
  } else if (age !== null && age > thresholds.lagDegradedSeconds) {
    degraded.push(`fetch backlog ${Math.round(age)}s old (${signals.backlogPending} pending)`);
  }
  if (signals.rejected !== null && signals.rejected.count > 0) {
    failing.push(
      `Tango refused ${signals.rejected.count} fetch(es) for good (dead-lettered): ` +
        `${signals.rejected.lastStatus ?? '?'} ${signals.rejected.lastError ?? ''}`.trim(),
    );
  }
  if (
    signals.backlogPending > 0 &&
    signals.lastErrorAt !== null &&
    (signals.lastFetchSucceededAt === null || signals.lastErrorAt > signals.lastFetchSucceededAt)
  ) {
    failing.push('latest fetch failed with work pending');
  }
  for (const gap of signals.openGaps) {
    if (gap.sweepAttempts >= thresholds.failingSweepAttempts && gap.lastSweepError !== null) {
      failing.push(
        `gap (${gap.cause}) not repaired after ${gap.sweepAttempts} sweeps: ${gap.lastSweepError}`,
      );
    } else {
      degraded.push(`open gap (${gap.cause})`);
    }
  }
  if (signals.deadLetters > 0) {
    degraded.push(`${signals.deadLetters} dead-lettered record(s)`);
  }
  for (const alert of signals.degradedAlerts) {
    degraded.push(`alert ${alert.alertId}: ${alert.why}`);
  }
  if (signals.shape.status === 'reduced') {
    degraded.push(
      `shape reduced (contract drift): Tango refused ${signals.shape.dropped
        .map((item) => `${item.path} (${item.reason})`)
        .join(', ')}; mirrored without them until Tango accepts them again`,
    );
  } else if (signals.shape.status === 'unshaped') {
    degraded.push(
      `fetched without a shape (Tango refuses shapes for this tier): ${signals.shape.unshapedReason ?? ''}`,
    );
  }
  if (signals.unresolvedIds > 0) {
    degraded.push(
      `${signals.unresolvedIds} id(s) that name no record (unresolved PIIDs or forecast subjects)`,
    );
  }
  degraded.push(...signals.jobProblems);
  degraded.push(...signals.backfillProblems);
  degraded.push(...signals.quotaProblems);
  if (failing.length > 0) {
    return { status: 'failing', reasons: [...failing, ...degraded] };
  }
  return degraded.length > 0 ? { status: 'degraded', reasons: degraded } : { status: 'ok', reasons: [] };
}

/** Seconds between checks an alert frequency promises (custom is treated as daily). */
export function frequencySeconds(frequency: string | null): number {
  switch (frequency) {
    case 'realtime':
      return 300;
    case 'weekly':
      return 7 * 86_400;
    case 'daily':
    case 'custom':
    case null:
    default:
      return 86_400;
  }
}

/** Why an alert is degraded, or null: paused, or not checked for longer than `factor` times its frequency. */
export function alertProblem(
  alert: {
    readonly status: string;
    readonly frequency: string | null;
    readonly lastCheckedAt: Date | null;
    readonly observedAt: Date;
  },
  factor: number,
  now: Date,
): string | null {
  if (alert.status !== 'active') {
    return `alert is ${alert.status}`;
  }
  const allowed = frequencySeconds(alert.frequency) * factor;
  const since = alert.lastCheckedAt ?? null;
  if (since === null) {
    return null;
  }
  const ageSeconds = (now.getTime() - since.getTime()) / 1000;
  return ageSeconds > allowed
    ? `not checked for ${Math.round(ageSeconds)}s (frequency ${alert.frequency ?? 'unknown'})`
    : null;
}

export function worst(statuses: readonly HealthStatus[]): HealthStatus {
  return statuses.includes('failing') ? 'failing' : statuses.includes('degraded') ? 'degraded' : 'ok';
}
