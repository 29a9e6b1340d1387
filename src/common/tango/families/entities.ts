import { column, type FamilyDescriptor, wholeShape } from './family-descriptor';

export const ENTITIES: FamilyDescriptor = {
  family: 'entities',
  collection: 'entities',
  queryType: 'entity',
  modelName: 'Entity',
  idField: 'uei',
  idType: 'text',
  idKind: 'uei',
  alternateIdKinds: [],
  // `uei` is a single-value filter in Tango's contract: entities are fetched one by one.
  idListFilter: null,
  summaryIdFields: ['uei'],
  shape: wholeShape('entities'),
  columns: [
    column('legal_business_name', 'text', 'legal_business_name', { indexed: true }),
    column('dba_name', 'text', 'dba_name'),
    column('cage_code', 'text', 'cage_code', { indexed: true }),
    column('primary_naics', 'text', 'primary_naics', { indexed: true }),
    column('registration_status', 'boolean', 'registration_status'),
    column('last_update_date', 'date', 'last_update_date', { indexed: true }),
    column('sam_expiration_date', 'date', 'sam_expiration_date', { indexed: true }),
    column('state_code', 'text', 'physical_address.state_or_province_code', { indexed: true }),
    column('country_code', 'text', 'physical_address.country_code'),
  ],
  table: 'entities',
  sourceModifiedPath: 'last_update_date',
  window: null,
  legacy: {
    eventFamily: 'entities',
    role: 'primary',
    subjectType: 'entity',
    idFields: ['uei', 'recipient_id'],
    optional: false,
  },
  coverage: {
    detects: [],
    onlyBySampling: ['new', 'modified', 'deleted'],
    sweepBy: 'none (no date filter; alert re-runs and drift sampling only)',
  },
};
