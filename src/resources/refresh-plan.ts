import { FAMILIES, type RefreshPlan } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { SINCE_FILTER_OVERLAP_DAYS } from '../common/tango/families/contract-resources';
import { familyContract } from '../tango/tango-requests';

/** Where one resource's list walks stand (`resource_refreshes`). */
export interface RefreshState {
  readonly resource: ResourceFamily;
  readonly pollStartedAt: Date | null;
  readonly pollCompletedAt: Date | null;
  readonly polledSince: string | null;
  readonly fullStartedAt: Date | null;
  readonly fullCompletedAt: Date | null;
  /** When the complete walk before the last one started: records it did not see either are gone. */
  readonly previousFullStartedAt: Date | null;
  readonly lastKind: RefreshKind | null;
  readonly lastOutcome: Readonly<Record<string, unknown>>;
  readonly lastError: string | null;
  readonly lastErrorAt: Date | null;
}

export type RefreshKind = 'full' | 'poll' | 'alert';

/** One resource's own periods (RESOURCE_SCHEDULES, `resources:` of tango-sync.yaml). */
export interface ResourceSchedule {
  readonly pollSeconds?: number;
  readonly fullSeconds?: number;
}

/** The operator's periods: per resource (RESOURCE_SCHEDULES), then per kind (RESOURCE_*), over the defaults. */
export interface RefreshSettings {
  readonly pollSeconds?: number;
  readonly dimensionRefreshSeconds?: number;
  readonly fullWalkSeconds?: number;
  readonly schedules?: Readonly<Partial<Record<ResourceFamily, ResourceSchedule>>>;
}

/** A failed walk is tried again after this long (not on every tick: a walk may be long). */
export const RETRY_AFTER_FAILURE_MS = 5 * 60_000;

export function emptyRefreshState(resource: ResourceFamily): RefreshState {
  return {
    resource,
    pollStartedAt: null,
    pollCompletedAt: null,
    polledSince: null,
    fullStartedAt: null,
    fullCompletedAt: null,
    previousFullStartedAt: null,
    lastKind: null,
    lastOutcome: {},
    lastError: null,
    lastErrorAt: null,
  };
}

/** The refresh plan of a contract resource (throws for the nine families, which have none). */
export function refreshPlanOf(resource: ResourceFamily): RefreshPlan {
  const plan = FAMILIES[resource].refresh;
  if (plan === undefined) {
    throw new Error(`${resource} is not refreshed by list walks`);
  }
  return plan;
}

/** Seconds between polls and between full walks, the operator's settings over the resource's defaults. */
export function refreshPeriods(
  resource: ResourceFamily,
  settings: RefreshSettings,
): { readonly pollSeconds: number | null; readonly fullSeconds: number } {
  const plan = refreshPlanOf(resource);
  const own = settings.schedules?.[resource] ?? {};
  const kindFull = plan.dimension ? settings.dimensionRefreshSeconds : settings.fullWalkSeconds;
  return {
    pollSeconds:
      plan.pollEverySeconds === null
        ? null
        : (own.pollSeconds ?? settings.pollSeconds ?? plan.pollEverySeconds),
    fullSeconds: own.fullSeconds ?? kindFull ?? plan.fullWalkEverySeconds,
  };
}

/**
 * Requests a day a resource's walks cost at its periods, for a list of `records`: each full walk reads every page
 * (the contract's largest), each poll at least one page (more only when that many records changed).
 */
export function refreshRequestsPerDay(
  resource: ResourceFamily,
  records: number,
  settings: RefreshSettings,
): number {
  const periods = refreshPeriods(resource, settings);
  const pages = Math.max(1, Math.ceil(records / familyContract(resource).pagination.maxPageSize));
  const walks = (86_400 / periods.fullSeconds) * pages;
  const polls = periods.pollSeconds === null ? 0 : 86_400 / periods.pollSeconds;
  return Math.round((walks + polls) * 10) / 10;
}

