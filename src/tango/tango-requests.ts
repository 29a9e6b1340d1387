import { FAMILIES, familyPath, shapeText, type ShapeItem } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { parseShape } from '../tango-contract/shape-grammar';
import { type ResourceContract, tangoContract } from '../tango-contract/tango-contract';
import { compactShape } from '../tango-contract/whole-shape';

/**
 * Every request the worker sends for records, built in one place and checked against Tango's published contract
 * before it leaves: a list parameter Tango does not list would be silently ignored (an unknown filter returns the
 * unfiltered list), and a shape item it does not have answers `400 Invalid shape`. A request that breaks the
 * contract is a bug in the worker: it throws here instead of reaching Tango.
 */

/** Records per list page: Tango's maximum page size for every mirrored family. */
export const LIST_PAGE_SIZE = 100;

export interface TangoRequestSpec {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
}

/** The shape a request carries: the family's items (full or reduced after drift), or none (tier fallback). */
export type RequestShape = readonly ShapeItem[] | null;

export class ContractViolationError extends Error {
  readonly code = 'TANGO.CONTRACT_VIOLATION';

  constructor(message: string) {
    super(message);
    this.name = 'ContractViolationError';
  }
}

export function familyContract(family: ResourceFamily): ResourceContract {
  return tangoContract().resource(FAMILIES[family].collection);
}

/** Checked shape texts by family and shape (a family asks with a handful of shapes over a process' life). */
const shapeTexts = new Map<string, string>();
const SHAPE_TEXT_CACHE_LIMIT = 256;

/** The shape as sent: written the short way (`compactShape`) and checked against the contract once. */
function checkedShapeText(family: ResourceFamily, shape: readonly ShapeItem[]): string {
  const key = `${family}\n${shapeText(shape)}`;
  const cached = shapeTexts.get(key);
  if (cached !== undefined) {
    return cached;
  }
  const contract = familyContract(family);
  const text = shapeText(compactShape(shape, contract));
  const issues = contract.validateShape(parseShape(text));
  if (issues.length > 0) {
    throw new ContractViolationError(
      `${family}: shape items not in Tango's contract: ${issues.map((issue) => `${issue.path} (${issue.reason})`).join(', ')}`,
    );
  }
  if (shapeTexts.size >= SHAPE_TEXT_CACHE_LIMIT) {
    shapeTexts.clear();
  }
  shapeTexts.set(key, text);
  return text;
}

function shapeQuery(family: ResourceFamily, shape: RequestShape): Record<string, string> {
  return shape === null ? {} : { shape: checkedShapeText(family, shape) };
}

function checkedList(family: ResourceFamily, query: Record<string, string>): TangoRequestSpec {
  const unknown = familyContract(family).unknownListParams(query);
  if (unknown.length > 0) {
    throw new ContractViolationError(`${family}: list parameters Tango would ignore: ${unknown.join(', ')}`);
  }
  return { path: familyPath(family), query };
}

/** Records by a `|`-separated id list (at most one page of them). */
export function idListRequest(
  family: ResourceFamily,
  ids: readonly string[],
  shape: RequestShape,
): TangoRequestSpec {
  const filter = FAMILIES[family].idListFilter;
  if (filter === null) {
    throw new ContractViolationError(`${family} has no id-list filter in Tango's contract`);
  }
  if (ids.length === 0 || ids.length > LIST_PAGE_SIZE) {
    throw new ContractViolationError(
      `${family}: an id list holds 1 to ${LIST_PAGE_SIZE} ids, not ${ids.length}`,
    );
  }
  return checkedList(family, {
    [filter]: ids.join('|'),
    limit: String(LIST_PAGE_SIZE),
    ...shapeQuery(family, shape),
  });
}

/** One record by its id. */
export function detailRequest(family: ResourceFamily, id: string, shape: RequestShape): TangoRequestSpec {
  return { path: familyPath(family, id), query: shapeQuery(family, shape) };
}

/** Awards whose PIID is `piid` (a legacy event named a bare PIID). */
export function piidLookupRequest(
  family: ResourceFamily,
  piid: string,
  shape: RequestShape,
): TangoRequestSpec {
  const filter = FAMILIES[family].piidFilter;
  if (filter === undefined) {
    throw new ContractViolationError(`${family} has no PIID filter`);
  }
  return checkedList(family, { [filter]: piid, limit: String(LIST_PAGE_SIZE), ...shapeQuery(family, shape) });
}

/**
 * The first page of a list over arbitrary contract filters (an alert's own filters, a window). Filters the
 * contract lacks must have been removed by the caller (see `splitAlertFilters`); here they are a bug.
 */
export function listRequest(
  family: ResourceFamily,
  filters: Readonly<Record<string, string>>,
  shape: RequestShape,
  limit: number = familyContract(family).pagination.maxPageSize,
): TangoRequestSpec {
  return checkedList(family, { ...filters, limit: String(limit), ...shapeQuery(family, shape) });
}

export interface WindowQuery {
  readonly label: string;
  readonly filters: Readonly<Record<string, string>>;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The list queries that cover the days from `start` to `end` (null: no end) for one family, by its date filter:
 * empty for families without one (entities).
 */
export function windowQueries(family: ResourceFamily, start: Date, end: Date | null): WindowQuery[] {
  const window = FAMILIES[family].window;
  if (window === null) {
    return [];
  }
  const base: Record<string, string> = { [window.after]: day(start) };
  if (end !== null && window.before !== undefined) {
    base[window.before] = day(end);
  }
  return [
    { label: window.label, filters: base },
    ...(window.variants ?? []).map((variant) => ({
      label: variant.label,
      filters: { ...base, ...variant.filters },
    })),
  ];
}

/** The next page's query from Tango's `next` link, keeping only what the contract lists (plus our shape). */
export function nextPageQuery(family: ResourceFamily, next: string): Record<string, string> {
  const url = new URL(next, 'http://tango.invalid');
  const query = Object.fromEntries(url.searchParams.entries());
  const unknown = new Set(familyContract(family).unknownListParams(query));
  return Object.fromEntries(Object.entries(query).filter(([param]) => !unknown.has(param)));
}

/** Alert filters as list query values: lists joined with `|`, objects as JSON, nulls dropped. */
export function filtersAsQuery(filters: Readonly<Record<string, unknown>>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(filters)) {
    if (value === null || value === undefined) {
      continue;
    }
    query[key] = Array.isArray(value)
      ? value.map((item) => (typeof item === 'object' ? JSON.stringify(item) : String(item))).join('|')
      : typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : JSON.stringify(value);
  }
  return query;
}

export interface AlertFilterSplit {
  /** Filters Tango's contract lists for the family's list endpoint, as query values. */
  readonly honoured: Readonly<Record<string, string>>;
  /** Filter keys Tango would silently ignore (re-running with them would widen the query). */
  readonly unknown: readonly string[];
}

/**
 * Which of an alert's filters the family's list endpoint honours. An alert re-run is only faithful when `unknown`
 * is empty: dropping a key widens the query, and Tango ignoring it would widen it the same way.
 */
export function splitAlertFilters(
  family: ResourceFamily,
  filters: Readonly<Record<string, unknown>>,
): AlertFilterSplit {
  const query = filtersAsQuery(filters);
  const contract = familyContract(family);
  const honoured: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (contract.filterParams.has(key)) {
      honoured[key] = value;
    } else {
      unknown.push(key);
    }
  }
  return { honoured, unknown: unknown.sort() };
}
