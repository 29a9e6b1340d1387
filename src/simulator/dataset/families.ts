import { type Family } from '../options';
import { type AwardFamily, generateAward } from './awards';
import { type Creation, type GenContext } from './context';
import { generateEntity } from './entities';
import { FORECAST_ID_OFFSET, GRANT_ID_OFFSET, generateForecast, generateGrant } from './grants-forecasts';
import { decodeIntegerIndex, decodeUeiIndex, decodeUuidIndex, piidIndex, piidOfKey } from './ids';
import { type JsonObject, type JsonValue, isJsonObject } from './json';
import { generateNotice, generateOpportunity } from './opportunities';

export interface DateFilter {
  readonly after: string;
  readonly before: string;
  /** Dotted path of the record field compared by day (`YYYY-MM-DD` prefix). */
  readonly path: string;
}

/** Everything the REST layer and the dispatcher need to know about one family. */
export interface FamilySpec {
  readonly family: Family;
  readonly idField: string;
  readonly modelName: string;
  readonly pagination: 'keyset' | 'page';
  /** `|`-separated id-list filter. */
  readonly idListParam?: string;
  /** Webhook alert `query_type` (notices have none). */
  readonly queryType?: string;
  /** Top-level fields of the default list shape (detail responses carry every field). */
  readonly listShape: readonly string[];
  /** Allowed `ordering` values (without `-`) mapped to the dotted record path they sort by. */
  readonly orderings: Readonly<Record<string, string>>;
  /** Any `ordering` parameter answers 400 (notices). */
  readonly rejectsOrdering: boolean;
  readonly dateFilters: readonly DateFilter[];
  readonly proShapeTier: boolean;
  generate(ctx: GenContext, index: number, creation?: Creation): JsonObject;
  /** The index an id would have; the caller confirms by comparing ids. */
  decodeIndex(ctx: GenContext, id: string): number | undefined;
  /** Compact object used in alert `matches.new[]` / `modified[]`. */
  summary(record: JsonObject): JsonObject;
}

const AWARD_LIST_SHAPE = [
  'key',
  'piid',
  'award_date',
  'fiscal_year',
  'description',
  'obligated',
  'total_contract_value',
  'naics_code',
  'psc_code',
  'recipient',
  'awarding_office',
] as const;

const AWARD_ORDERINGS = {
  award_date: 'award_date',
  obligated: 'obligated',
  total_contract_value: 'total_contract_value',
};
const AWARD_DATES: readonly DateFilter[] = [
  { after: 'award_date_gte', before: 'award_date_lte', path: 'award_date' },
];

function pickFields(record: JsonObject, fields: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const field of fields) {
    const value: JsonValue | undefined = record[field];
    if (value !== undefined) {
      out[field] = value;
    }
  }
  return out;
}

function awardSpec(family: AwardFamily, modelName: string, queryType: string): FamilySpec {
  const dateFilters =
    family === 'idvs'
      ? [
          ...AWARD_DATES,
          {
            after: 'last_date_to_order_gte',
            before: 'last_date_to_order_lte',
            path: 'period_of_performance.last_date_to_order',
          },
        ]
      : AWARD_DATES;
  return {
    family,
    idField: 'key',
    modelName,
    pagination: 'keyset',
    idListParam: 'key',
    queryType,
    listShape:
      family === 'idvs' || family === 'otidvs' ? [...AWARD_LIST_SHAPE, 'idv_type'] : AWARD_LIST_SHAPE,
    orderings: AWARD_ORDERINGS,
    rejectsOrdering: false,
    dateFilters,
    proShapeTier: false,
    generate: (ctx, index, creation) => generateAward(ctx, family, index, creation),
    decodeIndex: (_ctx, id) => {
      const piid = piidOfKey(id);
      return piid === undefined ? undefined : piidIndex(piid);
    },
    summary: (record) => {
      const out = pickFields(record, ['key', 'piid', 'award_date', 'total_contract_value']);
      const recipient = record.recipient;
      if (isJsonObject(recipient)) {
        out.recipient = pickFields(recipient, ['uei', 'display_name']);
      }
      return out;
    },
  };
}

