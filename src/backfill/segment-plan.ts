import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { familyContract } from '../tango/tango-requests';

export type SegmentKind = 'dates' | 'list' | 'pages' | 'remainder';

/** One list query a backfill reads to its end (or for `pageLimit` pages), with its own checkpoint. */
export interface SegmentSpec {
  readonly key: string;
  readonly kind: SegmentKind;
  /** The first page's query (filters only; shape and limit are added by the request builder). */
  readonly query: Readonly<Record<string, string>>;
  readonly pageLimit: number | null;
  /** The day range of a date segment (inclusive, overlapping its neighbours by one day); null is open-ended. */
  readonly dateFrom: string | null;
  readonly dateTo: string | null;
}

/** A date segment holding more records than this is split in two (when its range can be halved). */
export const SPLIT_ABOVE_RECORDS = 1_000;
/** Pages of a page-number list read by one segment. */
export const PAGES_PER_SEGMENT = 10;
/** Records per page (the contract's maximum). */
export const PAGE_SIZE = 100;
/** Where a whole-family backfill starts its yearly segments; everything older is one open-start segment. */
const FIRST_YEAR = 2000;
/** Segments a `--since` window starts with (split further when they hold too many records). */
const SINCE_SEGMENTS = 8;
const DAY_MS = 86_400_000;

