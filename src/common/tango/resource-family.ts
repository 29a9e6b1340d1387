/** The Tango resource families tango-sync mirrors, named as their REST collections. */
export const RESOURCE_FAMILIES = [
  'contracts',
  'idvs',
  'otas',
  'otidvs',
  'opportunities',
  'notices',
  'entities',
  'grants',
  'forecasts',
] as const;

export type ResourceFamily = (typeof RESOURCE_FAMILIES)[number];

export function isResourceFamily(value: string): value is ResourceFamily {
  return (RESOURCE_FAMILIES as readonly string[]).includes(value);
}

/** Tango's alert `query_type` (singular) for each family that alerts exist for. */
const FAMILY_BY_QUERY_TYPE: Readonly<Record<string, ResourceFamily>> = {
  contract: 'contracts',
  idv: 'idvs',
  ota: 'otas',
  otidv: 'otidvs',
  opportunity: 'opportunities',
  notice: 'notices',
  entity: 'entities',
  grant: 'grants',
  forecast: 'forecasts',
};

/**
 * The family an alert `query_type` refers to. Accepts the documented singular form and, because one of Tango's
 * own examples sends it, the plural (`opportunities`). Unknown types (`exclusion`, `dibbs_rfq`, …) give undefined.
 */
export function familyForQueryType(queryType: string): ResourceFamily | undefined {
  const normalized = queryType.trim().toLowerCase();
  if (isResourceFamily(normalized)) {
    return normalized;
  }
  return FAMILY_BY_QUERY_TYPE[normalized];
}

/** Award families by the prefix of their Tango key. */
const AWARD_FAMILY_BY_KEY_PREFIX: readonly (readonly [string, ResourceFamily])[] = [
  ['CONT_AWD_', 'contracts'],
  ['CONT_IDV_', 'idvs'],
  ['OT_AWD_', 'otas'],
  ['OT_IDV_', 'otidvs'],
];

export function awardFamilyForKey(key: string): ResourceFamily | undefined {
  const upper = key.toUpperCase();
  return AWARD_FAMILY_BY_KEY_PREFIX.find(([prefix]) => upper.startsWith(prefix))?.[1];
}

export function isAwardFamily(family: ResourceFamily): boolean {
  return family === 'contracts' || family === 'idvs' || family === 'otas' || family === 'otidvs';
}
