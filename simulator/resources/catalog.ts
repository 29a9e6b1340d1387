import { z } from 'zod';
import {
  CONTRACT_RESOURCE_NAMES,
  type ContractResourceName,
  RESOURCE_IDENTITIES,
  type ResourceIdentity,
} from '../../src/tango-contract/resource-identity';
import { type ResourceContract, tangoContract } from '../../src/tango-contract/tango-contract';

/**
 * The resources of Tango's contract beyond the nine families, as the reviewed identity table names them
 * (`src/tango-contract/resource-identity.ts`, keyed by mirror name: `dibbs_rfqs`). Everything the simulator does
 * with them is generic: routes, filters, orderings and pagination come from the contract, the id field, detail
 * route, refresh mode and alert type from the identity table. What is per resource here is data only: the form of
 * generated ids and the default record count.
 */
export type Resource = ContractResourceName;
export const RESOURCES: readonly Resource[] = CONTRACT_RESOURCE_NAMES;
export const resourceSchema = z.enum(CONTRACT_RESOURCE_NAMES as [Resource, ...Resource[]]);

/**
 * How ids are generated. `uuid`: a random v4 UUID. `pattern`: one character per position, `D` a digit, `N` a digit
 * but 0, `A` an upper-case letter, `X` a letter or digit, anything else literal; `numeric` ids are served as JSON
 * numbers (the observed type of the id field is a number, or the nine families use numbers for the same codes).
 */
export type IdFormat =
  | { readonly kind: 'uuid' }
  | { readonly kind: 'pattern'; readonly pattern: string; readonly numeric?: boolean };

interface ResourceData {
  readonly idFormat: IdFormat;
  /** Seeded records without `resourceSizes` (small: a test that mirrors every resource stays fast). */
  readonly defaultSize: number;
}

const UUID: IdFormat = { kind: 'uuid' };
const pattern = (text: string, numeric = false): IdFormat => ({ kind: 'pattern', pattern: text, numeric });

const RESOURCE_DATA: Readonly<Record<Resource, ResourceData>> = {
  exclusions: { idFormat: pattern('AXXXXXXXXX'), defaultSize: 60 },
  dibbs_rfqs: { idFormat: UUID, defaultSize: 60 },
  dibbs_rfps: { idFormat: UUID, defaultSize: 40 },
  agencies: { idFormat: pattern('NDDD'), defaultSize: 30 },
  departments: { idFormat: pattern('ND', true), defaultSize: 16 },
  offices: { idFormat: pattern('AXXXXX'), defaultSize: 40 },
  organizations: { idFormat: UUID, defaultSize: 40 },
  naics: { idFormat: pattern('NDDDDD', true), defaultSize: 30 },
  psc: { idFormat: pattern('ADDD'), defaultSize: 30 },
  assistance_listings: { idFormat: pattern('ND.DDN', true), defaultSize: 30 },
  business_types: { idFormat: pattern('XX'), defaultSize: 20 },
  mas_sins: { idFormat: pattern('NDDDDX'), defaultSize: 30 },
  budget_accounts: { idFormat: pattern('NDDDDD', true), defaultSize: 40 },
  dibbs_awards: { idFormat: UUID, defaultSize: 40 },
  gsa_elibrary_contracts: { idFormat: UUID, defaultSize: 40 },
  itdashboard: { idFormat: pattern('NDD-DDDDDDDDD'), defaultSize: 40 },
  protests: { idFormat: pattern('B-NDDDDD.N'), defaultSize: 40 },
  sbir_solicitations: { idFormat: pattern('NDDDD'), defaultSize: 30 },
  sbir_topics: { idFormat: pattern('NDDDDD'), defaultSize: 50 },
  sled_forecasts: { idFormat: UUID, defaultSize: 40 },
  sled_opportunities: { idFormat: UUID, defaultSize: 50 },
  subawards: { idFormat: pattern('NDDDDDDDD'), defaultSize: 60 },
  vehicles: { idFormat: UUID, defaultSize: 30 },
};

