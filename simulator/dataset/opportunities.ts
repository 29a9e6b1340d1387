import { recordRng } from '../prng';
import { type Creation, type GenContext } from './context';
import { fromEpochDay, isoDayTime, isoWithOffset } from './dates';
import { encodeUuid } from './ids';
import { type JsonObject } from './json';
import { NAICS, NOTICE_TYPES, OFFICES, PLACES, PSC, SET_ASIDES, WORDS } from './reference-data';

export function opportunityId(ctx: GenContext, index: number): string {
  return encodeUuid(ctx.seed, 'opportunities', index);
}

export function noticeId(ctx: GenContext, index: number): string {
  return encodeUuid(ctx.seed, 'notices', index);
}

/** Base notice `j` belongs to base opportunity `j % opportunities`. */
export function parentOpportunityIndex(ctx: GenContext, noticeIndex: number): number | undefined {
  return ctx.sizes.opportunities > 0 ? noticeIndex % ctx.sizes.opportunities : undefined;
}

function baseNoticeDay(ctx: GenContext, noticeIndex: number): number {
  return ctx.anchorDay - Math.floor(noticeIndex / 7);
}

/** One entry of an opportunity's `notice_history` (Tango's expand: one row per notice, `latest` marks the newest). */
export function noticeHistoryEntry(
  ctx: GenContext,
  noticeIndex: number,
  position: number,
  latest: boolean,
): JsonObject {
  return {
    notice_id: noticeId(ctx, noticeIndex),
    posted_date: isoWithOffset(
      Date.parse(`${fromEpochDay(baseNoticeDay(ctx, noticeIndex))}T00:00:00Z`) + 3_600_000,
    ),
    index: position,
    latest,
    deleted: false,
  };
}

export function generateOpportunity(ctx: GenContext, index: number, creation?: Creation): JsonObject {
  const rng = recordRng(ctx.seed, 'opportunities', index);
  const oppCount = ctx.sizes.opportunities;
  const baseNotices =
    index < oppCount && index < ctx.sizes.notices
      ? Math.floor((ctx.sizes.notices - 1 - index) / oppCount) + 1
      : 0;
  const latestNotice = baseNotices > 0 ? index + oppCount * (baseNotices - 1) : undefined;
  const firstAt =
    creation?.atMs ??
    Date.parse(`${fromEpochDay(baseNoticeDay(ctx, index))}T00:00:00Z`) + rng.int(0, 86_399) * 1000;
  const lastAt =
    latestNotice === undefined || creation !== undefined
      ? firstAt
      : Date.parse(`${fromEpochDay(baseNoticeDay(ctx, latestNotice))}T00:00:00Z`) + 3_600_000;
  const office = rng.pick(OFFICES);
  const id = opportunityId(ctx, index);
  const deadlineDay = fromEpochDay(Math.floor(lastAt / 86_400_000) + rng.int(10, 60));
  const place = rng.pick(PLACES);
  return {
    opportunity_id: id,
    title: `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${rng.pick(WORDS)}`,
    description: `Requirement for ${rng.pick(WORDS).toLowerCase()} ${rng.pick(WORDS).toLowerCase()}.`,
    solicitation_number: `${office.office_code}${String(index).padStart(7, '0')}`,
    active: rng.chance(0.8),
    award_number: null,
    first_notice_date: isoWithOffset(firstAt),
    last_notice_date: isoWithOffset(lastAt),
    latest_notice_id: latestNotice === undefined ? null : noticeId(ctx, latestNotice),
    response_deadline: isoDayTime(deadlineDay, 14 * 3600),
    archive_date: fromEpochDay(Math.floor(lastAt / 86_400_000) + 75),
    naics_code: String(rng.pick(NAICS).code),
    psc_code: rng.pick(PSC).code,
    set_aside: rng.chance(0.3) ? null : { ...rng.pick(SET_ASIDES) },
    sam_url: `https://sam.gov/opp/${id}/view`,
    office: { ...office, organization_id: encodeUuid(ctx.seed, 'offices', OFFICES.indexOf(office)) },
    place_of_performance: {
      street_address: null,
      city: place.city,
      state: place.state_name,
      zip: place.zip.slice(0, 5),
      country: 'UNITED STATES',
    },
    notice_history: Array.from({ length: baseNotices }, (_, k) =>
      noticeHistoryEntry(ctx, index + oppCount * k, k, k === baseNotices - 1),
    ),
    meta: {
      notices_count: baseNotices,
      attachments_count: rng.int(0, 4),
      notice_type: { ...rng.pick(NOTICE_TYPES) },
    },
  };
}

export function generateNotice(
  ctx: GenContext,
  index: number,
  creation?: Creation,
  parentIndex?: number,
): JsonObject {
  const rng = recordRng(ctx.seed, 'notices', index);
  const parent = parentIndex ?? parentOpportunityIndex(ctx, index);
  const postedAt =
    creation?.atMs ?? Date.parse(`${fromEpochDay(baseNoticeDay(ctx, index))}T00:00:00Z`) + 3_600_000;
  const office = rng.pick(OFFICES);
  const place = rng.pick(PLACES);
  const parentId = parent === undefined ? null : opportunityId(ctx, parent);
  return {
    notice_id: noticeId(ctx, index),
    opportunity_id: parentId,
    title: `${rng.pick(WORDS)} ${rng.pick(WORDS)}`,
    description: `Notice for ${rng.pick(WORDS).toLowerCase()}.`,
    solicitation_number: `${office.office_code}${String(index).padStart(7, '0')}`,
    active: true,
    award_number: null,
    posted_date: rng.chance(0.05) && creation === undefined ? null : isoWithOffset(postedAt),
    last_updated: isoWithOffset(postedAt),
    response_deadline: isoDayTime(
      fromEpochDay(Math.floor(postedAt / 86_400_000) + rng.int(10, 60)),
      21 * 3600,
    ),
    naics_code: String(rng.pick(NAICS).code),
    psc_code: rng.pick(PSC).code,
    set_aside: null,
    sam_url: `https://sam.gov/opp/${noticeId(ctx, index)}/view`,
    attachment_count: rng.int(0, 5),
    address: { city: place.city, state: place.state_code, zip: place.zip.slice(0, 5), country: 'USA' },
    office: rng.chance(0.2)
      ? null
      : { office_code: office.office_code, office_name: office.office_name, agency_code: office.agency_code },
    place_of_performance: {
      street_address: null,
      state: place.state_name,
      city: place.city,
      zip: place.zip.slice(0, 5),
      country: 'UNITED STATES',
    },
    meta: {
      notice_type: { ...rng.pick(NOTICE_TYPES) },
      parent_notice_id: null,
      related_notice_id: null,
      link: `https://sam.gov/opp/${noticeId(ctx, index)}/view`,
    },
    opportunity:
      parentId === null ? null : { opportunity_id: parentId, link: `/api/opportunities/${parentId}/` },
    archive: { date: null, type: 'auto15' },
    primary_contact: {
      full_name: 'Contracting Officer',
      email: `co${index}@example.gov`,
      title: 'Contracting Officer',
    },
    secondary_contact: null,
  };
}
