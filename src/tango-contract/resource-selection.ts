import { RESOURCE_IDENTITIES } from './resource-identity';
import {
  DESCRIBED_FAMILIES,
  isResourceFamily,
  RESOURCE_FAMILIES,
  type ResourceFamily,
} from './resource-names';

/** The dimensions analysts join awards to (agency, office, NAICS, PSC codes, …), from the reviewed table. */
export const DIMENSION_RESOURCES = RESOURCE_FAMILIES.filter(
  (name) =>
    name in RESOURCE_IDENTITIES && RESOURCE_IDENTITIES[name as keyof typeof RESOURCE_IDENTITIES].dimension,
);

/** Resources Tango alerts on beyond the nine families (exclusions, DIBBS RFQs and RFPs, SLED opportunities). */
const ALERTED_RESOURCES = RESOURCE_FAMILIES.filter(
  (name) =>
    name in RESOURCE_IDENTITIES &&
    'alertQueryType' in RESOURCE_IDENTITIES[name as keyof typeof RESOURCE_IDENTITIES] &&
    // SLED needs Tango's pro tier: one line away, not on by default.
    name !== 'sled_opportunities',
);

/**
 * Names `TANGO_RESOURCES` (and `tango-sync.yaml` `resources:`) accepts besides single resources: `families`, the
 * nine described families; `dimensions`; `default`, the families, the alerted resources and the dimensions; `all`,
 * every mirrorable resource of the contract.
 */
export const RESOURCE_GROUPS: Readonly<Record<string, readonly ResourceFamily[]>> = {
  families: DESCRIBED_FAMILIES,
  dimensions: DIMENSION_RESOURCES,
  default: [...DESCRIBED_FAMILIES, ...ALERTED_RESOURCES, ...DIMENSION_RESOURCES],
  all: RESOURCE_FAMILIES,
};

export type ResourceSelection =
  | { readonly ok: true; readonly resources: readonly ResourceFamily[] }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * The resources a comma list turns on, in `RESOURCE_FAMILIES` order: groups and names add, `-name` (or
 * `-group`) removes, left to right (`default,-offices,protests`). Unknown names are problems, never ignored.
 */
export function selectResources(items: readonly string[]): ResourceSelection {
  const chosen = new Set<ResourceFamily>();
  const problems: string[] = [];
  for (const raw of items) {
    const removing = raw.startsWith('-');
    const name = (removing ? raw.slice(1) : raw).trim().toLowerCase().replace(/\//g, '_');
    const named = RESOURCE_GROUPS[name] ?? (isResourceFamily(name) ? [name] : undefined);
    if (named === undefined) {
      problems.push(
        `unknown resource "${raw}" (groups: ${Object.keys(RESOURCE_GROUPS).join(', ')}; resources: ${RESOURCE_FAMILIES.join(', ')})`,
      );
      continue;
    }
    for (const resource of named) {
      if (removing) {
        chosen.delete(resource);
      } else {
        chosen.add(resource);
      }
    }
  }
  if (problems.length === 0 && chosen.size === 0) {
    problems.push('turns no resource on');
  }
  return problems.length > 0
    ? { ok: false, problems }
    : { ok: true, resources: RESOURCE_FAMILIES.filter((resource) => chosen.has(resource)) };
}

/** One resource's own periods, as `RESOURCE_SCHEDULES` and `resources:` of tango-sync.yaml give them. */
export interface ScheduleSetting {
  readonly pollSeconds?: number;
  readonly fullSeconds?: number;
}

export type ScheduleParse =
  | { readonly ok: true; readonly schedules: Readonly<Partial<Record<ResourceFamily, ScheduleSetting>>> }
  | { readonly ok: false; readonly problems: readonly string[] };

const SCHEDULE_KEYS = { poll: 'pollSeconds', full: 'fullSeconds' } as const;

/**
 * `RESOURCE_SCHEDULES`: `<resource>:poll=<seconds>,full=<seconds>;…` (either part may be left out). Only contract
 * resources have list walks; a resource walked only whole (a dimension) has no poll.
 */
export function parseSchedules(text: string): ScheduleParse {
  const schedules: Partial<Record<ResourceFamily, ScheduleSetting>> = {};
  const problems: string[] = [];
  for (const part of text
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)) {
    const [name = '', settings = ''] = part.split(':', 2).map((item) => item.trim());
    if (!isResourceFamily(name) || !(name in RESOURCE_IDENTITIES)) {
      problems.push(`"${part}": ${name} is not a contract resource (the nine families have no list walks)`);
      continue;
    }
    const schedule: { pollSeconds?: number; fullSeconds?: number } = {};
    for (const assignment of settings.split(',').map((item) => item.trim())) {
      const match = /^(poll|full)=(\d{1,9})$/.exec(assignment);
      const seconds = Number(match?.[2]);
      if (match === null || seconds < 1) {
        problems.push(`"${part}": "${assignment}" is not poll=<seconds> or full=<seconds>`);
        continue;
      }
      schedule[SCHEDULE_KEYS[match[1] as keyof typeof SCHEDULE_KEYS]] = seconds;
    }
    const identity = RESOURCE_IDENTITIES[name as keyof typeof RESOURCE_IDENTITIES];
    if (schedule.pollSeconds !== undefined && identity.refresh.kind === 'full') {
      problems.push(
        `"${part}": ${name} is only walked whole (it has no change filter or ordering to poll by)`,
      );
    }
    if (name in schedules) {
      problems.push(`${name} is named twice`);
    }
    schedules[name] = schedule;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, schedules };
}
