/**
 * What Tango's contract does not say about its resources beyond the nine hand-described families: which field
 * keys a record, whether the worker may use a detail route, which alert type names it, and how the resource can
 * be kept fresh. Reviewed by hand from the SDKs, changelogs and recordings (`docs/tango-resources.md`, whose
 * evidence tags `E..` these entries cite); everything else about a resource (route, shape, filters, orderings,
 * pagination) is read from the contract itself. The simulator and the worker both read this table.
 */

/** How sure the table is of a fact: named by Tango, the only plausible reading, or a best candidate. */
export type Certainty = 'confirmed' | 'likely' | 'unconfirmed';

/**
 * How a resource stays fresh when no alert names its records:
 * - `full`: every page of the list is read on a schedule; what a complete walk no longer returns is deleted;
 * - `since_filter`: a date filter on Tango's own change time (`update_date_after`) bounds each poll;
 * - `newest_first`: an ordering on Tango's change time (`-modified`) is read until a page brings nothing new.
 * Incremental resources are also fully walked, on a longer schedule, to see deletions and what polls missed.
 */
export type RefreshIdentity =
  | { readonly kind: 'full' }
  | { readonly kind: 'since_filter'; readonly filter: string; readonly field: string }
  | { readonly kind: 'newest_first'; readonly ordering: string };

export type IdentityColumnType = 'text' | 'date' | 'timestamptz' | 'numeric' | 'integer' | 'boolean';

/** A typed, indexed column analysts join or filter on: `[name, type, path]`. */
export type IdentityColumn = readonly [name: string, type: IdentityColumnType, path: string];

export interface ResourceIdentity {
  /** The contract's resource key and REST collection (`dibbs/rfqs`). */
  readonly collection: string;
  /** Tango's model name, as in its 404s. */
  readonly modelName: string;
  /** The field that keys a record. Every id is stored as text (sampled types call `J041` an int, E30). */
  readonly idField: string;
  readonly idCertainty: Certainty;
  /**
   * The worker may fetch `/api/<collection>/<id>/` and take its 404 as a deletion. Only where Tango names the
   * route: a wrong guess would turn every lookup into a 404, and every 404 into a deletion.
   */
  readonly detailRoute: boolean;
  /** The alert `query_type` Tango's event-type catalog lists for it (`exclusion`), if any. */
  readonly alertQueryType?: string;
  /** Small reference tables refreshed whole (agencies, NAICS, …). */
  readonly dimension: boolean;
  readonly refresh: RefreshIdentity;
  /** Tango's own change time for a record, where its shape has one. */
  readonly sourceModifiedPath?: string;
  readonly columns: readonly IdentityColumn[];
  /**
   * Lists a walk reads one after the other to see every record, where Tango's list without filters shows only
   * some (SLED opportunities: open ones only, E21). Absent: the unfiltered list is the whole resource.
   */
  readonly listVariants?: readonly Readonly<Record<string, string>>[];
  /** Where the facts come from (`docs/tango-resources.md`). */
  readonly evidence: string;
}

/** Resources in the contract that cannot be mirrored, and why. */
export const UNMIRRORABLE_RESOURCES: Readonly<Record<string, string>> = {
  events: 'Tango publishes no shape and no id field for it (E11)',
  news: 'Tango publishes no shape and no id field for it (E11)',
};

const FULL = { kind: 'full' } as const;
const newestFirst = (ordering: string): RefreshIdentity => ({ kind: 'newest_first', ordering });

/**
 * The reviewed table, keyed by the resource's mirror name (its collection with `/` as `_`). Order: alerted
 * resources, the dimensions, then the rest alphabetically.
 */
