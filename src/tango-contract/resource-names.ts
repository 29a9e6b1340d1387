import { CONTRACT_RESOURCE_NAMES, type ContractResourceName } from './resource-identity';

/** The nine families described by hand (`src/common/tango/families`): alerts, id-list fetches, sweeps and legacy events. */
export const DESCRIBED_FAMILIES = [
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

export type DescribedFamily = (typeof DESCRIBED_FAMILIES)[number];

/**
 * Every Tango resource tango-sync can mirror, named as its REST collection (`/` as `_`): the nine described
 * families, then the contract resources whose descriptors are derived from Tango's contract and the reviewed
 * identity table (`src/tango-contract/resource-identity.ts`). Which of them run is configuration
 * (`TANGO_RESOURCES`). Everything else about a resource lives in its descriptor (`src/common/tango/families`).
 */
export type ResourceFamily = DescribedFamily | ContractResourceName;

export const RESOURCE_FAMILIES = [...DESCRIBED_FAMILIES, ...CONTRACT_RESOURCE_NAMES] as unknown as readonly [
  ResourceFamily,
  ...ResourceFamily[],
];

export function isResourceFamily(value: string): value is ResourceFamily {
  return (RESOURCE_FAMILIES as readonly string[]).includes(value);
}

export function isDescribedFamily(family: ResourceFamily): family is DescribedFamily {
  return (DESCRIBED_FAMILIES as readonly string[]).includes(family);
}
