import { createRng, recordRng } from '../prng';
import { type Creation, type GenContext, money } from './context';
import { fromEpochDay } from './dates';
import { encodeUei, encodeUuid } from './ids';
import { type JsonObject } from './json';
import { BUSINESS_TYPES, COMPANY_SUFFIXES, COMPANY_WORDS, NAICS, PLACES, PSC } from './reference-data';

/** Legal name of entity `index` (awards use it as the recipient's display name). */
export function entityName(seed: number, index: number): string {
  const rng = createRng(`${seed}:entities:${index}:name`);
  return `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_SUFFIXES)}`;
}

export function generateEntity(ctx: GenContext, index: number, creation?: Creation): JsonObject {
  const rng = recordRng(ctx.seed, 'entities', index);
  const name = entityName(ctx.seed, index);
  const place = rng.pick(PLACES);
  const naics = rng.pick(NAICS);
  const registered = creation?.day ?? fromEpochDay(ctx.anchorDay - rng.int(30, 3000));
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
  return {
    uei: encodeUei(ctx.seed, index),
    legal_business_name: name,
    dba_name: rng.chance(0.2) ? `${rng.pick(COMPANY_WORDS)} ${rng.pick(COMPANY_WORDS)}` : '',
    display_name: name,
    uuid: encodeUuid(ctx.seed, 'entities:uuid', index),
    cage_code: rng.chance(0.1) ? null : `${rng.int(1, 9)}${rng.hex(4).toUpperCase()}`,
    entity_url: rng.chance(0.3)
      ? null
      : `https://www.${name.split(' ')[0]?.toLowerCase() ?? 'example'}${index}.example.com/`,
    email_address: null,
    business_types: types.map((t) => ({ ...t })),
    sba_business_types: [],
    primary_naics: String(naics.code),
    naics_codes: [{ code: String(naics.code), sba_small_business: rng.pick(['Y', 'N']) }],
    psc_codes: [rng.pick(PSC).code],
    physical_address: address,
    mailing_address: { ...address },
    purpose_of_registration: { code: 'Z2', description: 'All Awards' },
    relationships: [],
    congressional_district: String(rng.int(1, 12)).padStart(2, '0'),
    registered: 'Yes',
    registration_status: 'Active',
    registration_date: registered,
    last_update_date: lastUpdate,
    sam_expiration_date: fromEpochDay(ctx.anchorDay + rng.int(30, 365)),
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
