import { type ResourceFamily } from '../common/tango/resource-family';

/** JSON as Tango sends it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonRecord = Record<string, JsonValue>;

export type ColumnType = 'text' | 'date' | 'timestamptz' | 'numeric' | 'integer' | 'bigint' | 'boolean';

/** A typed, indexed column that analysts query, extracted from the full record. */
export interface TypedColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** Dotted path into the record; the first that yields a usable value wins. */
  readonly paths: readonly string[];
  readonly indexed: boolean;
}

export interface MirrorFamily {
  readonly family: ResourceFamily;
  readonly table: string;
  /** The record's id field in Tango's JSON, which is also the table's primary key column. */
  readonly idField: string;
  readonly idType: 'text' | 'uuid' | 'bigint';
  readonly columns: readonly TypedColumn[];
  /** Tango's own modification time for the record, where the family has one. */
  readonly sourceModifiedPath?: string;
}

const column = (
  name: string,
  type: ColumnType,
  paths: string | readonly string[],
  indexed = false,
): TypedColumn => ({
  name,
  type,
  paths: typeof paths === 'string' ? [paths] : paths,
  indexed,
});

const AWARD_COLUMNS: readonly TypedColumn[] = [
  column('piid', 'text', 'piid', true),
  column('award_date', 'date', 'award_date', true),
  column('fiscal_year', 'integer', 'fiscal_year', true),
  column('obligated', 'numeric', 'obligated'),
  column('total_contract_value', 'numeric', 'total_contract_value'),
  column('base_and_exercised_options_value', 'numeric', 'base_and_exercised_options_value'),
  column('naics_code', 'text', ['naics_code', 'naics.code'], true),
  column('psc_code', 'text', ['psc_code', 'psc.code'], true),
  column('description', 'text', 'description'),
  column('recipient_uei', 'text', 'recipient.uei', true),
  column('recipient_name', 'text', ['recipient.display_name', 'recipient.legal_business_name']),
  column('awarding_agency_code', 'text', 'awarding_office.agency_code', true),
  column('awarding_department_code', 'text', 'awarding_office.department_code'),
  column('funding_agency_code', 'text', 'funding_office.agency_code', true),
  column('parent_key', 'text', 'parent_award.key', true),
];

const IDV_COLUMNS: readonly TypedColumn[] = [
  ...AWARD_COLUMNS,
  column('idv_type', 'text', ['idv_type', 'idv_type.code']),
  column('last_date_to_order', 'date', 'period_of_performance.last_date_to_order'),
];

/** Every mirrored family: the table, its id, and the typed columns kept next to the full `record` jsonb. */
export const MIRROR_FAMILIES: Readonly<Record<ResourceFamily, MirrorFamily>> = {
  contracts: {
    family: 'contracts',
    table: 'contracts',
    idField: 'key',
    idType: 'text',
    columns: AWARD_COLUMNS,
  },
  idvs: { family: 'idvs', table: 'idvs', idField: 'key', idType: 'text', columns: IDV_COLUMNS },
  otas: { family: 'otas', table: 'otas', idField: 'key', idType: 'text', columns: AWARD_COLUMNS },
  otidvs: { family: 'otidvs', table: 'otidvs', idField: 'key', idType: 'text', columns: IDV_COLUMNS },
  opportunities: {
    family: 'opportunities',
    table: 'opportunities',
    idField: 'opportunity_id',
    idType: 'uuid',
    columns: [
      column('title', 'text', 'title'),
      column('solicitation_number', 'text', 'solicitation_number', true),
      column('active', 'boolean', 'active', true),
      column('first_notice_date', 'timestamptz', 'first_notice_date', true),
      column('last_notice_date', 'timestamptz', 'last_notice_date', true),
      column('response_deadline', 'timestamptz', 'response_deadline', true),
      column('naics_code', 'text', ['naics_code', 'naics.code'], true),
      column('psc_code', 'text', ['psc_code', 'psc.code'], true),
      column('set_aside_code', 'text', ['set_aside.code', 'set_aside']),
      column('agency_code', 'text', ['office.agency_code', 'agency.code', 'agency_id'], true),
      column('department_code', 'text', ['office.department_code', 'department.code', 'department_id']),
      column('latest_notice_id', 'text', 'latest_notice_id'),
    ],
  },
  notices: {
    family: 'notices',
    table: 'notices',
    idField: 'notice_id',
    idType: 'uuid',
    sourceModifiedPath: 'last_updated',
    columns: [
      column('opportunity_id', 'text', ['opportunity_id', 'opportunity.opportunity_id'], true),
      column('title', 'text', 'title'),
      column('solicitation_number', 'text', 'solicitation_number', true),
      column('active', 'boolean', 'active'),
      column('posted_date', 'timestamptz', 'posted_date', true),
      column('last_updated', 'timestamptz', 'last_updated', true),
      column('response_deadline', 'timestamptz', 'response_deadline', true),
      column('naics_code', 'text', ['naics_code', 'naics.code'], true),
      column('psc_code', 'text', ['psc_code', 'psc.code'], true),
      column('set_aside_code', 'text', ['set_aside.code', 'set_aside']),
      column('agency_code', 'text', 'office.agency_code', true),
    ],
  },
  entities: {
    family: 'entities',
    table: 'entities',
    idField: 'uei',
    idType: 'text',
    sourceModifiedPath: 'last_update_date',
    columns: [
      column('legal_business_name', 'text', 'legal_business_name', true),
      column('dba_name', 'text', 'dba_name'),
      column('cage_code', 'text', 'cage_code', true),
      column('primary_naics', 'text', 'primary_naics', true),
      column('registration_status', 'text', ['registration_status', 'uei_status']),
      column('last_update_date', 'date', 'last_update_date', true),
      column('state_code', 'text', 'physical_address.state_or_province_code', true),
      column('country_code', 'text', 'physical_address.country_code'),
    ],
  },
  grants: {
    family: 'grants',
    table: 'grants',
    idField: 'grant_id',
    idType: 'bigint',
    sourceModifiedPath: 'last_updated',
    columns: [
      column('opportunity_number', 'text', 'opportunity_number', true),
      column('agency_code', 'text', 'agency_code', true),
      column('title', 'text', 'title'),
      column('status_code', 'text', ['status.code', 'status'], true),
      column('posted_date', 'date', 'important_dates.posted_date', true),
      column('response_date', 'date', 'important_dates.response_date', true),
      column('last_updated', 'timestamptz', 'last_updated', true),
      column('award_ceiling', 'numeric', 'funding_details.award_ceiling'),
      column('estimated_total_funding', 'numeric', 'funding_details.estimated_total_funding'),
    ],
  },
  forecasts: {
    family: 'forecasts',
    table: 'forecasts',
    idField: 'id',
    idType: 'bigint',
    sourceModifiedPath: 'modified',
    columns: [
      column('source_system', 'text', 'source_system', true),
      column('external_id', 'text', 'external_id', true),
      column('agency', 'text', 'agency', true),
      column('title', 'text', 'title'),
      column('anticipated_award_date', 'date', 'anticipated_award_date', true),
      column('fiscal_year', 'integer', 'fiscal_year', true),
      column('naics_code', 'text', 'naics_code', true),
      column('is_active', 'boolean', 'is_active'),
      column('status', 'text', ['status', 'status.code']),
      column('created', 'timestamptz', 'created'),
      column('modified', 'timestamptz', 'modified', true),
    ],
  },
};
