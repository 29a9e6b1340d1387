import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { FAMILIES } from '../common/tango/families';
import { alertPollFilters } from '../resources/refresh-plan';
import { splitAlertFilters, windowQueries } from '../tango/tango-requests';

/**
 * A window sweep spanning more days than this is not read here page after page: it becomes a backfill job over
 * the window (segments read in parallel by every worker), and the gap closes when that job is done.
 */
export const SEGMENTED_SWEEP_MIN_DAYS = 7;

export interface PlannedSweep {
  readonly family: ResourceFamily;
  readonly filters: Readonly<Record<string, string>>;
  /** Why this sweep exists, for provenance and logs. */
  readonly label: string;
}

export interface GapToPlan {
  readonly resource: ResourceFamily | null;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
  /** The alert's filters when the gap belongs to one alert (re-running them is the surest repair). */
  readonly alertFilters: Readonly<Record<string, unknown>> | null;
}

export interface SweepPlan {
  readonly sweeps: PlannedSweep[];
  /** The widened window (gap range plus the overlap on both sides). */
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /** Why an alert's own filters are not among the sweeps (Tango would ignore some of them), or null. */
  readonly alertSkipped: string | null;
}

/** The date-windowed list queries that cover [start, end] (with the overlap already applied) for one family. */
export function windowSweeps(family: ResourceFamily, start: Date, end: Date): PlannedSweep[] {
  return windowQueries(family, start, end).map((query) => ({
    family,
    filters: query.filters,
    label: query.label,
  }));
}

/**
 * The sweeps that repair one gap: the alert's own filters when it has an alert and Tango honours every one of
 * them (the surest repair; a filter Tango ignores would widen the re-run into a scan of the family), then the
 * family's date window over the gap's range widened by the overlap. A gap without a family (a rejected delivery
 * whose content is unknown) is swept over every family that has a window.
 */
export function planSweeps(gap: GapToPlan, overlapSeconds: number): SweepPlan {
  const start = new Date(gap.rangeStart.getTime() - overlapSeconds * 1000);
  const end = new Date(gap.rangeEnd.getTime() + overlapSeconds * 1000);
  const families = gap.resource === null ? RESOURCE_FAMILIES : [gap.resource];
  const sweeps: PlannedSweep[] = [];
  let alertSkipped: string | null = null;
  if (gap.alertFilters !== null && gap.resource !== null) {
    const split = splitAlertFilters(gap.resource, gap.alertFilters);
    if (split.unknown.length === 0 && Object.keys(split.honoured).length > 0) {
      sweeps.push({ family: gap.resource, filters: split.honoured, label: 'alert filters' });
    } else {
      alertSkipped =
        split.unknown.length > 0
          ? `alert filters not re-run: Tango's contract lacks ${split.unknown.join(', ')} for ${gap.resource}`
          : 'alert has no filters a list request could use';
    }
  }
  for (const family of families) {
    sweeps.push(...windowSweeps(family, start, end));
  }
  // A contract resource has no date window: its own poll from the gap's start repairs it (named gaps only; a gap
  // of no family is left to the resources' scheduled polls).
  const plan = gap.resource === null ? undefined : FAMILIES[gap.resource].refresh;
  if (gap.resource !== null && plan !== undefined && plan.mode !== 'full') {
    sweeps.push({
      family: gap.resource,
      filters: alertPollFilters(plan, start),
      label: `resource poll (${plan.sinceFilter ?? plan.ordering ?? ''})`,
    });
  }
  return { sweeps, alertSkipped, windowStart: start, windowEnd: end };
}

/** Whether the window sweeps of a plan are long enough to be read as a segmented backfill job. */
export function isLongWindow(plan: Pick<SweepPlan, 'windowStart' | 'windowEnd'>): boolean {
  return plan.windowEnd.getTime() - plan.windowStart.getTime() > SEGMENTED_SWEEP_MIN_DAYS * 86_400_000;
}

/** The gap as sweep planning sees it. */
export interface GapToSweep {
  readonly resource: ResourceFamily | null;
  readonly alertId: string | null;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
}

/** An alert as its latest poll saw it. */
export interface ObservedAlert {
  readonly alertId: string;
  readonly queryType: string;
  readonly status: string;
  readonly filters: Readonly<Record<string, unknown>>;
}

/** How one gap is repaired: sweeps read right away, window sweeps handed to a backfill job, or why neither can. */
export interface GapSweepPlan {
  /** Read here, page after page, within the sweep budget. */
  readonly sweeps: readonly PlannedSweep[];
  /** Long window sweeps, read as one backfill job over `plan`'s window. */
  readonly segmented: readonly PlannedSweep[];
  readonly plan: SweepPlan;
  /** Why nothing can sweep the gap (no date filter, alert filters unusable), or null. */
  readonly unsweepable: string | null;
}

/**
 * Plans the repair of one gap. A gap of a known family re-runs its alert's filters (when it has an alert and Tango
 * honours them) and reads the family's date window; a gap without a family (a rejected delivery, content unknown)
 * also re-runs the filters of every active alert. A window longer than SEGMENTED_SWEEP_MIN_DAYS is handed to a
 * backfill job; alert re-runs never are.
 */
export function planGapSweep(
  gap: GapToSweep,
  observations: readonly ObservedAlert[],
  familyOfQueryType: (queryType: string) => ResourceFamily | null,
  overlapSeconds: number,
): GapSweepPlan {
  const range = { rangeStart: gap.rangeStart, rangeEnd: gap.rangeEnd };
  const sweeps: PlannedSweep[] = [];
  if (gap.resource === null) {
    for (const observation of observations) {
      const alertFilters = observation.status === 'active' ? observation.filters : null;
      const rerun = planSweeps(
        { ...range, resource: familyOfQueryType(observation.queryType), alertFilters },
        overlapSeconds,
      );
      sweeps.push(...rerun.sweeps.filter((sweep) => sweep.label === 'alert filters'));
    }
  }
  const alertFilters =
    gap.alertId === null ? null : (observations.find((o) => o.alertId === gap.alertId)?.filters ?? null);
  const plan = planSweeps({ ...range, resource: gap.resource, alertFilters }, overlapSeconds);
  const segmented = isLongWindow(plan) ? plan.sweeps.filter((sweep) => sweep.label !== 'alert filters') : [];
  sweeps.push(...plan.sweeps.filter((sweep) => !segmented.includes(sweep)));
  const unsweepable =
    sweeps.length === 0 && segmented.length === 0
      ? `nothing can sweep it: ${gap.resource ?? 'the family'} has no date filter in Tango's contract${
          plan.alertSkipped === null ? '' : ` and ${plan.alertSkipped}`
        } (a backfill repairs it)`
      : null;
  return { sweeps, segmented, plan, unsweepable };
}
