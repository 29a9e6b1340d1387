/** Small, fixed lookup tables the generators draw from (values modelled on Tango's cassettes). */

export interface Office {
  readonly office_code: string;
  readonly office_name: string;
  readonly agency_code: string;
  readonly agency_name: string;
  readonly department_code: number;
  readonly department_name: string;
}

export const OFFICES: readonly Office[] = [
  {
    office_code: '15B310',
    office_name: 'FCI LOMPOC',
    agency_code: '1540',
    agency_name: 'Federal Prison System',
    department_code: 15,
    department_name: 'Department of Justice',
  },
  {
    office_code: '833101',
    office_name: 'EXPORT IMPORT BANK OF US',
    agency_code: '8300',
    agency_name: 'Export-Import Bank of the United States',
    department_code: 83,
    department_name: 'Export-Import Bank of the United States',
  },
  {
    office_code: 'N00189',
    office_name: 'NAVSUP FLT LOG CTR NORFOLK',
    agency_code: '1700',
    agency_name: 'Department of the Navy',
    department_code: 97,
    department_name: 'Department of Defense',
  },
  {
    office_code: 'W15QKN',
    office_name: 'W6QK ACC-PICA',
    agency_code: '2100',
    agency_name: 'Department of the Army',
    department_code: 97,
    department_name: 'Department of Defense',
  },
  {
    office_code: '47QSMS',
    office_name: 'GSA/FAS ADMIN SERVICES',
    agency_code: '4732',
    agency_name: 'Federal Acquisition Service',
    department_code: 47,
    department_name: 'General Services Administration',
  },
  {
    office_code: '75H701',
    office_name: 'IHS HQ',
    agency_code: '7527',
    agency_name: 'Indian Health Service',
    department_code: 75,
    department_name: 'Department of Health and Human Services',
  },
  {
    office_code: 'HR0011',
    office_name: 'DEF ADVANCED RESEARCH PROJECTS AGCY',
    agency_code: '97AE',
    agency_name: 'Defense Advanced Research Projects Agency',
    department_code: 97,
    department_name: 'Department of Defense',
  },
  {
    office_code: '140D04',
    office_name: 'IBC ACQ SVCS DIRECTORATE',
    agency_code: '1406',
    agency_name: 'Office of Policy, Management, and Budget',
    department_code: 14,
    department_name: 'Department of the Interior',
  },
];

export const NAICS: readonly { code: number; description: string }[] = [
  { code: 541512, description: 'Computer Systems Design Services' },
  { code: 541511, description: 'Custom Computer Programming Services' },
  { code: 238220, description: 'Plumbing, Heating, and Air-Conditioning Contractors' },
  { code: 333316, description: 'Photographic and Photocopying Equipment Manufacturing' },
  { code: 236220, description: 'Commercial and Institutional Building Construction' },
  { code: 541620, description: 'Environmental Consulting Services' },
  { code: 541715, description: 'Research and Development in the Physical, Engineering, and Life Sciences' },
];

export const PSC: readonly { code: string; description: string }[] = [
  { code: '7490', description: 'MISCELLANEOUS OFFICE MACHINES' },
  { code: 'J041', description: 'MAINT/REPAIR/REBUILD OF EQUIPMENT- REFRIGERATION AND AIR CONDITIONING' },
  { code: 'DA01', description: 'IT AND TELECOM - BUSINESS APPLICATION/APPLICATION DEVELOPMENT SUPPORT' },
  { code: 'Y1JZ', description: 'CONSTRUCTION OF MISCELLANEOUS BUILDINGS' },
  { code: 'AJ11', description: 'GENERAL SCIENCE AND TECHNOLOGY R&D SERVICES' },
];

export const SET_ASIDES: readonly { code: string; description: string }[] = [
  { code: 'NONE', description: 'NO SET ASIDE USED.' },
  { code: 'SBA', description: 'Total Small Business Set-Aside' },
  { code: 'SDVOSBC', description: 'Service-Disabled Veteran-Owned Small Business Set-Aside' },
  { code: '8A', description: '8(a) Set-Aside' },
];

export const PLACES: readonly { city: string; state_code: string; state_name: string; zip: string }[] = [
  { city: 'LOMPOC', state_code: 'CA', state_name: 'CALIFORNIA', zip: '934360000' },
  { city: 'NORFOLK', state_code: 'VA', state_name: 'VIRGINIA', zip: '235110000' },
  { city: 'CASCADE', state_code: 'ID', state_name: 'IDAHO', zip: '836110000' },
  { city: 'SPRINGFIELD', state_code: 'AR', state_name: 'ARKANSAS', zip: '721570000' },
  { city: 'WASHINGTON', state_code: 'DC', state_name: 'DISTRICT OF COLUMBIA', zip: '204050001' },
];

