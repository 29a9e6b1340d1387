import { type Rng, recordRng } from '../prng';
import { type Creation, type GenContext, money } from './context';
import { addDays, fiscalYear, fromEpochDay } from './dates';
import { encodeUei, encodeUuid } from './ids';
import { type JsonObject, type JsonValue, isJsonObject, scalarText } from './json';
import {
  CONTRACT_AWARD_TYPES,
  IDV_TYPES,
  MULTIPLE_OR_SINGLE,
  NAICS,
  OFFICES,
  OT_AGREEMENT_TYPES,
  OT_AWARD_TYPES,
  OT_EXTENT_COMPETED,
  PLACES,
  PSC,
  SET_ASIDES,
  TYPES_OF_IDC,
  WORDS,
  type CodeObject,
  type Office,
} from './reference-data';
import { entityName } from './entities';

export type AwardFamily = 'contracts' | 'idvs' | 'otas' | 'otidvs';

interface AwardKind {
  readonly keyPrefix: string;
  readonly letters: readonly string[];
  readonly hasParent: boolean;
  readonly twoPartKey: boolean;
  readonly transactionPrefix: string;
}

const KINDS: Record<AwardFamily, AwardKind> = {
  contracts: {
    keyPrefix: 'CONT_AWD',
    letters: ['C', 'F', 'P'],
    hasParent: true,
    twoPartKey: false,
    transactionPrefix: 'CONT',
  },
  idvs: {
    keyPrefix: 'CONT_IDV',
    letters: ['D', 'A'],
    hasParent: false,
    twoPartKey: true,
    transactionPrefix: 'CONT',
  },
  otas: { keyPrefix: 'OT_AWD', letters: ['9'], hasParent: false, twoPartKey: false, transactionPrefix: 'OT' },
  otidvs: {
    keyPrefix: 'OT_IDV',
    letters: ['9'],
    hasParent: false,
    twoPartKey: true,
    transactionPrefix: 'OT',
  },
};

/** Base records are ordered by award_date descending: index 0 is the newest, spread over about four years. */
export function baseAwardDate(ctx: GenContext, family: AwardFamily, index: number): string {
  const perDay = Math.max(1, Math.ceil(ctx.sizes[family] / 1460));
  return fromEpochDay(ctx.anchorDay - Math.floor(index / perDay));
}

/** Internal UUID used in keyset cursors: created records sort before base ones, newest first. */
export function awardCursorUuid(ctx: GenContext, family: AwardFamily, index: number): string {
  const base = ctx.sizes[family];
  const prefix = index < base ? 0x7fffffff - index : 0x80000000 + (index - base);
  return encodeUuid(ctx.seed, `${family}:cursor`, index, prefix);
}

function office(rng: Rng): Office {
  return rng.pick(OFFICES);
}

function piidFor(
  family: AwardFamily,
  ctx: GenContext,
  index: number,
  date: string,
): { piid: string; agency: Office } {
  const rng = recordRng(ctx.seed, `${family}:piid`, index);
  const agency = office(rng);
  const letter = rng.pick(KINDS[family].letters);
  return {
    piid: `${agency.office_code}${date.slice(2, 4)}${letter}${String(index).padStart(8, '0')}`,
    agency,
  };
}

function keyFor(
  family: AwardFamily,
  piid: string,
  agencyCode: string,
  parent?: { piid: string; agency: string },
): string {
  const kind = KINDS[family];
  if (kind.twoPartKey) {
    return `${kind.keyPrefix}_${piid}_${agencyCode}`;
  }
  return `${kind.keyPrefix}_${piid}_${agencyCode}_${parent?.piid ?? '-NONE-'}_${parent?.agency ?? '-NONE-'}`;
}

/** Key and PIID of IDV `index` (contracts reference IDVs as their parent award). */
export function idvIdentity(ctx: GenContext, index: number): { key: string; piid: string; agency: string } {
  const date = baseAwardDate(ctx, 'idvs', index);
  const { piid, agency } = piidFor('idvs', ctx, index, date);
  return { key: keyFor('idvs', piid, agency.agency_code), piid, agency: agency.agency_code };
}

