import { isValidDate } from '../dataset/dates';
import { type JsonObject, type JsonValue, scalarText } from '../dataset/json';
import { HttpFailure } from '../rest/http-failure';
import { type QueryParams } from '../rest/list-query';
import { type ResourceSpec } from './catalog';
import { type ResourceEntry } from './store';

/**
 * List requests of the resources beyond the nine families, read generically from Tango's contract: page-number
 * pagination up to the contract's `max_page_size`, `ordering` by the contract's values, and the contract filters
 * whose meaning the parameter name tells (below). Other contract filters are accepted and not applied; parameters
 * outside the contract are ignored (and counted by the routes), as with the families.
 */

type Predicate = (entry: ResourceEntry) => boolean;
type SortValue = string | number | null;

interface SortTerm {
  readonly value: (entry: ResourceEntry) => SortValue;
  readonly descending: boolean;
}

export interface ResourceListQuery {
  readonly limit: number;
  readonly page: number;
  readonly predicates: readonly Predicate[];
  readonly sort: readonly SortTerm[];
}

export interface ResourcePage {
  readonly entries: readonly ResourceEntry[];
  readonly count: number;
  readonly nextPage?: number;
  readonly previousPage?: number;
}

function parsePositiveInt(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw)) {
    return undefined;
  }
  const value = Number.parseInt(raw, 10);
  return value >= 1 ? value : undefined;
}

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function dateValue(param: string, raw: string): string {
  if (!isValidDate(raw)) {
    throw new HttpFailure(400, { [param]: ['Enter a valid date.'] });
  }
  return raw;
}

function numberValue(param: string, raw: string): number {
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value)) {
    throw new HttpFailure(400, { [param]: ['Enter a number.'] });
  }
  return value;
}

function fieldText(record: JsonObject, field: string): string | undefined {
  const value: JsonValue | undefined = record[field];
  return value === null || value === undefined ? undefined : scalarText(value);
}

function fieldNumber(record: JsonObject, field: string): number | undefined {
  const value = record[field];
  return typeof value === 'number'
    ? value
    : typeof value === 'string' && value !== ''
      ? Number(value)
      : undefined;
}

/** A date bound on the hidden change time (the identity's since filter and its `_before` pair). */
function changeFilter(spec: ResourceSpec, param: string, raw: string): Predicate | undefined {
  if (param === spec.changeFilters.after) {
    const after = dateValue(param, raw);
    return (entry) => dayOf(entry.changedMs) >= after;
  }
  if (param === spec.changeFilters.before) {
    const before = dateValue(param, raw);
    return (entry) => dayOf(entry.changedMs) <= before;
  }
  return undefined;
}

const RANGE_SUFFIXES: readonly [RegExp, 'gte' | 'lte' | 'after' | 'before'][] = [
  [/^(.+)_after$/, 'after'],
  [/^(.+)_before$/, 'before'],
  [/^(.+?)_{1,2}(?:gte|min)$/, 'gte'],
  [/^(.+?)_{1,2}(?:lte|max)$/, 'lte'],
];

/** `<field>_after|_before` (a day), `<field>_gte|__gte|_min` and `_lte|__lte|_max` (a number) on a top-level field. */
function rangeFilter(spec: ResourceSpec, param: string, raw: string): Predicate | undefined {
  for (const [pattern, kind] of RANGE_SUFFIXES) {
    const field = pattern.exec(param)?.[1];
    if (field === undefined || !spec.contract.fields.has(field)) {
      continue;
    }
    if (kind === 'after' || kind === 'before') {
      const bound = dateValue(param, raw);
      return ({ record }) => {
        const day = fieldText(record, field)?.slice(0, 10);
        return day !== undefined && (kind === 'after' ? day >= bound : day <= bound);
      };
    }
    const bound = numberValue(param, raw);
    return ({ record }) => {
      const value = fieldNumber(record, field);
      return value !== undefined && (kind === 'gte' ? value >= bound : value <= bound);
    };
  }
  return undefined;
}

/** `<field>` (case-insensitive equality), `<field>__in` (comma list), `<field>__icontains` on a top-level field. */
function matchFilter(spec: ResourceSpec, param: string, raw: string): Predicate | undefined {
  const [field = '', lookup] = param.split('__');
  if (!spec.contract.fields.has(field)) {
    return undefined;
  }
  const wanted = raw.toUpperCase();
  switch (lookup) {
    case undefined:
      return ({ record }) => fieldText(record, field)?.toUpperCase() === wanted;
    case 'in': {
      const options = new Set(wanted.split(',').map((option) => option.trim()));
      return ({ record }) => options.has(fieldText(record, field)?.toUpperCase() ?? '');
    }
    case 'icontains':
      return ({ record }) => fieldText(record, field)?.toUpperCase().includes(wanted) ?? false;
    default:
      return undefined;
  }
}