const elapsed = (since: Date | null, now: Date): number =>
  since === null ? Number.POSITIVE_INFINITY : (now.getTime() - since.getTime()) / 1000;

/**
 * What a resource needs now: a full walk when none completed yet or its period passed, else a poll when the
 * resource has one and its period passed, else nothing. After a failure, nothing until the retry delay passed.
 */
export function dueRefresh(
  plan: RefreshPlan,
  state: RefreshState,
  settings: RefreshSettings,
  now: Date,
): 'full' | 'poll' | null {
  if (state.lastErrorAt !== null && now.getTime() - state.lastErrorAt.getTime() < RETRY_AFTER_FAILURE_MS) {
    return null;
  }
  const periods = refreshPeriods(state.resource, settings);
  if (state.fullCompletedAt === null || elapsed(state.fullStartedAt, now) >= periods.fullSeconds) {
    return 'full';
  }
  if (
    periods.pollSeconds !== null &&
    elapsed(state.pollStartedAt ?? state.fullStartedAt, now) >= periods.pollSeconds
  ) {
    return 'poll';
  }
  return null;
}

/** When the next refresh is due (for /health), or null when one is due now. */
export function nextRefreshAt(state: RefreshState, settings: RefreshSettings): Date | null {
  const periods = refreshPeriods(state.resource, settings);
  if (state.fullCompletedAt === null || state.fullStartedAt === null) {
    return null;
  }
  const full = state.fullStartedAt.getTime() + periods.fullSeconds * 1000;
  const last = state.pollStartedAt ?? state.fullStartedAt;
  const poll =
    periods.pollSeconds === null ? Number.POSITIVE_INFINITY : last.getTime() + periods.pollSeconds * 1000;
  return new Date(Math.min(full, poll));
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The list filters of an incremental poll: the since filter from the day the last poll (or complete walk) started,
 * less the overlap (Tango's date filters are day-granular), or the newest-first ordering.
 */
export function pollFilters(plan: RefreshPlan, state: RefreshState, now: Date): Record<string, string> {
  return filtersSince(plan, state.pollStartedAt ?? state.fullStartedAt ?? now);
}

/** The poll filters from a moment on (the since filter's day less the overlap), or newest first. */
function filtersSince(plan: RefreshPlan, from: Date): Record<string, string> {
  if (plan.mode === 'since_filter' && plan.sinceFilter !== undefined) {
    const since = new Date(from.getTime() - SINCE_FILTER_OVERLAP_DAYS * 86_400_000);
    return { [plan.sinceFilter]: dayOf(since) };
  }
  if (plan.mode === 'newest_first' && plan.ordering !== undefined) {
    return { ordering: plan.ordering };
  }
  return {};
}

/** The filters that bring in what an alert matched: its check day (less the overlap), or newest first. */
export function alertPollFilters(plan: RefreshPlan, checkedAt: Date): Record<string, string> {
  return filtersSince(plan, checkedAt);
}

/**
 * Which of the records a complete walk did not return are gone. A walk that fit on one page saw the whole list at
 * once: all of them. A longer walk may miss a record that moved between pages while it read, so only records the
 * complete walk before it did not see either (fetched before it started) are taken as gone; the rest wait for the
 * next walk. (Resources with a detail route confirm each candidate by a 404 instead; see the service.)
 */
export function goneAfterWalk(
  candidates: readonly { readonly id: string; readonly fetchedAt: Date }[],
  walk: { readonly pages: number; readonly previousStartedAt: Date | null },
): { readonly gone: readonly string[]; readonly pending: readonly string[] } {
  if (walk.pages <= 1) {
    return { gone: candidates.map((candidate) => candidate.id), pending: [] };
  }
  const before = walk.previousStartedAt;
  const gone = candidates.filter((candidate) => before !== null && candidate.fetchedAt < before);
  const goneIds = new Set(gone.map((candidate) => candidate.id));
  return {
    gone: [...goneIds],
    pending: candidates.filter((candidate) => !goneIds.has(candidate.id)).map((candidate) => candidate.id),
  };
}
