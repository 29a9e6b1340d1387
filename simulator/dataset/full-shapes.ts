import { formatShape, parseShape } from '../../src/tango-contract/shape-grammar';
import { tangoContract } from '../../src/tango-contract/tango-contract';
import { compactShape, wholeShapeNodes } from '../../src/tango-contract/whole-shape';
import { FAMILIES, type Family } from '../options';

/**
 * The whole record of each family (Tango's contract, `tangoContract()`): every field and every expand with every
 * field and nested expand (`wholeShapeNodes`). It is exactly what the simulator's detail record
 * (`GET /api/<family>/<id>/` without `shape`) holds (`whole-record.ts` completes each generated record to it), so
 * `GET /api/<family>/<id>/?shape=<FULL_SHAPES[family]>` answers the same JSON as the detail without `shape`.
 */
export const FULL_SHAPES: Readonly<Record<Family, string>> = Object.fromEntries(
  FAMILIES.map((family) => [family, formatShape(wholeShapeNodes(tangoContract().resource(family)))]),
) as Record<Family, string>;

/** The same whole records written the short way (`expand(*)` where an expand is asked for whole), as clients send. */
export const COMPACT_WHOLE_SHAPES: Readonly<Record<Family, string>> = Object.fromEntries(
  FAMILIES.map((family) => {
    const resource = tangoContract().resource(family);
    return [family, formatShape(compactShape(wholeShapeNodes(resource), resource))];
  }),
) as Record<Family, string>;

/**
 * The shape a list answers when the request has no `shape` (narrower than the detail record). Expands are listed
 * in expanded form (`x(*)`), so a list row is always a subset of the detail record.
 */
export const DEFAULT_LIST_SHAPES: Readonly<Record<Family, string>> = {
  contracts:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,naics_code,psc_code,' +
    'recipient(*),awarding_office(*)',
  idvs:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,naics_code,psc_code,' +
    'recipient(*),awarding_office(*),idv_type(*)',
  otas: 'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,psc_code,recipient(*),awarding_office(*)',
  otidvs:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,psc_code,recipient(*),' +
    'awarding_office(*),idv_type',
  opportunities:
    'opportunity_id,title,solicitation_number,active,first_notice_date,last_notice_date,latest_notice_id,' +
    'response_deadline,naics_code,psc_code,set_aside(*),sam_url,office(*),meta(*)',
  notices:
    'notice_id,opportunity_id,title,description,solicitation_number,active,award_number,posted_date,last_updated,' +
    'response_deadline,naics_code,psc_code,set_aside(*),sam_url,attachment_count,address(*),office(*),' +
    'place_of_performance(*),meta(*),opportunity(*)',
  entities:
    'uei,legal_business_name,dba_name,entity_url,cage_code,business_types(*),sba_business_types(*),' +
    'primary_naics,physical_address(*),purpose_of_registration(*),relationships(*)',
  grants:
    'grant_id,opportunity_number,agency_code,title,description,applicant_eligibility_description,' +
    'funding_activity_category_description,grantor_contact(*),last_updated,status(*),category(*),' +
    'cfda_numbers(*),applicant_types(*),funding_categories(*),funding_instruments(*),funding_details(*),' +
    'important_dates(*),additional_info(*)',
  forecasts:
    'id,source_system,external_id,agency,title,anticipated_award_date,fiscal_year,naics_code,is_active,status,' +
    'set_aside,created,modified',
};

const fieldSets = new Map<Family, ReadonlySet<string>>();

/** The top-level fields and expands of the family's whole record (the names in `FULL_SHAPES[family]`). */
export function fullRecordFields(family: Family): ReadonlySet<string> {
  let fields = fieldSets.get(family);
  if (fields === undefined) {
    fields = new Set(parseShape(FULL_SHAPES[family]).map((node) => node.field));
    fieldSets.set(family, fields);
  }
  return fields;
}