/** The predicate of one contract filter, or undefined when the simulator does not apply it. */
export function resourceFilter(spec: ResourceSpec, param: string, raw: string): Predicate | undefined {
  if (!spec.contract.filterParams.has(param)) {
    return undefined;
  }
  return changeFilter(spec, param, raw) ?? rangeFilter(spec, param, raw) ?? matchFilter(spec, param, raw);
}

/** Every contract filter of the resource the simulator applies (for tests and docs). */
export function appliedResourceFilters(spec: ResourceSpec): string[] {
  return [...spec.contract.filterParams].filter((param) => {
    try {
      return resourceFilter(spec, param, '2026-01-01') !== undefined;
    } catch {
      return resourceFilter(spec, param, '1') !== undefined;
    }
  });
}

/**
 * What an ordering name sorts by: `rank` (search relevance; nothing to rank without a search) by nothing, so by id;
 * a top-level field by its value, except the change field; any other name (`modified`, `last_updated`,
 * `last_modified_date`: Tango's change times) by the hidden change time.
 */
function sortValueOf(spec: ResourceSpec, name: string): (entry: ResourceEntry) => SortValue {
  if (name === 'rank') {
    return () => null;
  }
  if (spec.contract.fields.has(name) && name !== spec.changeField) {
    return ({ record }) => {
      const value = record[name];
      return typeof value === 'string' || typeof value === 'number' ? value : null;
    };
  }
  return (entry) => entry.changedMs;
}

/** `ordering`: ignored where the contract takes none; any value the contract lacks answers Tango's 400. */
function parseOrdering(spec: ResourceSpec, raw: string | undefined): SortTerm[] {
  const resource = spec.contract;
  if (raw === undefined || raw === '' || !resource.takesOrdering) {
    return [];
  }
  const terms = raw
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '');
  const bad = terms.filter((term) => !resource.orderingValues.has(term));
  if (bad.length > 0) {
    const allowed = [...new Set([...resource.orderingValues].map((value) => value.replace(/^-/, '')))].sort();
    throw new HttpFailure(400, {
      error: `Invalid ordering value(s): ${bad.join(', ')}. Allowed values are: ${allowed.join(', ')}.`,
    });
  }
  return terms.map((term) => ({
    value: sortValueOf(spec, term.replace(/^-/, '')),
    descending: term.startsWith('-'),
  }));
}

export function parseResourceListQuery(
  spec: ResourceSpec,
  params: QueryParams,
  defaultPageSize: number,
): ResourceListQuery {
  const limit = Math.min(
    parsePositiveInt(params.limit) ?? defaultPageSize,
    spec.contract.pagination.maxPageSize,
  );
  const page = parsePositiveInt(params.page) ?? 1;
  const predicates: Predicate[] = [];
  for (const [param, value] of Object.entries(params)) {
    const raw = value?.trim();
    if (raw === undefined || raw === '') {
      continue;
    }
    const predicate = resourceFilter(spec, param, raw);
    if (predicate !== undefined) {
      predicates.push(predicate);
    }
  }
  return { limit, page, predicates, sort: parseOrdering(spec, params.ordering) };
}

/** Negative when `a` sorts first. Nulls sort last in either direction; ties go by id. */
function compareEntries(sort: readonly SortTerm[], a: ResourceEntry, b: ResourceEntry): number {
  for (const term of sort) {
    const va = term.value(a);
    const vb = term.value(b);
    if (va === vb) {
      continue;
    }
    if (va === null) {
      return 1;
    }
    if (vb === null) {
      return -1;
    }
    const order = va < vb ? -1 : 1;
    return term.descending ? -order : order;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** One page of the live records (allocation order unless `ordering` says otherwise); 404 past the last page. */
export function listResourcePage(entries: readonly ResourceEntry[], query: ResourceListQuery): ResourcePage {
  const matching = entries.filter((entry) => query.predicates.every((predicate) => predicate(entry)));
  const ordered =
    query.sort.length === 0 ? matching : [...matching].sort((a, b) => compareEntries(query.sort, a, b));
  const offset = (query.page - 1) * query.limit;
  if (query.page > 1 && offset >= ordered.length) {
    throw new HttpFailure(404, { detail: 'Invalid page.' });
  }
  const page = ordered.slice(offset, offset + query.limit);
  return {
    entries: page,
    count: ordered.length,
    ...(offset + page.length < ordered.length ? { nextPage: query.page + 1 } : {}),
    ...(query.page > 1 ? { previousPage: query.page - 1 } : {}),
  };
}
