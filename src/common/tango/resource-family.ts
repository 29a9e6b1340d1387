/**
 * The Tango resource families tango-sync mirrors, named as their REST collections. Everything else about a
 * family lives in its descriptor (`./families`).
 */
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