function days(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

function dayOf(index: number): string {
  return new Date(index * DAY_MS).toISOString().slice(0, 10);
}

function dateKey(from: string | null, to: string | null, variant: string | null): string {
  return `${from ?? '…'}..${to ?? '…'}${variant === null ? '' : `|${variant}`}`;
}

/** The query of a date segment: the family's date filters for the range, plus a variant's extra filters. */
function dateQuery(
  family: ResourceFamily,
  from: string | null,
  to: string | null,
  extra: Readonly<Record<string, string>>,
): Record<string, string> {
  const window = FAMILIES[family].window;
  if (window === null) {
    throw new Error(`${family} has no date filter`);
  }
  return {
    ...extra,
    ...(from === null ? {} : { [window.after]: from }),
    ...(to === null || window.before === undefined ? {} : { [window.before]: to }),
  };
}

function dateSegment(
  family: ResourceFamily,
  from: string | null,
  to: string | null,
  variant: { readonly label: string; readonly filters: Readonly<Record<string, string>> } | null,
): SegmentSpec {
  return {
    key: dateKey(from, to, variant?.label ?? null),
    kind: 'dates',
    query: dateQuery(family, from, to, variant?.filters ?? {}),
    pageLimit: null,
    dateFrom: from,
    dateTo: to,
  };
}

/** Day boundaries that cut `[from, to]` into at most `parts` ranges of whole days. */
function boundaries(from: string, to: string, parts: number): string[] {
  const start = days(from);
  const span = Math.max(0, days(to) - start);
  const count = Math.max(1, Math.min(parts, span));
  const cuts = new Set<number>();
  for (let index = 0; index <= count; index += 1) {
    cuts.add(start + Math.round((span * index) / count));
  }
  return [...cuts].sort((a, b) => a - b).map(dayOf);
}

/**
 * The segments a backfill of one family starts with. A family with a date filter is cut into day ranges (from
 * `since` to today in a few parts, or: everything before 2000, then one range a year), the last one open-ended so
 * records dated in the future are read too; neighbouring ranges share their boundary day, so a date filter that
 * turns out exclusive loses nothing (the boundary day is read twice instead). Each variant of the family's window
 * (opportunities: the inactive ones) gets the same ranges. A family without one is read as one list, which the
 * engine cuts into page ranges once its first page gives the count (page-number lists only). With `until` (a
 * reconciliation sweep's window) the ranges end on that day instead of running open-ended.
 */
export function initialSegments(
  family: ResourceFamily,
  since: string | null,
  today: string,
  until: string | null = null,
): SegmentSpec[] {
  const window = FAMILIES[family].window;
  if (window === null) {
    if (since !== null) {
      throw new Error(`${family} has no date filter: backfill it without a start day`);
    }
    return [{ key: 'list', kind: 'list', query: {}, pageLimit: null, dateFrom: null, dateTo: null }];
  }
  const ranges: [string | null, string | null][] = [];
  if (window.before === undefined) {
    ranges.push([since, null]);
  } else if (since !== null) {
    const cuts = boundaries(since, until ?? today, SINCE_SEGMENTS);
    for (let index = 0; index < cuts.length - 1; index += 1) {
      ranges.push([cuts[index] ?? null, cuts[index + 1] ?? null]);
    }
    if (until === null) {
      ranges.push([cuts.at(-1) ?? since, null]);
    } else if (cuts.length === 1) {
      ranges.push([since, until]);
    }
  } else {
    const thisYear = Number(today.slice(0, 4));
    ranges.push([null, `${FIRST_YEAR}-01-01`]);
    for (let year = FIRST_YEAR; year < thisYear; year += 1) {
      ranges.push([`${year}-01-01`, `${year + 1}-01-01`]);
    }
    ranges.push([`${thisYear}-01-01`, null]);
  }
  const variants = [null, ...(window.variants ?? [])];
  return variants.flatMap((variant) => ranges.map(([from, to]) => dateSegment(family, from, to, variant)));
}

/**
 * Halves a date segment that holds too many records, or null when its range cannot be cut (one day, or an open
 * end that reaches no further than today). The halves share the middle day.
 */
export function splitDateSegment(
  family: ResourceFamily,
  segment: Pick<SegmentSpec, 'query' | 'dateFrom' | 'dateTo' | 'key'>,
  today: string,
): [SegmentSpec, SegmentSpec] | null {
  const window = FAMILIES[family].window;
  if (window?.before === undefined) {
    return null;
  }
  const extra = Object.fromEntries(
    Object.entries(segment.query).filter(([param]) => param !== window.after && param !== window.before),
  );
  const variantIndex = segment.key.indexOf('|');
  const variant = variantIndex < 0 ? null : { label: segment.key.slice(variantIndex + 1), filters: extra };
  const { dateFrom: from, dateTo: to } = segment;
  let middle: string;
  if (from !== null && to !== null) {
    if (days(to) - days(from) < 2) {
      return null;
    }
    middle = dayOf(Math.floor((days(from) + days(to)) / 2));
  } else if (from === null && to !== null) {
    // Open start: everything before a day. Cut ten years off its end, down to 1900.
    if (days(to) <= days('1900-01-01')) {
      return null;
    }
    middle = dayOf(Math.max(days('1900-01-01'), days(to) - 3_650));
  } else if (from !== null && to === null) {
    if (days(today) - days(from) < 2) {
      return null;
    }
    middle = today;
  } else {
    return null;
  }
  return [dateSegment(family, from, middle, variant), dateSegment(family, middle, to, variant)];
}

/** True when the family's list is numbered by pages (several pages can then be read at once). */
export function hasPageNumbers(family: ResourceFamily): boolean {
  return familyContract(family).pagination.kind === 'page';
}

/**
 * The page ranges of a page-number list after its first page: pages 2..last in runs of PAGES_PER_SEGMENT, each
 * started at its first page and stopped after its run.
 */
export function pageSegments(base: Readonly<Record<string, string>>, expected: number): SegmentSpec[] {
  const lastPage = Math.ceil(expected / PAGE_SIZE);
  const segments: SegmentSpec[] = [];
  for (let first = 2; first <= lastPage; first += PAGES_PER_SEGMENT) {
    const last = Math.min(lastPage, first + PAGES_PER_SEGMENT - 1);
    segments.push({
      key: `pages:${first}-${last}`,
      kind: 'pages',
      query: { ...base, page: String(first) },
      pageLimit: last - first + 1,
      dateFrom: null,
      dateTo: null,
    });
  }
  return segments;
}

/** The unfiltered list, read when the date segments found fewer records than Tango counts (records with no date). */
export function remainderSegment(): SegmentSpec {
  return { key: 'remainder', kind: 'remainder', query: {}, pageLimit: null, dateFrom: null, dateTo: null };
}
