import { type Family } from '../options';
import { type AwardFamily, generateAward } from './awards';
import { type Creation, type GenContext } from './context';
import { DEFAULT_LIST_SHAPES } from './full-shapes';
import { generateEntity } from './entities';
import { FORECAST_ID_OFFSET, GRANT_ID_OFFSET, generateForecast, generateGrant } from './grants-forecasts';
import { decodeIntegerIndex, decodeUeiIndex, decodeUuidIndex, piidIndex, piidOfKey } from './ids';
import { type JsonObject, type JsonValue, isJsonObject } from './json';
import { generateNotice, generateOpportunity } from './opportunities';

/** Everything the REST layer and the dispatcher need to know about one family. */
export interface FamilySpec {
  readonly family: Family;
  readonly idField: string;
  readonly modelName: string;
  readonly pagination: 'keyset' | 'page';
  /** Webhook alert `query_type` (notices have none). */
  readonly queryType?: string;
  /** The shape of list rows without `shape` (details answer the whole record, `FULL_SHAPES`). */
  readonly listShape: string;
  /**
   * Tango's `ordering` values for the family (without `-`; the contract lists them) mapped to the dotted record
   * path they sort by.
   */
  readonly orderings: Readonly<Record<string, string>>;
  /** Any `ordering` parameter answers 400 (notices), as Tango does. */
  readonly rejectsOrdering: boolean;
  generate(ctx: GenContext, index: number, creation?: Creation): JsonObject;
  /** The index an id would have; the caller confirms by comparing ids. */
  decodeIndex(ctx: GenContext, id: string): number | undefined;
  /** Compact object used in alert `matches.new[]` / `modified[]`. */
  summary(record: JsonObject): JsonObject;
}

const AWARD_ORDERINGS = {
  award_date: 'award_date',
  obligated: 'obligated',
  total_contract_value: 'total_contract_value',
};

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
  return {
    family,
    idField: 'key',
    modelName,
    pagination: 'keyset',
    queryType,
    listShape: DEFAULT_LIST_SHAPES[family],
    orderings: AWARD_ORDERINGS,
    rejectsOrdering: false,
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
    queryType: 'opportunity',
    listShape: DEFAULT_LIST_SHAPES.opportunities,
    orderings: {
      first_notice_date: 'first_notice_date',
      posted_date: 'first_notice_date',
      last_notice_date: 'last_notice_date',
      response_deadline: 'response_deadline',
    },
    rejectsOrdering: false,
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
    listShape: DEFAULT_LIST_SHAPES.notices,
    orderings: {},
    rejectsOrdering: true,
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
    listShape: DEFAULT_LIST_SHAPES.entities,
    orderings: {},
    rejectsOrdering: false,
    generate: generateEntity,
    decodeIndex: (ctx, id) => decodeUeiIndex(ctx.seed, id),
    summary: (record) => pickFields(record, ['uei', 'legal_business_name', 'cage_code']),
  },
  grants: {
    family: 'grants',
    idField: 'grant_id',
    modelName: 'Grant',
    pagination: 'page',
    queryType: 'grant',
    listShape: DEFAULT_LIST_SHAPES.grants,
    orderings: {
      posted_date: 'important_dates.posted_date',
      last_updated: 'last_updated',
      deadline_current: 'important_dates.response_date',
      rank: 'grant_id',
    },
    rejectsOrdering: false,
    generate: generateGrant,
    decodeIndex: (_ctx, id) => decodeIntegerIndex(id, GRANT_ID_OFFSET),
    summary: (record) => pickFields(record, ['grant_id', 'opportunity_number', 'title']),
  },
  forecasts: {
    family: 'forecasts',
    idField: 'id',
    modelName: 'Forecast',
    pagination: 'page',
    queryType: 'forecast',
    listShape: DEFAULT_LIST_SHAPES.forecasts,
    orderings: {
      anticipated_award_date: 'anticipated_award_date',
      fiscal_year: 'fiscal_year',
      title: 'title',
    },
    rejectsOrdering: false,
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
