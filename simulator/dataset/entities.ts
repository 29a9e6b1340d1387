import { createRng, recordRng } from '../prng';
import { type Creation, type GenContext, money } from './context';
import { fromEpochDay } from './dates';
import { encodeUei, encodeUuid } from './ids';
import { type JsonObject } from './json';
import {
  BUSINESS_TYPES,
  COMPANY_SUFFIXES,
  COMPANY_WORDS,
  ENTITY_STRUCTURES,
  ENTITY_TYPES,
  NAICS,
  PLACES,
  PSC,
} from './reference-data';

/** Legal name of entity `index` (awards use it as the recipient's display name). */
export function entityName(seed: number, index: number): string {
  const rng = createRng(`${seed}:entities:${index}:name`);
  return `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`;
}

/** Entity `index` as its generator writes it by hand (`whole-record.ts` completes it to the whole record). */
export function generateEntity(ctx: GenContext, index: number, creation?: Creation): JsonObject {
  const rng = recordRng(ctx.seed, 'entities', index);
  const name = entityName(ctx.seed, index);
  const place = rng.pick(PLACES);
  const naics = rng.pick(NAICS);
  const registeredDay = creation === undefined ? ctx.anchorDay - rng.int(30, 3000) : undefined;
  const registered = creation?.day ?? fromEpochDay(registeredDay ?? ctx.anchorDay);
  const lastUpdate = creation?.day ?? fromEpochDay(ctx.anchorDay - rng.int(0, 29));
  const address = {
    address_line1: `${rng.int(1, 9999)} ${rng.pick(COMPANY_WORDS)} RD`,
    address_line2: '',
    city: place.city,
    state_or_province_code: place.state_code,
    zip_code: place.zip.slice(0, 5),
    zip_code_plus4: place.zip.slice(5),
    country_code: 'USA',
  };
  const types = [rng.pick(BUSINESS_TYPES)];
  const obligatedTotal = money(rng.int(0, 5_000_000));
  const cageCode = rng.chance(0.1) ? null : `${rng.int(1, 9)}${rng.hex(4).toUpperCase()}`;
  const entityUrl = rng.chance(0.3)
    ? null
    : `https://www.${name.split(' ')[0]?.toLowerCase() ?? 'example'}${index}.example.com/`;
  const dbaName = rng.chance(0.2) ? `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_WORDS)}` : '';
  const owner = owned(ctx, index, rng.next());
  return {
    uei: encodeUei(ctx.seed, index),
    legal_business_name: name,
    dba_name: dbaName,
    display_name: name,
    uuid: encodeUuid(ctx.seed, 'entities:uuid', index),
    cage_code: cageCode,
    entity_url: entityUrl,
    email_address: null,
    primary_naics: String(naics.code),
    psc_codes: [rng.pick(PSC).code],
    congressional_district: String(rng.int(1, 12)).padStart(2, '0'),
    registered: true,
    registration_status: true,
    uei_status: true,
    sam_registration_date: registered,
    sam_activation_date: registered,
    sam_expiration_date: fromEpochDay(ctx.anchorDay + rng.int(30, 365)),
    uei_creation_date: creation?.day ?? fromEpochDay((registeredDay ?? ctx.anchorDay) - rng.int(0, 60)),
    last_update_date: lastUpdate,
    exclusion_status_flag: 'N',
    business_types: types.map((t) => ({ ...t })),
    sba_business_types: [],
    naics_codes: [{ code: String(naics.code), sba_small_business: rng.pick(['Y', 'N']) }],
    physical_address: address,
    mailing_address: { ...address },
    purpose_of_registration: { code: 'Z2', description: 'All Awards' },
    entity_structure: { ...rng.pick(ENTITY_STRUCTURES) },
    entity_type: { ...rng.pick(ENTITY_TYPES) },
    highest_owner: owner,
    immediate_owner: owner === null ? null : { ...owner },
    relationships: [],
    federal_obligations: {
      total: {
        idv_count: 0,
        awards_count: rng.int(0, 40),
        subawards_count: 0,
        awards_obligated: obligatedTotal,
        subawards_obligated: 0,
      },
      active: { idv_count: 0, awards_count: rng.int(0, 5), awards_obligated: money(obligatedTotal / 4) },
    },
  };
}

/** One entity in ten is owned by another (the next lower index), as `{uei, legal_business_name, cage_code}`. */
function owned(ctx: GenContext, index: number, roll: number): JsonObject | null {
  if (roll >= 0.1 || index === 0) {
    return null;
  }
  const parent = index - 1;
  return {
    uei: encodeUei(ctx.seed, parent),
    legal_business_name: entityName(ctx.seed, parent),
    cage_code: null,
  };
}
