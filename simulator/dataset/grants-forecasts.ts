import { recordRng } from '../prng';
import { type Creation, type GenContext } from './context';
import { fiscalYear, fromEpochDay, isoWithOffset } from './dates';
import { encodeUuid } from './ids';
import { type JsonObject } from './json';
import { FORECAST_SOURCES, GRANT_AGENCIES, NAICS, WORDS } from './reference-data';

export const GRANT_ID_OFFSET = 300_000;
export const FORECAST_ID_OFFSET = 10_000;

function baseInstant(ctx: GenContext, index: number, salt: number): number {
  return (ctx.anchorDay - (index % 400)) * 86_400_000 + ((index * 7919 + salt) % 86_400) * 1000;
}

/** Grant `index` as its generator writes it by hand (`whole-record.ts` completes it to the whole record). */
export function generateGrant(ctx: GenContext, index: number, creation?: Creation): JsonObject {
  const rng = recordRng(ctx.seed, 'grants', index);
  const updatedAt = creation?.atMs ?? baseInstant(ctx, index, 11);
  const postedDay = Math.floor(updatedAt / 86_400_000) - rng.int(0, 30);
  const title = `${rng.pick(WORDS)} ${rng.pick(WORDS)} Program`;
  const agencyIndex = rng.int(0, GRANT_AGENCIES.length - 1);
  const email = `grants${index}@example.gov`;
  const postedDate = fromEpochDay(postedDay);
  // CFDA numbers are decimals (`93.867`); the last digit is never 0 so the number keeps three decimals.
  const cfda = Number((93 + (rng.int(10, 99) * 10 + rng.int(1, 9)) / 1000).toFixed(3));
  return {
    grant_id: GRANT_ID_OFFSET + index,
    opportunity_number: `PAR-${String(fiscalYear(postedDate)).slice(2)}-${String(index % 1000).padStart(3, '0')}`,
    agency_code: GRANT_AGENCIES[agencyIndex] ?? 'NSF',
    organization_id: encodeUuid(ctx.seed, 'grant-agencies', agencyIndex),
    title,
    description: `<p>${title} funding opportunity.</p>`,
    applicant_eligibility_description: 'See the full announcement.',
    funding_activity_category_description: null,
    last_updated: isoWithOffset(updatedAt),
    synopsis: { synopsisDesc: `${title}.`, agencyContactEmail: email, postingDate: postedDate },
    forecast: null,
    opportunity_history: [],
    grantor_contact: {
      name: 'Grants Management Officer',
      email,
      phone: `301-555-${String(index % 10_000).padStart(4, '0')}`,
    },
    status: rng.pick([
      { code: 'P', description: 'Posted' },
      { code: 'F', description: 'Forecasted' },
    ]),
    category: { code: 'D', description: 'Discretionary' },
    cfda_numbers: [{ number: cfda, title }],
    applicant_types: [
      { code: '06', description: 'Public and State controlled institutions of higher education' },
    ],
    funding_categories: [{ code: 'HL', description: 'Health' }],
    funding_instruments: [{ code: 'G', description: 'Grant' }],
    funding_details: {
      award_ceiling: rng.int(1, 50) * 10_000,
      award_floor: 0,
      estimated_total_funding: rng.int(1, 100) * 100_000,
      expected_number_of_awards: rng.int(1, 20),
    },
    important_dates: {
      posted_date: postedDate,
      response_date: fromEpochDay(postedDay + rng.int(30, 120)),
    },
    additional_info: { link: null, description: null },
  };
}

/** Forecast `index` as its generator writes it by hand (`whole-record.ts` completes it to the whole record). */
export function generateForecast(ctx: GenContext, index: number, creation?: Creation): JsonObject {
  const rng = recordRng(ctx.seed, 'forecasts', index);
  const createdAt = creation?.atMs ?? baseInstant(ctx, index, 29) - 30 * 86_400_000;
  const modifiedAt = creation?.atMs ?? baseInstant(ctx, index, 29);
  const awardDate = fromEpochDay(Math.floor(modifiedAt / 86_400_000) + rng.int(60, 540));
  const source = rng.pick(FORECAST_SOURCES);
  const title = `${rng.pick(WORDS)} ${rng.pick(WORDS)} Services`;
  const naics = String(rng.pick(NAICS).code);
  const status = rng.chance(0.5) ? null : 'Acquisition Planning';
  const externalId = 50_000 + index;
  return {
    id: FORECAST_ID_OFFSET + index,
    source_system: source,
    external_id: String(externalId),
    agency: source,
    title,
    description: `${source} has a requirement for ${rng.pick(WORDS).toLowerCase()} services.`,
    anticipated_award_date: awardDate,
    fiscal_year: fiscalYear(awardDate),
    naics_code: naics,
    is_active: rng.chance(0.9),
    status,
    primary_contact: {
      name: 'Program Office',
      email: `forecast${index}@example.gov`,
      phone: `202-555-${String(index % 10_000).padStart(4, '0')}`,
      title: 'Contracting Officer',
    },
    place_of_performance: 'Washington, DC',
    estimated_period: `${rng.int(1, 5)} years`,
    set_aside: rng.pick(['Small Business', 'None', '8(a)']),
    contract_vehicle: rng.chance(0.5) ? null : 'GSA MAS',
    organization_id: null,
    created: isoWithOffset(createdAt),
    modified: isoWithOffset(modifiedAt),
    raw_data: { id: externalId, title, naics, status },
    display: { title, agency: source, anticipated_award_date: awardDate, naics_code: naics, status },
  };
}
