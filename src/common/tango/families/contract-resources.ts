import { tangoContract } from '../../../tango-contract/tango-contract';
import {
  type ContractResourceName,
  type RefreshIdentity,
  RESOURCE_IDENTITIES,
  type ResourceIdentity,
} from '../../../tango-contract/resource-identity';
import { column, type FamilyDescriptor, type RefreshPlan, wholeShape } from './family-descriptor';

/** Days of overlap a since-filter poll keeps behind its watermark (Tango's date filters are day-granular). */
export const SINCE_FILTER_OVERLAP_DAYS = 1;

/** How often each kind of resource is walked whole by default (seconds). */
export const DIMENSION_REFRESH_SECONDS = 24 * 3_600;
export const INCREMENTAL_POLL_SECONDS = 3_600;
export const INCREMENTAL_FULL_WALK_SECONDS = 7 * 24 * 3_600;

/** How a resource stays fresh, derived from the reviewed table and checked against the contract. */
function refreshPlan(identity: ResourceIdentity): RefreshPlan {
  const refresh: RefreshIdentity = identity.refresh;
  const source = refresh.kind === 'full' ? 'full refresh' : 'incremental poll';
  return {
    mode: refresh.kind,
    ...(refresh.kind === 'since_filter' ? { sinceFilter: refresh.filter } : {}),
    ...(refresh.kind === 'newest_first' ? { ordering: refresh.ordering } : {}),
    pollEverySeconds: refresh.kind === 'full' ? null : INCREMENTAL_POLL_SECONDS,
    fullWalkEverySeconds: identity.dimension ? DIMENSION_REFRESH_SECONDS : INCREMENTAL_FULL_WALK_SECONDS,
    dimension: identity.dimension,
    detailRoute: identity.detailRoute,
    idCertainty: identity.idCertainty,
    listVariants: identity.listVariants ?? [{}],
    freshnessSources: [...(identity.alertQueryType === undefined ? [] : ['alerts']), source],
  };
}

function coverageOf(identity: ResourceIdentity): FamilyDescriptor['coverage'] {
  switch (identity.refresh.kind) {
    case 'full':
      return {
        detects: ['new', 'modified', 'deleted'],
        onlyBySampling: [],
        sweepBy: 'full walk of the list (every record; what a complete walk no longer returns is deleted)',
      };
    case 'since_filter':
      return {
        detects: ['new', 'modified', 'deleted'],
        onlyBySampling: [],
        sweepBy: `${identity.refresh.filter} poll (day granularity) and a periodic full walk for deletions`,
      };
    case 'newest_first':
      return {
        detects: ['new', 'modified', 'deleted'],
        onlyBySampling: [],
        sweepBy: `ordering=${identity.refresh.ordering} poll until a page brings nothing new, and a periodic full walk`,
      };
  }
}

/**
 * The descriptor of a contract resource beyond the nine hand-described families: route, shape and pagination
 * from Tango's contract, identity and refresh from the reviewed table. Ids are text (E30); no id-list filter
 * (none of these resources has one on its id field); no date window (their refresh plan replaces it).
 */
export function contractResourceDescriptor(name: ContractResourceName): FamilyDescriptor {
  const identity: ResourceIdentity = RESOURCE_IDENTITIES[name];
  // Throws for a collection the contract does not have: a wrong table entry fails at load, loudly.
  tangoContract().resource(identity.collection);
  return {
    family: name,
    collection: identity.collection,
    queryType: identity.alertQueryType ?? null,
    modelName: identity.modelName,
    idField: identity.idField,
    idType: 'text',
    idKind: 'text',
    alternateIdKinds: [],
    idListFilter: null,
    summaryIdFields: [identity.idField],
    shape: wholeShape(identity.collection),
    columns: identity.columns.map(([columnName, type, path]) =>
      column(columnName, type, path, { indexed: true }),
    ),
    table: name,
    ...(identity.sourceModifiedPath === undefined ? {} : { sourceModifiedPath: identity.sourceModifiedPath }),
    window: null,
    coverage: coverageOf(identity),
    refresh: refreshPlan(identity),
  };
}