export const FAMILY_SPECS: Readonly<Record<Family, FamilySpec>> = {
  contracts: awardSpec('contracts', 'Contract', 'contract'),
  idvs: awardSpec('idvs', 'IDV', 'idv'),
  otas: awardSpec('otas', 'OTA', 'ota'),
  otidvs: awardSpec('otidvs', 'OTIDV', 'otidv'),
  opportunities: {
    family: 'opportunities',
    idField: 'opportunity_id',
    modelName: 'Opportunity',
    pagination: 'page',
    idListParam: 'opportunity_id',
    queryType: 'opportunity',
    listShape: [
      'opportunity_id',
      'title',
      'solicitation_number',
      'active',
      'first_notice_date',
      'last_notice_date',
      'latest_notice_id',
      'response_deadline',
      'naics_code',
      'psc_code',
      'set_aside',
      'sam_url',
      'office',
      'meta',
    ],
    orderings: {
      first_notice_date: 'first_notice_date',
      posted_date: 'first_notice_date',
      last_notice_date: 'last_notice_date',
      response_deadline: 'response_deadline',
    },
    rejectsOrdering: false,
    dateFilters: [
      { after: 'first_notice_date_after', before: 'first_notice_date_before', path: 'first_notice_date' },
      { after: 'last_notice_date_after', before: 'last_notice_date_before', path: 'last_notice_date' },
      { after: 'response_deadline_after', before: 'response_deadline_before', path: 'response_deadline' },
    ],
    proShapeTier: true,
    generate: generateOpportunity,
    decodeIndex: (ctx, id) => decodeUuidIndex(ctx.seed, 'opportunities', id),
    summary: (record) =>
      pickFields(record, [
        'opportunity_id',
        'title',
        'solicitation_number',
        'naics_code',
        'response_deadline',
      ]),
  },
  notices: {
    family: 'notices',
    idField: 'notice_id',
    modelName: 'Notice',
    pagination: 'page',
    listShape: [
      'active',
      'address',
      'attachment_count',
      'award_number',
      'description',
      'last_updated',
      'meta',
      'naics_code',
      'notice_id',
      'office',
      'opportunity',
      'place_of_performance',
      'posted_date',
      'psc_code',
      'response_deadline',
      'sam_url',
      'set_aside',
      'solicitation_number',
      'title',
    ],
    orderings: {},
    rejectsOrdering: true,
    dateFilters: [
      { after: 'posted_date_after', before: 'posted_date_before', path: 'posted_date' },
      { after: 'response_deadline_after', before: 'response_deadline_before', path: 'response_deadline' },
    ],
    proShapeTier: true,
    generate: (ctx, index, creation) => generateNotice(ctx, index, creation),
    decodeIndex: (ctx, id) => decodeUuidIndex(ctx.seed, 'notices', id),
    summary: (record) => pickFields(record, ['notice_id', 'opportunity_id', 'title', 'solicitation_number']),
  },
  entities: {
    family: 'entities',
    idField: 'uei',
    modelName: 'Entity',
    pagination: 'page',
    queryType: 'entity',
    listShape: [
      'uei',
      'legal_business_name',
      'dba_name',
      'entity_url',
      'cage_code',
      'business_types',
      'sba_business_types',
      'primary_naics',
      'physical_address',
      'purpose_of_registration',
      'relationships',
    ],
    orderings: {},
    rejectsOrdering: false,
    dateFilters: [],
    proShapeTier: true,
    generate: generateEntity,
    decodeIndex: (ctx, id) => decodeUeiIndex(ctx.seed, id),
    summary: (record) => pickFields(record, ['uei', 'legal_business_name', 'cage_code']),
  },
  grants: {
    family: 'grants',
    idField: 'grant_id',
    modelName: 'Grant',
    pagination: 'page',
    idListParam: 'grant_id',
    queryType: 'grant',
    listShape: [
      'grant_id',
      'opportunity_number',
      'agency_code',
      'title',
      'description',
      'applicant_eligibility_description',
      'funding_activity_category_description',
      'grantor_contact',
      'last_updated',
      'status',
      'category',
      'cfda_numbers',
      'applicant_types',
      'funding_categories',
      'funding_instruments',
      'funding_details',
      'important_dates',
      'additional_info',
    ],
    orderings: {
      posted_date: 'important_dates.posted_date',
      last_updated: 'important_dates.posted_date',
      deadline_current: 'important_dates.response_date',
      rank: 'grant_id',
    },
    rejectsOrdering: false,
    dateFilters: [
      { after: 'posted_date_after', before: 'posted_date_before', path: 'important_dates.posted_date' },
      { after: 'response_date_after', before: 'response_date_before', path: 'important_dates.response_date' },
    ],
    proShapeTier: false,
    generate: generateGrant,
    decodeIndex: (_ctx, id) => decodeIntegerIndex(id, GRANT_ID_OFFSET),
    summary: (record) => pickFields(record, ['grant_id', 'opportunity_number', 'title']),
  },
  forecasts: {
    family: 'forecasts',
    idField: 'id',
    modelName: 'Forecast',
    pagination: 'page',
    idListParam: 'id',
    queryType: 'forecast',
    listShape: [
      'id',
      'source_system',
      'external_id',
      'agency',
      'title',
      'anticipated_award_date',
      'fiscal_year',
      'naics_code',
      'is_active',
      'status',
      'set_aside',
      'created',
      'modified',
    ],
    orderings: {
      anticipated_award_date: 'anticipated_award_date',
      fiscal_year: 'fiscal_year',
      title: 'title',
    },
    rejectsOrdering: false,
    dateFilters: [
      { after: 'modified_after', before: 'modified_before', path: 'modified' },
      { after: 'award_date_after', before: 'award_date_before', path: 'anticipated_award_date' },
    ],
    proShapeTier: false,
    generate: generateForecast,
    decodeIndex: (_ctx, id) => decodeIntegerIndex(id, FORECAST_ID_OFFSET),
    summary: (record) => pickFields(record, ['id', 'title', 'anticipated_award_date']),
  },
};

/** The family whose alerts use `query_type`. */
export function familyForQueryType(queryType: string): Family | undefined {
  return Object.values(FAMILY_SPECS).find((spec) => spec.queryType === queryType)?.family;
}

export function recordId(spec: FamilySpec, record: JsonObject): string {
  const value = record[spec.idField];
  return typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
}
