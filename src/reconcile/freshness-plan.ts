import { FAMILIES } from '../common/tango/families';
import { DESCRIBED_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { LIST_PAGE_SIZE, familyContract, windowQueries } from '../tango/tango-requests';
import { type PlannedSweep } from './sweep-plan';

/**
 * Freshness by what Tango really sends, decided here without I/O. Tango's documents disagree on which alert event
 * types exist (the catalog its SDKs print has none for idv, ota and otidv, and notices have no query type at all),
 * so the worker never assumes one: a family is kept fresh by its alerts only when Tango's live event-type catalog
 * lists `alerts.<query_type>.match` or a delivery of that type actually arrived; otherwise by a scheduled
 * newest-first poll. Every family also gets the rolling re-verification of every mirrored record (modifications
 * and deletions no alert or filter shows).
 */

/**
 * `alerts` and `newest-poll` for the nine families; a contract resource (src/resources) is kept fresh by its
 * `incremental-poll` (a change filter or ordering) or, for dimensions and resources without one, `full-refresh`.
 */
export const FRESHNESS_SOURCES = ['alerts', 'newest-poll', 'incremental-poll', 'full-refresh'] as const;
export type FreshnessSource = (typeof FRESHNESS_SOURCES)[number];

export interface FreshnessDecision {
  readonly family: ResourceFamily;
  readonly source: FreshnessSource;
  /** The family's alert event type (`alerts.idv.match`). */
  readonly alertEventType: string;
  readonly why: string;
}

/** The alert event type of a family: `alerts.<query_type>.match`, or null where Tango has no alert for it. */
export function alertEventTypeOf(family: ResourceFamily): string | null {
  const queryType = FAMILIES[family].queryType;
  return queryType === null ? null : `alerts.${queryType}.match`;
}

/** The alert event types of these resources (those Tango has one for). */
export function alertEventTypesOf(families: readonly ResourceFamily[]): string[] {
  return families.map(alertEventTypeOf).filter((type): type is string => type !== null);
}

/**
 * How one family learns of new and changed records: `alerts` when Tango's catalog lists its alert type or such an
 * alert was delivered, else `newest-poll`.
 */
export function decideFreshnessSource(
  family: ResourceFamily,
  listed: ReadonlySet<string>,
  delivered: ReadonlySet<string>,
): FreshnessDecision {
  const alertEventType = alertEventTypeOf(family) ?? `alerts.${family}.match`;
  if (listed.has(alertEventType)) {
    return {
      family,
      source: 'alerts',
      alertEventType,
      why: `Tango's event-type catalog lists ${alertEventType}`,
    };
  }
  if (delivered.has(alertEventType)) {
    return {
      family,
      source: 'alerts',
      alertEventType,
      why: `Tango delivered ${alertEventType} (its catalog does not list it)`,
    };
  }
  return {
    family,
    source: 'newest-poll',
    alertEventType,
    why: `Tango neither lists nor sent ${alertEventType}: newest-first poll`,
  };
}

/** The decision of each of the given families (by default the nine described ones), in their order. */
export function decideFreshnessSources(
  listed: ReadonlySet<string>,
  delivered: ReadonlySet<string>,
  families: readonly ResourceFamily[] = DESCRIBED_FAMILIES,
): FreshnessDecision[] {
  return families
    .filter((family) => FAMILIES[family].refresh === undefined)
    .map((family) => decideFreshnessSource(family, listed, delivered));
}

/**
 * The contract's descending ordering on the date a family's window filters by (`-award_date` for
 * `award_date_gte`), or null when the contract has none (notices, forecasts' `modified_after`).
 */
export function newestFirstOrdering(family: ResourceFamily): string | null {
  const window = FAMILIES[family].window;
  if (window === null) {
    return null;
  }
  const contract = familyContract(family);
  const ordering = [...contract.orderingValues].find(
    (value) => value.startsWith('-') && window.after.startsWith(value.slice(1)),
  );
  return ordering ?? null;
}

/**
 * The newest-first poll of one family: its date window from `lookbackDays` before `now` (no end, so records
 * dated later are read too), ordered newest first where the contract has that ordering. Empty for a family
 * without a date filter (entities: only alerts and re-verification can find their records).
 */
export function newestPollSweeps(family: ResourceFamily, now: Date, lookbackDays: number): PlannedSweep[] {
  const start = new Date(now.getTime() - lookbackDays * 86_400_000);
  const ordering = newestFirstOrdering(family);
  return windowQueries(family, start, null).map((query) => ({
    family,
    filters: ordering === null ? query.filters : { ...query.filters, ordering },
    label: `newest-first poll (${query.label}${ordering === null ? '' : `, ${ordering}`})`,
  }));
}

/** Records one re-verification request confirms: a page of the id-list filter, or one detail read. */
export function recordsPerRequest(family: ResourceFamily): number {
  return FAMILIES[family].idListFilter === null ? 1 : LIST_PAGE_SIZE;
}

export interface MirroredCount {
  readonly family: ResourceFamily;
  readonly mirrored: number;
}

export interface ReverifyShare {
  readonly family: ResourceFamily;
  /** Records to re-verify in this run (the family's least recently verified). */
  readonly records: number;
  /** Requests they cost. */
  readonly requests: number;
}

/** Requests a full re-verification cycle of one family costs. */
export function cycleRequests(count: MirroredCount): number {
  return Math.ceil(count.mirrored / recordsPerRequest(count.family));
}

/**
 * How a run's request budget is shared: every family re-verifies the same fraction of its mirrored records
 * (so every family's cycle has the same length), in whole requests (100 ids per request where the family has an
 * id-list filter), never more than it holds. With budget for a whole cycle every record is re-verified.
 */
export function planReverification(counts: readonly MirroredCount[], requests: number): ReverifyShare[] {
  const total = counts.reduce((sum, count) => sum + cycleRequests(count), 0);
  if (total === 0 || requests <= 0) {
    return counts.map((count) => ({ family: count.family, records: 0, requests: 0 }));
  }
  const fraction = Math.min(1, requests / total);
  return counts.map((count) => {
    const familyRequests = Math.min(
      cycleRequests(count),
      Math.max(1, Math.floor(cycleRequests(count) * fraction)),
    );
    const records = Math.min(count.mirrored, familyRequests * recordsPerRequest(count.family));
    return { family: count.family, records, requests: count.mirrored === 0 ? 0 : familyRequests };
  });
}

/** The re-verification requests one run may send: its share of the daily quota, spread over the day's runs. */
export function reverifyRequestsPerRun(
  dailyLimit: number | null,
  share: number,
  runIntervalSeconds: number,
  fallbackRecords: number,
): number {
  if (dailyLimit === null) {
    // Tango has not told us its limits yet: the drift-sample size is the run's budget.
    return fallbackRecords;
  }
  const runsPerDay = Math.max(1, 86_400 / Math.max(1, runIntervalSeconds));
  return Math.max(share > 0 ? 1 : 0, Math.floor((dailyLimit * share) / runsPerDay));
}

/**
 * Seconds a full re-verification cycle of every family takes at `requestsPerDay` (null: nothing to re-verify, or
 * no budget at all).
 */
export function cycleEstimateSeconds(
  counts: readonly MirroredCount[],
  requestsPerDay: number,
): number | null {
  const total = counts.reduce((sum, count) => sum + cycleRequests(count), 0);
  if (total === 0 || requestsPerDay <= 0) {
    return null;
  }
  return Math.ceil((total / requestsPerDay) * 86_400);
}

export const LEARNING_MEANS = [
  'alerts',
  'incremental poll',
  'full walk',
  'newest-first poll',
  'gap sweeps',
  'modified-since poll',
  're-verification',
] as const;
export type LearningMeans = (typeof LEARNING_MEANS)[number];

export interface LearnedBy {
  readonly new: readonly LearningMeans[];
  readonly modified: readonly LearningMeans[];
  readonly deleted: readonly LearningMeans[];
}

/**
 * How a family learns of new, modified and deleted records, given its source and whether Tango honours
 * `modified_after` on its list (the probe). Re-verification finds every kind of change of a mirrored record;
 * it cannot find a record the mirror never held.
 */
export function learnedBy(
  family: ResourceFamily,
  source: FreshnessSource,
  modifiedSinceHonoured: boolean,
): LearnedBy {
  const coverage = FAMILIES[family].coverage;
  const sweeps: LearningMeans[] = FAMILIES[family].window === null ? [] : ['gap sweeps'];
  const first: LearningMeans[] =
    source === 'alerts'
      ? ['alerts']
      : newestPollSweeps(family, new Date(0), 1).length > 0
        ? ['newest-first poll']
        : [];
  const modifiedSince: LearningMeans[] = modifiedSinceHonoured ? ['modified-since poll'] : [];
  const pollSeesModified = source === 'newest-poll' && coverage.detects.includes('modified') ? first : [];
  return {
    new: [...first, ...sweeps, ...modifiedSince],
    modified: [...(source === 'alerts' ? first : pollSeesModified), ...modifiedSince, 're-verification'],
    deleted: ['re-verification'],
  };
}
