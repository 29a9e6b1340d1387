import { type ResourceFamily } from '../resource-family';
import {
  column,
  type FamilyCoverage,
  type FamilyDescriptor,
  type LegacyNaming,
  type TypedColumn,
  wholeShape,
} from './family-descriptor';

/** Columns every award family has, in this order. */
const CORE_COLUMNS: readonly TypedColumn[] = [
  column('piid', 'text', 'piid', { indexed: true }),
  column('award_date', 'date', 'award_date', { indexed: true }),
  column('fiscal_year', 'integer', 'fiscal_year', { indexed: true }),
  column('obligated', 'numeric', 'obligated'),
  column('total_contract_value', 'numeric', 'total_contract_value'),
];
const RECIPIENT_AND_OFFICE_COLUMNS: readonly TypedColumn[] = [
  column('description', 'text', 'description'),
  column('recipient_uei', 'text', 'recipient.uei', { indexed: true }),
  column('recipient_name', 'text', 'recipient.display_name'),
  column('awarding_agency_code', 'text', 'awarding_office.agency_code', { indexed: true }),
  column('awarding_department_code', 'text', 'awarding_office.department_code', { indexed: true }),
  column('awarding_office_code', 'text', 'awarding_office.office_code', { indexed: true }),
  column('funding_agency_code', 'text', 'funding_office.agency_code', { indexed: true }),
];
const OPTIONS_VALUE = column(
  'base_and_exercised_options_value',
  'numeric',
  'base_and_exercised_options_value',
);
const NAICS_PSC = [
  column('naics_code', 'text', 'naics_code', { indexed: true }),
  column('psc_code', 'text', 'psc_code', { indexed: true }),
];
const PSC = column('psc_code', 'text', 'psc_code', { indexed: true });
const PARENT_KEY = column('parent_key', 'text', 'parent_award.key', { indexed: true });

const AWARD_COVERAGE: FamilyCoverage = {
  detects: ['new'],
  onlyBySampling: ['modified', 'deleted'],
  sweepBy: 'award_date window (new awards only; modifications keep their award_date)',
};

/** Legacy `awards.*` events name a record by its key (or a bare PIID); `award_type` says which award family. */
const AWARD_LEGACY: LegacyNaming = {
  eventFamily: 'awards',
  role: 'primary',
  subjectType: 'award',
  idFields: ['award_key', 'key'],
  optional: false,
  familyField: 'award_type',
};

function award(
  family: ResourceFamily,
  parts: {
    queryType: string;
    modelName: string;
    keyPrefix: string;
    columns: readonly TypedColumn[];
    partitionSlot: number;
  },
): FamilyDescriptor {
  return {
    family,
    collection: family,
    queryType: parts.queryType,
    modelName: parts.modelName,
    idField: 'key',
    idType: 'text',
    idKind: 'key',
    alternateIdKinds: ['piid'],
    keyPrefix: parts.keyPrefix,
    idListFilter: 'key',
    piidFilter: 'piid',
    summaryIdFields: ['key', 'award_key'],
    shape: wholeShape(family),
    columns: parts.columns,
    table: family,
    window: { after: 'award_date_gte', before: 'award_date_lte', label: 'award_date window' },
    coverage: AWARD_COVERAGE,
    partitionSlot: parts.partitionSlot,
    legacy: AWARD_LEGACY,
  };
}

export const CONTRACTS = award('contracts', {
  queryType: 'contract',
  modelName: 'Contract',
  keyPrefix: 'CONT_AWD_',
  columns: [...CORE_COLUMNS, OPTIONS_VALUE, ...NAICS_PSC, ...RECIPIENT_AND_OFFICE_COLUMNS, PARENT_KEY],
  partitionSlot: 0,
});

export const IDVS = award('idvs', {
  queryType: 'idv',
  modelName: 'IDV',
  keyPrefix: 'CONT_IDV_',
  columns: [
    ...CORE_COLUMNS,
    ...NAICS_PSC,
    ...RECIPIENT_AND_OFFICE_COLUMNS,
    PARENT_KEY,
    column('idv_type', 'text', 'idv_type', { code: true }),
    column('last_date_to_order', 'date', 'period_of_performance.last_date_to_order'),
  ],
  partitionSlot: 1,
});

export const OTAS = award('otas', {
  queryType: 'ota',
  modelName: 'OTA',
  keyPrefix: 'OT_AWD_',
  columns: [...CORE_COLUMNS, OPTIONS_VALUE, PSC, ...RECIPIENT_AND_OFFICE_COLUMNS, PARENT_KEY],
  partitionSlot: 5,
});

export const OTIDVS = award('otidvs', {
  queryType: 'otidv',
  modelName: 'OTIDV',
  keyPrefix: 'OT_IDV_',
  columns: [
    ...CORE_COLUMNS,
    OPTIONS_VALUE,
    PSC,
    ...RECIPIENT_AND_OFFICE_COLUMNS,
    column('idv_type', 'text', 'idv_type', { code: true }),
  ],
  partitionSlot: 6,
});
