import { formatShape } from '../../../tango-contract/shape-grammar';
import { CONTRACT_RESOURCE_NAMES } from '../../../tango-contract/resource-identity';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../resource-family';
import { CONTRACTS, IDVS, OTAS, OTIDVS } from './awards';
import { contractResourceDescriptor } from './contract-resources';
import { ENTITIES } from './entities';
import { type FamilyDescriptor, type ShapeItem } from './family-descriptor';
import { FORECASTS } from './forecasts';
import { GRANTS } from './grants';
import { NOTICES, OPPORTUNITIES } from './opportunities';

/** Every mirrored family's descriptor: the one home of what a family is. */
export const FAMILIES: Readonly<Record<ResourceFamily, FamilyDescriptor>> = {
  contracts: CONTRACTS,
  idvs: IDVS,
  otas: OTAS,
  otidvs: OTIDVS,
  opportunities: OPPORTUNITIES,
  notices: NOTICES,
  entities: ENTITIES,
  grants: GRANTS,
  forecasts: FORECASTS,
  ...(Object.fromEntries(
    CONTRACT_RESOURCE_NAMES.map((name) => [name, contractResourceDescriptor(name)]),
  ) as Record<(typeof CONTRACT_RESOURCE_NAMES)[number], FamilyDescriptor>),
};

export function familyDescriptor(family: ResourceFamily): FamilyDescriptor {
  return FAMILIES[family];
}

/** Families in the order of `RESOURCE_FAMILIES`. */
export function allFamilies(): readonly FamilyDescriptor[] {
  return RESOURCE_FAMILIES.map((family) => FAMILIES[family]);
}

/**
 * The family an alert `query_type` refers to. Accepts the documented singular form and, because one of Tango's
 * own examples sends it, the plural (`opportunities`). Types of no resource (`contract_appeal`, …) give undefined.
 */
export function familyForQueryType(queryType: string): ResourceFamily | undefined {
  const normalized = queryType.trim().toLowerCase();
  return allFamilies().find(
    (descriptor) =>
      descriptor.queryType !== null &&
      (descriptor.queryType === normalized || descriptor.family === normalized),
  )?.family;
}

/**
 * Whether the worker may fetch a record of this resource by its id: by an id-list filter or a detail route Tango
 * names. The nine families can; a contract resource only where the reviewed table confirms the detail route.
 */
export function fetchesById(descriptor: FamilyDescriptor): boolean {
  return descriptor.refresh === undefined || descriptor.refresh.detailRoute;
}

/** The award family a Tango key belongs to, by its prefix (`CONT_AWD_…` is a contract). */
export function awardFamilyForKey(key: string): ResourceFamily | undefined {
  const upper = key.toUpperCase();
  return allFamilies().find(
    (descriptor) => descriptor.keyPrefix !== undefined && upper.startsWith(descriptor.keyPrefix),
  )?.family;
}

export function isAwardFamily(family: ResourceFamily): boolean {
  return FAMILIES[family].keyPrefix !== undefined;
}

/** The `shape` parameter for a list of items (Tango's grammar). */
export function shapeText(items: readonly ShapeItem[]): string {
  return formatShape(items);
}

/** The list path (`/api/contracts/`) or the detail path of one record, with the id URL-encoded. */
export function familyPath(family: ResourceFamily, id?: string): string {
  const collection = FAMILIES[family].collection;
  return id === undefined ? `/api/${collection}/` : `/api/${collection}/${encodeURIComponent(id)}/`;
}
