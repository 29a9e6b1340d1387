import { formatShape } from '../../../tango-contract/shape-grammar';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../resource-family';
import { CONTRACTS, IDVS, OTAS, OTIDVS } from './awards';
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
 * own examples sends it, the plural (`opportunities`). Unknown types (`exclusion`, `dibbs_rfq`, …) give undefined.
 */
export function familyForQueryType(queryType: string): ResourceFamily | undefined {
  const normalized = queryType.trim().toLowerCase();
  return allFamilies().find(
    (descriptor) => descriptor.queryType === normalized || descriptor.family === normalized,
  )?.family;
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