export const WORDS: readonly string[] = [
  'ENTERPRISE',
  'CLOUD',
  'MIGRATION',
  'HVAC',
  'SUPPORT',
  'SERVICES',
  'COPIER',
  'FURNITURE',
  'RESEARCH',
  'VISION',
  'NETWORK',
  'MODERNIZATION',
  'SECURITY',
  'TRAINING',
  'MAINTENANCE',
  'LOGISTICS',
  'DATA',
  'ANALYTICS',
  'CONSTRUCTION',
  'BUNKHOUSE',
  'OFFICE',
  'EQUIPMENT',
  'ENGINEERING',
  'MEDICAL',
  'SUPPLIES',
];

export const COMPANY_WORDS: readonly string[] = [
  'ACME',
  'KYOCERA',
  'PRICE',
  'MODERN',
  'COLUMBIA',
  'ADVISORY',
  'SUMMIT',
  'HARBOR',
  'NORTHWIND',
  'BLUE',
  'RIDGE',
  'PIONEER',
  'ATLAS',
  'CASCADE',
  'LIBERTY',
  'FRONTIER',
  'EAGLE',
  'KEYSTONE',
];

export const COMPANY_SUFFIXES: readonly string[] = [
  'LLC',
  'INC',
  'CORPORATION',
  'L.L.C',
  'GROUP LLC',
  'SOLUTIONS INC',
];

export const BUSINESS_TYPES: readonly { code: string; description: string }[] = [
  { code: '2X', description: 'For Profit Organization' },
  { code: 'QF', description: 'Service Disabled Veteran Owned Business' },
  { code: 'A2', description: 'Woman Owned Business' },
  { code: '23', description: 'Minority Owned Business' },
  { code: '27', description: 'Self Certified Small Disadvantaged Business' },
];

export const FORECAST_SOURCES: readonly string[] = [
  'HHS',
  'DHS',
  'GSA',
  'COMMERCE',
  'DOE',
  'TREASURY',
  'DOI',
  'DOL',
  'DOT',
  'VA',
  'NRC',
];

export const GRANT_AGENCIES: readonly string[] = [
  'HHS-NIH11',
  'HHS-CDC',
  'DOE-GFO',
  'NSF',
  'USDA-NIFA',
  'DOT-FHWA',
];

export interface CodeObject {
  readonly code: string;
  readonly description: string;
}

export const CONTRACT_AWARD_TYPES: readonly CodeObject[] = [
  { code: 'C', description: 'DELIVERY ORDER' },
  { code: 'D', description: 'DEFINITIVE CONTRACT' },
  { code: 'B', description: 'PURCHASE ORDER' },
];

export const OT_AWARD_TYPES: readonly CodeObject[] = [
  { code: 'O', description: 'OTHER TRANSACTION AGREEMENT' },
  { code: 'OO', description: 'OTHER TRANSACTION ORDER' },
];

export const IDV_TYPES: readonly CodeObject[] = [
  { code: 'A', description: 'GWAC' },
  { code: 'B', description: 'IDC' },
  { code: 'C', description: 'FSS' },
  { code: 'D', description: 'BOA' },
  { code: 'E', description: 'BPA' },
];

export const MULTIPLE_OR_SINGLE: readonly CodeObject[] = [
  { code: 'M', description: 'MULTIPLE AWARD' },
  { code: 'S', description: 'SINGLE AWARD' },
];

export const TYPES_OF_IDC: readonly CodeObject[] = [
  { code: 'A', description: 'INDEFINITE DELIVERY / REQUIREMENTS' },
  { code: 'B', description: 'INDEFINITE DELIVERY / INDEFINITE QUANTITY' },
  { code: 'C', description: 'INDEFINITE DELIVERY / DEFINITE QUANTITY' },
];

export const OT_AGREEMENT_TYPES: readonly CodeObject[] = [
  { code: 'P', description: 'PROTOTYPE' },
  { code: 'R', description: 'RESEARCH' },
  { code: 'F', description: 'FOLLOW-ON PRODUCTION' },
];

export const OT_EXTENT_COMPETED: readonly CodeObject[] = [
  { code: 'A', description: 'COMPETED UNDER SOL' },
  { code: 'B', description: 'NOT COMPETED UNDER SOL' },
];

export const ENTITY_STRUCTURES: readonly CodeObject[] = [
  { code: '2L', description: 'Corporate Entity (Not Tax Exempt)' },
  { code: '8H', description: 'Corporate Entity (Tax Exempt)' },
  { code: '2J', description: 'Sole Proprietorship' },
  { code: '2K', description: 'Partnership or Limited Liability Partnership' },
];

export const ENTITY_TYPES: readonly CodeObject[] = [
  { code: 'F', description: 'Business or Organization' },
  { code: 'A', description: 'Governmental Entity' },
];

/** Opportunity and notice `meta.notice_type` (Tango names the label `type`). */
export const NOTICE_TYPES: readonly { code: string; type: string }[] = [
  { code: 'o', type: 'Solicitation' },
  { code: 'p', type: 'Presolicitation' },
  { code: 'k', type: 'Combined Synopsis/Solicitation' },
  { code: 'r', type: 'Sources Sought' },
];