export function transactionId(family: AwardFamily, record: JsonObject, modificationNumber: string): string {
  const piid = typeof record.piid === 'string' ? record.piid : '';
  const office = record.awarding_office;
  const agency = isJsonObject(office) ? scalarText(office.agency_code) : '';
  return `${KINDS[family].transactionPrefix}_${agency}_-NONE-_${piid}_${modificationNumber}_-NONE-_-NONE-`;
}

function officeJson(value: Office, organizationId: string): JsonObject {
  return { ...value, organization_id: organizationId };
}

/** Award record `index` of `family` as its generator writes it by hand (`whole-record.ts` completes it to the whole record). */
export function generateAward(
  ctx: GenContext,
  family: AwardFamily,
  index: number,
  creation?: Creation,
): JsonObject {
  const rng = recordRng(ctx.seed, family, index);
  const awardDate = creation === undefined ? baseAwardDate(ctx, family, index) : creation.day;
  const { piid, agency } = piidFor(family, ctx, index, awardDate);
  let parent: { key: string; piid: string; agency: string } | undefined;
  if (KINDS[family].hasParent && ctx.sizes.idvs > 0 && rng.chance(0.6)) {
    parent = idvIdentity(ctx, rng.int(0, ctx.sizes.idvs - 1));
  }
  const key = keyFor(family, piid, agency.agency_code, parent);
  const naics = rng.pick(NAICS);
  const psc = rng.pick(PSC);
  const place = rng.pick(PLACES);
  const description = `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`;
  const total = money(rng.int(1_000, 20_000_000) + rng.int(0, 99) / 100);
  const transactionCount = rng.int(1, 3);
  const transactions: JsonObject[] = [];
  let obligated = 0;
  for (let n = 0; n < transactionCount; n += 1) {
    const amount = money(total / (transactionCount + 1));
    obligated = money(obligated + amount);
    transactions.push({
      modification_number: String(n),
      transaction_date: addDays(awardDate, n * 30),
      obligated: amount,
      action_type: n === 0 ? null : 'B',
      description: n === 0 ? description : `MODIFICATION ${n}`,
    });
  }
  const entityIndex = ctx.sizes.entities > 0 ? rng.int(0, ctx.sizes.entities - 1) : index;
  const organizationId = encodeUuid(ctx.seed, 'offices', OFFICES.indexOf(agency));
  const solicitation = `${agency.office_code}${awardDate.slice(2, 4)}Q${rng.int(1000, 9999)}`;
  const hasSolicitation = rng.chance(0.5);
  const setAside = codeObject(rng.pick(SET_ASIDES));
  const recipient: JsonObject = {
    uei: encodeUei(ctx.seed, entityIndex),
    display_name: entityName(ctx.seed, entityIndex),
  };
  const awardingOffice = officeJson(agency, organizationId);
  const fundingOffice: JsonObject = {
    office_code: agency.office_code,
    agency_code: agency.agency_code,
    department_code: agency.department_code,
  };
  const placeOfPerformance: JsonObject = {
    country_code: 'USA',
    country_name: 'UNITED STATES',
    state_code: place.state_code,
    state_name: place.state_name,
    city_name: place.city,
    zip_code: place.zip,
  };
  const period = periodOfPerformance(family, awardDate, rng);
  const parentAward: JsonValue = parent === undefined ? null : { key: parent.key, piid: parent.piid };
  const numberOfOffers = rng.int(1, 9);
  // Object literals without spreads: the generator runs for every detail request and ground-truth record.
  const fiscal = fiscalYear(awardDate);
  switch (family) {
    case 'contracts':
      return {
        key,
        piid,
        award_date: awardDate,
        fiscal_year: fiscal,
        description,
        obligated,
        total_contract_value: total,
        base_and_exercised_options_value: money(total * 0.8),
        naics_code: naics.code,
        psc_code: psc.code,
        solicitation_identifier: hasSolicitation ? solicitation : null,
        award_type: codeObject(rng.pick(CONTRACT_AWARD_TYPES)),
        set_aside: setAside,
        recipient,
        awarding_office: awardingOffice,
        funding_office: fundingOffice,
        place_of_performance: placeOfPerformance,
        period_of_performance: period,
        parent_award: parentAward,
        competition: competition(solicitation, numberOfOffers),
        transactions,
        subawards_summary: { count: 0, total_amount: 0 },
      };
    case 'idvs':
      return {
        key,
        piid,
        award_date: awardDate,
        fiscal_year: fiscal,
        description,
        obligated,
        total_contract_value: total,
        total_estimated_order_value: money(total * 1.5),
        naics_code: naics.code,
        psc_code: psc.code,
        solicitation_identifier: hasSolicitation ? solicitation : null,
        idv_type: codeObject(rng.pick(IDV_TYPES)),
        multiple_or_single_award_idv: codeObject(rng.pick(MULTIPLE_OR_SINGLE)),
        type_of_idc: rng.chance(0.5) ? null : codeObject(rng.pick(TYPES_OF_IDC)),
        set_aside: setAside,
        recipient,
        awarding_office: awardingOffice,
        funding_office: fundingOffice,
        place_of_performance: placeOfPerformance,
        period_of_performance: period,
        parent_award: parentAward,
        competition: competition(solicitation, numberOfOffers),
        transactions,
        subawards_summary: { count: 0, total_amount: 0 },
      };
    case 'otas':
    case 'otidvs': {
      const consortium = rng.chance(0.3);
      const consortiumUei = consortium
        ? encodeUei(ctx.seed, (entityIndex + 1) % Math.max(1, ctx.sizes.entities))
        : null;
      const program = agency.department_code === 97 ? String(rng.int(100, 999)) : null;
      const nonGovernmental = money(rng.int(0, 500_000));
      const nonTraditional = rng.pick(['Y', 'N']);
      const extentCompeted = codeObject(rng.pick(OT_EXTENT_COMPETED));
      const agreement = codeObject(rng.pick(OT_AGREEMENT_TYPES));
      if (family === 'otidvs') {
        return {
          key,
          piid,
          award_date: awardDate,
          fiscal_year: fiscal,
          description,
          obligated,
          total_contract_value: total,
          base_and_exercised_options_value: money(total * 0.8),
          psc_code: psc.code,
          idv_type: 'OT IDV',
          consortia: consortium ? 'Y' : 'N',
          consortia_uei: consortiumUei,
          dod_acquisition_program: program,
          non_governmental_dollars: nonGovernmental,
          non_traditional_government_contractor_participation: nonTraditional,
          extent_competed: extentCompeted,
          type_of_ot_agreement: agreement,
          recipient,
          awarding_office: awardingOffice,
          funding_office: fundingOffice,
          place_of_performance: placeOfPerformance,
          period_of_performance: period,
          transactions,
        };
      }
      return {
        key,
        piid,
        award_date: awardDate,
        fiscal_year: fiscal,
        description,
        obligated,
        total_contract_value: total,
        base_and_exercised_options_value: money(total * 0.8),
        psc_code: psc.code,
        consortia: consortium ? 'Y' : 'N',
        consortia_uei: consortiumUei,
        dod_acquisition_program: program,
        non_governmental_dollars: nonGovernmental,
        non_traditional_government_contractor_participation: nonTraditional,
        parent_award_modification_number: rng.chance(0.8) ? null : String(rng.int(1, 20)),
        award_type: codeObject(rng.pick(OT_AWARD_TYPES)),
        extent_competed: extentCompeted,
        type_of_ot_agreement: agreement,
        recipient,
        awarding_office: awardingOffice,
        funding_office: fundingOffice,
        place_of_performance: placeOfPerformance,
        period_of_performance: period,
        parent_award: parentAward,
        transactions,
      };
    }
  }
}

function codeObject(value: CodeObject): JsonObject {
  return { code: value.code, description: value.description };
}

function competition(solicitation: string, offers: number): JsonObject {
  return {
    contract_type: { code: 'J', description: 'Firm Fixed Price' },
    extent_competed: { code: 'A', description: 'Full and Open Competition' },
    number_of_offers_received: offers,
    solicitation_identifier: solicitation,
    solicitation_procedures: { code: 'MAFO', description: 'Subject to Multiple Award Fair Opportunity' },
  };
}

/** IDVs have `last_date_to_order`; contracts, OTAs and OTIDVs have end and completion dates. */
function periodOfPerformance(family: AwardFamily, awardDate: string, rng: Rng): JsonObject {
  if (family === 'idvs') {
    return { start_date: awardDate, last_date_to_order: addDays(awardDate, rng.int(365, 1825)) };
  }
  const end = addDays(awardDate, rng.int(30, 730));
  return {
    start_date: awardDate,
    current_end_date: end,
    ultimate_completion_date: addDays(end, rng.int(0, 365)),
  };
}
