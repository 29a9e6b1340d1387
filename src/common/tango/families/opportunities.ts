import { column, type FamilyDescriptor, type TypedColumn, wholeShape } from './family-descriptor';

/** Classification columns opportunities and their notices share (the same fields in Tango's contract). */
const CLASSIFICATION: readonly TypedColumn[] = [
  column('naics_code', 'text', 'naics_code', { indexed: true }),
  column('psc_code', 'text', 'psc_code', { indexed: true }),
  column('set_aside_code', 'text', 'set_aside', { code: true }),
  column('agency_code', 'text', 'office.agency_code', { indexed: true }),
];

export const OPPORTUNITIES: FamilyDescriptor = {
  family: 'opportunities',
  collection: 'opportunities',
  queryType: 'opportunity',
  modelName: 'Opportunity',
  idField: 'opportunity_id',
  idType: 'uuid',
  idKind: 'uuid',
  alternateIdKinds: [],
  idListFilter: 'opportunity_id',
  summaryIdFields: ['opportunity_id'],
  shape: wholeShape('opportunities'),
  columns: [
    column('title', 'text', 'title'),
    column('solicitation_number', 'text', 'solicitation_number', { indexed: true }),
    column('active', 'boolean', 'active', { indexed: true }),
    column('first_notice_date', 'timestamptz', 'first_notice_date', { indexed: true }),
    column('last_notice_date', 'timestamptz', 'last_notice_date', { indexed: true }),
    column('response_deadline', 'timestamptz', 'response_deadline', { indexed: true }),
    ...CLASSIFICATION,
    column('department_code', 'text', 'office.department_code', { indexed: true }),
    column('office_code', 'text', 'office.office_code', { indexed: true }),
    column('latest_notice_id', 'text', 'latest_notice_id'),
  ],
  table: 'opportunities',
  window: {
    after: 'last_notice_date_after',
    before: 'last_notice_date_before',
    label: 'last_notice_date window',
    // Tango's opportunity list shows active ones unless told otherwise.
    variants: [{ label: 'last_notice_date window (inactive)', filters: { active: 'false' } }],
  },
  coverage: {
    detects: ['new', 'modified'],
    onlyBySampling: ['deleted'],
    sweepBy: 'last_notice_date window, active and inactive (a new notice modifies its opportunity)',
  },
  partitionSlot: 3,
  legacy: {
    eventFamily: 'opportunities',
    role: 'primary',
    subjectType: 'opportunity',
    idFields: ['opportunity_id'],
    optional: true,
  },
  followUps: [
    {
      family: 'notices',
      latestField: 'latest_notice_id',
      listField: 'notice_history',
      entryIdField: 'notice_id',
      reason: 'opportunities:notice_history',
    },
  ],
};

/** Notices have no alerts of their own: they follow their opportunity (see its `followUps`). */
export const NOTICES: FamilyDescriptor = {
  family: 'notices',
  collection: 'notices',
  queryType: 'notice',
  modelName: 'Notice',
  idField: 'notice_id',
  idType: 'uuid',
  idKind: 'uuid',
  alternateIdKinds: [],
  // Tango's contract has no notice id filter: notices are fetched one by one.
  idListFilter: null,
  summaryIdFields: ['notice_id'],
  shape: wholeShape('notices'),
  columns: [
    column('opportunity_id', 'text', 'opportunity_id', { indexed: true }),
    column('title', 'text', 'title'),
    column('solicitation_number', 'text', 'solicitation_number', { indexed: true }),
    column('active', 'boolean', 'active'),
    column('posted_date', 'timestamptz', 'posted_date', { indexed: true }),
    column('last_updated', 'timestamptz', 'last_updated', { indexed: true }),
    column('response_deadline', 'timestamptz', 'response_deadline', { indexed: true }),
    ...CLASSIFICATION,
  ],
  table: 'notices',
  sourceModifiedPath: 'last_updated',
  window: { after: 'posted_date_after', before: 'posted_date_before', label: 'posted_date window' },
  coverage: {
    detects: ['new'],
    onlyBySampling: ['modified', 'deleted'],
    sweepBy: 'posted_date window (new notices)',
  },
  // Legacy opportunity events may name a notice too; `opportunities.new_notice` is a delivery for notices.
  legacy: {
    eventFamily: 'opportunities',
    role: 'companion',
    subjectType: 'notice',
    idFields: ['notice_id'],
    optional: true,
    deliveredForTypes: /notice/i,
  },
};
