import { type ResourceFamily, RESOURCE_FAMILIES } from '../common/tango/resource-family';

/** The kinds of change a mirror can miss. */
export type ChangeKind = 'new' | 'modified' | 'deleted';

export interface FamilyCoverage {
  /** Change kinds the windowed sweeps (and alert re-runs) can see. */
  readonly detects: readonly ChangeKind[];
  /** Change kinds only drift sampling can see (statistically, a rotating sample at a time). */
  readonly onlyBySampling: readonly ChangeKind[];
  /** How the windowed sweep of this family filters. */
  readonly sweepBy: string;
}

const AWARDS: FamilyCoverage = {
  detects: ['new'],
  onlyBySampling: ['modified', 'deleted'],
  sweepBy: 'award_date window (new awards only; modifications keep their award_date)',
};

/**
 * What the reconciliation sweeps can and cannot see, per family. Alert re-runs see whatever the alert's filters
 * match now (new and modified records that still match); no list filter exposes deletions.
 */
export const COVERAGE: Readonly<Record<ResourceFamily, FamilyCoverage>> = {
  contracts: AWARDS,
  idvs: AWARDS,
  otas: AWARDS,
  otidvs: AWARDS,
  opportunities: {
    detects: ['new', 'modified'],
    onlyBySampling: ['deleted'],
    sweepBy: 'last_notice_date window, active and inactive (a new notice modifies its opportunity)',
  },
  notices: {
    detects: ['new'],
    onlyBySampling: ['modified', 'deleted'],
    sweepBy: 'posted_date window (new notices)',
  },
  grants: {
    detects: ['new'],
    onlyBySampling: ['modified', 'deleted'],
    sweepBy: 'posted_date window (new grants)',
  },
  forecasts: {
    detects: ['new', 'modified'],
    onlyBySampling: ['deleted'],
    sweepBy: 'modified_after (day granularity; sees every change)',
  },
  entities: {
    detects: [],
    onlyBySampling: ['new', 'modified', 'deleted'],
    sweepBy: 'none (no date filter; alert re-runs and drift sampling only)',
  },
};

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

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Alert filters as list query parameters (lists joined with `|`, objects as JSON, nulls dropped). */
export function filtersAsQuery(filters: Readonly<Record<string, unknown>>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value === null || value === undefined) {
      continue;
    }
    query[key] = Array.isArray(value)
      ? value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join('|')
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  }
  return query;
}

/** The date-windowed list queries that cover [start, end] (with the overlap already applied) for one family. */
export function windowSweeps(family: ResourceFamily, start: Date, end: Date): PlannedSweep[] {
  const from = day(start);
  const to = day(end);
  switch (family) {
    case 'contracts':
    case 'idvs':
    case 'otas':
    case 'otidvs':
      return [{ family, filters: { award_date_gte: from, award_date_lte: to }, label: 'award_date window' }];
    case 'opportunities':
      return [
        { family, filters: { last_notice_date_after: from }, label: 'last_notice_date window' },
        {
          family,
          filters: { last_notice_date_after: from, active: 'false' },
          label: 'last_notice_date window (inactive)',
        },
      ];
    case 'notices':
      return [{ family, filters: { posted_date_after: from }, label: 'posted_date window' }];
    case 'grants':
      return [{ family, filters: { posted_date_after: from }, label: 'posted_date window' }];
    case 'forecasts':
      return [{ family, filters: { modified_after: from }, label: 'modified_after window' }];
    case 'entities':
      return [];
  }
}

/**
 * The sweeps that repair one gap: the alert's own filters when it has an alert (the surest repair), then the
 * family's date window over the gap's range widened by the overlap. A gap without a family (a rejected delivery
 * whose content is unknown) is swept over every family that has a window.
 */
export function planSweeps(gap: GapToPlan, overlapSeconds: number): PlannedSweep[] {
  const start = new Date(gap.rangeStart.getTime() - overlapSeconds * 1000);
  const end = new Date(gap.rangeEnd.getTime() + overlapSeconds * 1000);
  const families = gap.resource === null ? RESOURCE_FAMILIES : [gap.resource];
  const sweeps: PlannedSweep[] = [];
  if (gap.alertFilters !== null && gap.resource !== null) {
    sweeps.push({ family: gap.resource, filters: filtersAsQuery(gap.alertFilters), label: 'alert filters' });
  }
  for (const family of families) {
    sweeps.push(...windowSweeps(family, start, end));
  }
  return sweeps;
}