/** Everything the simulator knows about one resource: its identity, its contract and its data. */
export interface ResourceSpec {
  readonly name: Resource;
  readonly identity: ResourceIdentity;
  readonly contract: ResourceContract;
  readonly idFormat: IdFormat;
  readonly defaultSize: number;
  /**
   * The top-level field that holds the record's change time, when the contract has one (`update_date`,
   * `updated_time`, `modified`): the identity's source-modified path or refresh field.
   */
  readonly changeField?: string;
  /** The `*_after` / `*_before` filters on the change time (the identity's since filter and its pair). */
  readonly changeFilters: { readonly after?: string; readonly before?: string };
  /**
   * Fields of alert match summaries: the id field only. Tango's documents show no summary of these resources'
   * alerts, so the simulator invents nothing beyond the id the worker needs.
   */
  readonly summaryFields: readonly string[];
}

function changeFieldOf(identity: ResourceIdentity, contract: ResourceContract): string | undefined {
  const candidates = [
    identity.sourceModifiedPath,
    identity.refresh.kind === 'since_filter' ? identity.refresh.field : undefined,
  ];
  return candidates.find((field) => field !== undefined && contract.fields.has(field));
}

function changeFiltersOf(
  identity: ResourceIdentity,
  contract: ResourceContract,
): ResourceSpec['changeFilters'] {
  if (identity.refresh.kind !== 'since_filter') {
    return {};
  }
  const after = identity.refresh.filter;
  const before = after.replace(/_after$/, '_before');
  return {
    ...(contract.filterParams.has(after) ? { after } : {}),
    ...(before !== after && contract.filterParams.has(before) ? { before } : {}),
  };
}

function summaryFieldsOf(identity: ResourceIdentity): string[] {
  return [identity.idField];
}

function specOf(name: Resource): ResourceSpec {
  const identity: ResourceIdentity = RESOURCE_IDENTITIES[name];
  const contract = tangoContract().resource(identity.collection);
  const changeField = changeFieldOf(identity, contract);
  return {
    name,
    identity,
    contract,
    ...RESOURCE_DATA[name],
    ...(changeField === undefined ? {} : { changeField }),
    changeFilters: changeFiltersOf(identity, contract),
    summaryFields: summaryFieldsOf(identity),
  };
}

export const RESOURCE_SPECS: Readonly<Record<Resource, ResourceSpec>> = Object.fromEntries(
  RESOURCES.map((name) => [name, specOf(name)]),
) as Record<Resource, ResourceSpec>;

export function isResource(name: string): name is Resource {
  return (RESOURCES as readonly string[]).includes(name);
}

/** The resource whose alerts have this `query_type` (`exclusion` -> `exclusions`), if any. */
export function resourceForQueryType(queryType: string): Resource | undefined {
  return RESOURCES.find((name) => RESOURCE_SPECS[name].identity.alertQueryType === queryType);
}

/** Record counts per resource: the configured ones, the default for the others. */
const POSITION_CHOICES: Readonly<Record<string, number>> = { D: 10, N: 9, A: 26, X: 36 };

/**
 * The most records a resource may be seeded with: half the ids its format can make (ids are drawn at random, so
 * a fuller space would take ever more attempts); unbounded for UUIDs.
 */
export function maxResourceSize(name: Resource): number {
  const format = RESOURCE_DATA[name].idFormat;
  if (format.kind === 'uuid') {
    return Number.MAX_SAFE_INTEGER;
  }
  let space = 1;
  for (let index = 0; index < format.pattern.length; index += 1) {
    space *= POSITION_CHOICES[format.pattern.charAt(index)] ?? 1;
  }
  return Math.floor(space / 2);
}

export const resourceSizesSchema = z
  .partialRecord(resourceSchema, z.number().int().min(0))
  .superRefine((sizes, context) => {
    for (const [name, size] of Object.entries(sizes)) {
      if (isResource(name) && size > maxResourceSize(name)) {
        context.addIssue({
          code: 'custom',
          path: [name],
          message: `at most ${maxResourceSize(name)} ${name} (the id space of its format)`,
        });
      }
    }
  });
export type ResourceSizes = z.infer<typeof resourceSizesSchema>;

export function resourceSize(sizes: ResourceSizes, name: Resource): number {
  return sizes[name] ?? RESOURCE_SPECS[name].defaultSize;
}
