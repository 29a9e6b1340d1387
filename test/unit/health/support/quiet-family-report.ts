import { fullShapeState } from '../../../../src/tango/family-shapes';
import { FAMILIES } from '../../../../src/common/tango/families';
import { type ResourceFamily } from '../../../../src/common/tango/resource-family';
import { type FamilyReport } from '../../../../src/health/health-report.types';
import { decideFreshnessSource, learnedBy } from '../../../../src/reconcile/freshness-plan';

/** A family's report with nothing to say: no deliveries, fetches, gaps, backlog, failures or shape drift. */
export function quietFamilyReport(
  family: ResourceFamily,
  overrides: Partial<FamilyReport> = {},
): FamilyReport {
  return {
    status: 'ok',
    reasons: [],
    lastDeliveryReceivedAt: null,
    lastTangoTimestamp: null,
    lastFetchSucceededAt: null,
    lastChangeEmittedAt: null,
    reconciledThrough: null,
    lastError: null,
    lastErrorAt: null,
    openGaps: [],
    backlog: { pending: 0, oldestAgeSeconds: null },
    deadLetters: 0,
    rejectedFetches: { count: 0, lastStatus: null, lastError: null, lastFailedAt: null },
    shape: {
      status: 'full',
      dropped: [],
      unshapedReason: null,
      degradedSince: null,
      driftEvents: 0,
      lastProbeAt: null,
      lastProbeOutcome: null,
      restoredAt: null,
      notMirrored: [],
      paths: fullShapeState(family).paths,
    },
    unresolvedIds: 0,
    coverage: FAMILIES[family].coverage,
    // Nothing listed or delivered: the newest-first poll, as the worker decides it.
    freshness: {
      source: 'newest-poll',
      sourceWhy: decideFreshnessSource(family, new Set(), new Set()).why,
      learnedBy: learnedBy(family, 'newest-poll', false),
      modifiedSince: null,
      mirrored: 0,
      oldestVerifiedAt: null,
      oldestVerificationAgeSeconds: null,
      cycleEstimateSeconds: null,
      verificationBoundSeconds: 86_400,
      refresh: null,
      problem: null,
    },
    ...overrides,
  };
}
