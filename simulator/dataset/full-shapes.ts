import { parseShape } from '../../src/tango-contract/shape-grammar';
import { type Family } from '../options';

/**
 * The full record of each family: exactly the top-level fields the simulator's full detail record
 * (`GET /api/<family>/<id>/` without `shape`) has, `x(*)` marking the expands it holds in expanded form. Every name
 * is in Tango's contract, so `GET /api/<family>/<id>/?shape=<FULL_SHAPES[family]>` answers the same JSON as the
 * detail without `shape` (the worker asks for these shapes and the tests compare content hashes).
 */
export const FULL_SHAPES: Readonly<Record<Family, string>> = {
  contracts:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,base_and_exercised_options_value,' +
    'naics_code,psc_code,solicitation_identifier,award_type(*),set_aside(*),recipient(*),awarding_office(*),' +
    'funding_office(*),place_of_performance(*),period_of_performance(*),parent_award(*),competition(*),' +
    'transactions(*),subawards_summary(*)',
  idvs:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,total_estimated_order_value,' +
    'naics_code,psc_code,solicitation_identifier,idv_type(*),multiple_or_single_award_idv(*),type_of_idc(*),' +
    'set_aside(*),recipient(*),awarding_office(*),funding_office(*),place_of_performance(*),' +
    'period_of_performance(*),parent_award(*),competition(*),transactions(*),subawards_summary(*)',
  otas:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,base_and_exercised_options_value,' +
    'psc_code,consortia,consortia_uei,dod_acquisition_program,non_governmental_dollars,' +
    'non_traditional_government_contractor_participation,parent_award_modification_number,award_type(*),' +
    'extent_competed(*),type_of_ot_agreement(*),recipient(*),awarding_office(*),funding_office(*),' +
    'place_of_performance(*),period_of_performance(*),parent_award(*),transactions(*)',
  otidvs:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,base_and_exercised_options_value,' +
    'psc_code,idv_type,consortia,consortia_uei,dod_acquisition_program,non_governmental_dollars,' +
    'non_traditional_government_contractor_participation,extent_competed(*),type_of_ot_agreement(*),' +
    'recipient(*),awarding_office(*),funding_office(*),place_of_performance(*),period_of_performance(*),' +
    'transactions(*)',
  opportunities:
    'opportunity_id,title,description,solicitation_number,active,award_number,first_notice_date,' +
    'last_notice_date,latest_notice_id,response_deadline,archive_date,naics_code,psc_code,set_aside(*),sam_url,' +
    'office(*),place_of_performance(*),notice_history(*),meta(*)',
  notices:
    'notice_id,opportunity_id,title,description,solicitation_number,active,award_number,posted_date,' +
    'last_updated,response_deadline,naics_code,psc_code,set_aside(*),sam_url,attachment_count,address(*),' +
    'office(*),place_of_performance(*),meta(*),opportunity(*),archive(*),primary_contact(*),secondary_contact(*)',
  entities:
    'uei,legal_business_name,dba_name,display_name,uuid,cage_code,entity_url,email_address,primary_naics,' +
    'psc_codes,congressional_district,registered,registration_status,uei_status,sam_registration_date,' +
    'sam_activation_date,sam_expiration_date,uei_creation_date,last_update_date,exclusion_status_flag,' +
    'business_types(*),sba_business_types(*),naics_codes(*),physical_address(*),mailing_address(*),' +
    'purpose_of_registration(*),entity_structure(*),entity_type(*),highest_owner(*),immediate_owner(*),' +
    'relationships(*),federal_obligations(*)',
  grants:
    'grant_id,opportunity_number,agency_code,organization_id,title,description,applicant_eligibility_description,' +
    'funding_activity_category_description,last_updated,synopsis,forecast,opportunity_history,grantor_contact(*),' +
    'status(*),category(*),cfda_numbers(*),applicant_types(*),funding_categories(*),funding_instruments(*),' +
    'funding_details(*),important_dates(*),additional_info(*)',
  forecasts:
    'id,source_system,external_id,agency,title,description,anticipated_award_date,fiscal_year,naics_code,' +
    'is_active,status,primary_contact,place_of_performance,estimated_period,set_aside,contract_vehicle,' +
    'organization_id,created,modified,raw_data(*),display(*)',
};

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

/** The top-level fields of the family's full record (the names in `FULL_SHAPES[family]`). */
export function fullRecordFields(family: Family): ReadonlySet<string> {
  let fields = fieldSets.get(family);
  if (fields === undefined) {
    fields = new Set(parseShape(FULL_SHAPES[family]).map((node) => node.field));
    fieldSets.set(family, fields);
  }
  return fields;
}