export const RESOURCE_IDENTITIES = {
  exclusions: {
    collection: 'exclusions',
    modelName: 'Exclusion',
    idField: 'exclusion_key',
    idCertainty: 'unconfirmed',
    detailRoute: false,
    alertQueryType: 'exclusion',
    dimension: false,
    refresh: { kind: 'since_filter', filter: 'update_date_after', field: 'update_date' },
    sourceModifiedPath: 'update_date',
    columns: [
      ['uei', 'text', 'uei'],
      ['entity_uei', 'text', 'entity_uei'],
      ['cage_code', 'text', 'cage_code'],
      ['excluding_agency_code', 'text', 'excluding_agency_code'],
      ['exclusion_type', 'text', 'exclusion_type'],
      ['classification_type', 'text', 'classification_type'],
      ['activate_date', 'date', 'activate_date'],
      ['termination_date', 'date', 'termination_date'],
      ['update_date', 'date', 'update_date'],
    ],
    evidence: 'E9, E12, E25, E29',
  },
  dibbs_rfqs: {
    collection: 'dibbs/rfqs',
    modelName: 'DibbsRfq',
    idField: 'uuid',
    idCertainty: 'likely',
    detailRoute: false,
    alertQueryType: 'dibbs_rfq',
    dimension: false,
    refresh: newestFirst('-modified'),
    columns: [
      ['solicitation', 'text', 'solicitation'],
      ['nsn', 'text', 'nsn'],
      ['purchase_request', 'text', 'purchase_request'],
      ['issue_date', 'date', 'issue_date'],
      ['return_by_date', 'date', 'return_by_date'],
      ['set_aside', 'text', 'set_aside'],
    ],
    evidence: 'E9, E10, E25, E29',
  },
  dibbs_rfps: {
    collection: 'dibbs/rfps',
    modelName: 'DibbsRfp',
    idField: 'uuid',
    idCertainty: 'likely',
    detailRoute: false,
    alertQueryType: 'dibbs_rfp',
    dimension: false,
    refresh: newestFirst('-modified'),
    columns: [
      ['solicitation', 'text', 'solicitation'],
      ['nsn', 'text', 'nsn'],
      ['issued_date', 'date', 'issued_date'],
      ['closes_date', 'date', 'closes_date'],
    ],
    evidence: 'E9, E10, E25, E29',
  },
  agencies: {
    collection: 'agencies',
    modelName: 'Agency',
    idField: 'code',
    idCertainty: 'confirmed',
    detailRoute: true,
    dimension: true,
    refresh: FULL,
    columns: [
      ['abbreviation', 'text', 'abbreviation'],
      ['name', 'text', 'name'],
      ['department_code', 'text', 'department.code'],
    ],
    evidence: 'E3, E4',
  },
  departments: {
    collection: 'departments',
    modelName: 'Department',
    idField: 'code',
    idCertainty: 'confirmed',
    detailRoute: false,
    dimension: true,
    refresh: FULL,
    columns: [
      ['abbreviation', 'text', 'abbreviation'],
      ['cgac', 'text', 'cgac'],
      ['name', 'text', 'name'],
    ],
    evidence: 'E8',
  },
  offices: {
    collection: 'offices',
    modelName: 'Office',
    idField: 'code',
    idCertainty: 'unconfirmed',
    detailRoute: false,
    dimension: true,
    refresh: FULL,
    columns: [
      ['office_code', 'text', 'office_code'],
      ['agency_code', 'text', 'agency_code'],
      ['department_code', 'text', 'department_code'],
      ['name', 'text', 'name'],
    ],
    evidence: 'E17',
  },
  organizations: {
    collection: 'organizations',
    modelName: 'Organization',
    idField: 'key',
    idCertainty: 'unconfirmed',
    detailRoute: false,
    dimension: true,
    refresh: FULL,
    columns: [
      ['fh_key', 'text', 'fh_key'],
      ['parent_fh_key', 'text', 'parent_fh_key'],
      ['code', 'text', 'code'],
      ['cgac', 'text', 'cgac'],
      ['level', 'integer', 'level'],
      ['is_active', 'boolean', 'is_active'],
    ],
    evidence: 'E18',
  },
  naics: {
    collection: 'naics',
    modelName: 'Naics',
    idField: 'code',
    idCertainty: 'confirmed',
    detailRoute: true,
    dimension: true,
    refresh: FULL,
    columns: [['description', 'text', 'description']],
    evidence: 'E16',
  },
  psc: {
    collection: 'psc',
    modelName: 'Psc',
    idField: 'code',
    idCertainty: 'confirmed',
    detailRoute: true,
    dimension: true,
    refresh: FULL,
    columns: [
      ['category', 'text', 'category'],
      ['level_1_category_code', 'text', 'level_1_category_code'],
      ['level_2_category_code', 'text', 'level_2_category_code'],
      ['parent', 'text', 'parent'],
    ],
    evidence: 'E16, E30',
  },
  assistance_listings: {
    collection: 'assistance_listings',
    modelName: 'AssistanceListing',
    idField: 'number',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: true,
    refresh: FULL,
    columns: [
      ['title', 'text', 'title'],
      ['published_date', 'date', 'published_date'],
      ['archived_date', 'date', 'archived_date'],
    ],
    evidence: 'E5',
  },
  business_types: {
    collection: 'business_types',
    modelName: 'BusinessType',
    idField: 'code',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: true,
    refresh: FULL,
    columns: [['name', 'text', 'name']],
    evidence: 'E7, E30',
  },
  mas_sins: {
    collection: 'mas_sins',
    modelName: 'MasSin',
    idField: 'sin',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: true,
    refresh: FULL,
    columns: [
      ['psc_code', 'text', 'psc_code'],
      ['large_category_code', 'text', 'large_category_code'],
      ['sub_category_code', 'text', 'sub_category_code'],
      ['expiration_date', 'date', 'expiration_date'],
    ],
    evidence: 'E15',
  },
  budget_accounts: {
    collection: 'budget/accounts',
    modelName: 'BudgetAccount',
    idField: 'id',
    idCertainty: 'unconfirmed',
    detailRoute: false,
    dimension: false,
    refresh: newestFirst('-modified'),
    sourceModifiedPath: 'modified',
    columns: [
      ['federal_account_symbol', 'text', 'federal_account_symbol'],
      ['fiscal_year', 'integer', 'fiscal_year'],
      ['agency_code', 'text', 'agency_code'],
    ],
    evidence: 'E6',
  },
  dibbs_awards: {
    collection: 'dibbs/awards',
    modelName: 'DibbsAward',
    idField: 'uuid',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: false,
    refresh: newestFirst('-modified'),
    columns: [
      ['award_number', 'text', 'award_number'],
      ['solicitation', 'text', 'solicitation'],
      ['awardee_cage', 'text', 'awardee_cage'],
      ['award_date', 'date', 'award_date'],
      ['total_contract_price', 'numeric', 'total_contract_price'],
    ],
    evidence: 'E9, E10, E28',
  },
  gsa_elibrary_contracts: {
    collection: 'gsa_elibrary_contracts',
    modelName: 'GsaElibraryContract',
    idField: 'uuid',
    idCertainty: 'confirmed',
    detailRoute: true,
    dimension: false,
    refresh: newestFirst('-last_updated'),
    columns: [
      ['contract_number', 'text', 'contract_number'],
      ['schedule', 'text', 'schedule'],
      ['uei', 'text', 'uei'],
      ['idv_key', 'text', 'idv.key'],
    ],
    evidence: 'E13',
  },
  itdashboard: {
    collection: 'itdashboard',
    modelName: 'Investment',
    idField: 'uii',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: false,
    refresh: { kind: 'since_filter', filter: 'updated_time_after', field: 'updated_time' },
    sourceModifiedPath: 'updated_time',
    columns: [
      ['agency_code', 'text', 'agency_code'],
      ['bureau_code', 'text', 'bureau_code'],
      ['organization_id', 'text', 'organization_id'],
    ],
    evidence: 'E14',
  },
  protests: {
    collection: 'protests',
    modelName: 'BidProtest',
    idField: 'case_id',
    idCertainty: 'confirmed',
    detailRoute: true,
    dimension: false,
    refresh: FULL,
    columns: [
      ['case_number', 'text', 'case_number'],
      ['solicitation_number', 'text', 'solicitation_number'],
      ['naics_code', 'text', 'naics_code'],
      ['filed_date', 'date', 'filed_date'],
      ['decision_date', 'date', 'decision_date'],
      ['outcome', 'text', 'outcome'],
    ],
    evidence: 'E19',
  },
  sbir_solicitations: {
    collection: 'sbir/solicitations',
    modelName: 'SbirSolicitation',
    idField: 'solicitation_id',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: false,
    refresh: newestFirst('-modified'),
    columns: [
      ['solicitation_number', 'text', 'solicitation_number'],
      ['program', 'text', 'program'],
      ['start_date', 'date', 'start_date'],
      ['end_date', 'date', 'end_date'],
    ],
    evidence: 'E9, E20',
  },
  sbir_topics: {
    collection: 'sbir/topics',
    modelName: 'SbirTopic',
    idField: 'topic_id',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: false,
    refresh: newestFirst('-modified'),
    columns: [
      ['topic_number', 'text', 'topic_number'],
      ['solicitation_number', 'text', 'solicitation_number'],
      ['open_date', 'date', 'open_date'],
      ['close_date', 'date', 'close_date'],
    ],
    evidence: 'E9, E20',
  },
  sled_forecasts: {
    collection: 'sled/forecasts',
    modelName: 'SledForecast',
    idField: 'forecast_id',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: false,
    refresh: { kind: 'since_filter', filter: 'modified_after', field: 'modified' },
    sourceModifiedPath: 'modified',
    columns: [
      ['state', 'text', 'state'],
      ['agency', 'text', 'agency'],
      ['estimated_advertisement_date', 'date', 'estimated_advertisement_date'],
    ],
    evidence: 'E21',
  },
  sled_opportunities: {
    collection: 'sled/opportunities',
    modelName: 'SledOpportunity',
    idField: 'opportunity_id',
    idCertainty: 'unconfirmed',
    detailRoute: false,
    alertQueryType: 'sled_opportunity',
    dimension: false,
    refresh: { kind: 'since_filter', filter: 'modified_after', field: 'modified' },
    sourceModifiedPath: 'modified',
    columns: [
      ['solicitation_number', 'text', 'solicitation_number'],
      ['state', 'text', 'state'],
      ['posted_date', 'date', 'posted_date'],
      ['response_deadline', 'date', 'response_deadline'],
    ],
    // Without `status` or `active`, Tango lists open solicitations only (E21): walks read both.
    listVariants: [{ active: 'true' }, { active: 'false' }],
    evidence: 'E21, E22',
  },
  subawards: {
    collection: 'subawards',
    modelName: 'Subaward',
    idField: 'key',
    idCertainty: 'likely',
    detailRoute: false,
    dimension: false,
    refresh: newestFirst('-last_modified_date'),
    columns: [
      ['award_key', 'text', 'award_key'],
      ['piid', 'text', 'piid'],
      ['prime_awardee_uei', 'text', 'prime_awardee_uei'],
      ['recipient_uei', 'text', 'recipient_uei'],
    ],
    evidence: 'E23',
  },
  vehicles: {
    collection: 'vehicles',
    modelName: 'Vehicle',
    idField: 'uuid',
    idCertainty: 'confirmed',
    detailRoute: false,
    dimension: false,
    refresh: FULL,
    columns: [
      ['solicitation_identifier', 'text', 'solicitation_identifier'],
      ['naics_code', 'text', 'naics_code'],
      ['psc_code', 'text', 'psc_code'],
      ['award_date', 'date', 'award_date'],
      ['last_date_to_order', 'date', 'last_date_to_order'],
    ],
    evidence: 'E24',
  },
} as const satisfies Readonly<Record<string, ResourceIdentity>>;

export type ContractResourceName = keyof typeof RESOURCE_IDENTITIES;

export const CONTRACT_RESOURCE_NAMES = Object.keys(RESOURCE_IDENTITIES) as ContractResourceName[];

export function resourceIdentity(name: ContractResourceName): ResourceIdentity {
  return RESOURCE_IDENTITIES[name];
}
