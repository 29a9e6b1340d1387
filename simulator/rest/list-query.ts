import { awardCursorUuid, type AwardFamily } from '../dataset/awards';
import { isValidDate } from '../dataset/dates';
import { type FamilySpec } from '../dataset/families';
import { decodeUuidIndex } from '../dataset/ids';
import { type JsonObject } from '../dataset/json';
import { type Dataset } from '../dataset/store';
import { type ResourceContract } from '../../src/tango-contract/tango-contract';
import { FilterValueError, compileFilters } from './filters';
import { HttpFailure } from './http-failure';

export type QueryParams = Readonly<Record<string, string | undefined>>;

export interface SortSpec {
  readonly path: string;
  readonly descending: boolean;
  readonly name: string;
}

/** A decoded keyset cursor: the sort values of the record it points at and the direction. */
export interface CursorPosition {
  readonly index: number;
  readonly value: string | number | null;
  readonly direction: 'next' | 'prev';
}

export interface ListQuery {
  readonly limit: number;
  readonly page: number;
  readonly sort?: SortSpec;
  readonly cursor?: CursorPosition;
  /** Candidate indices from id-list style filters (undefined: every record). */
  readonly candidates?: readonly number[];
  readonly predicates: readonly ((record: JsonObject, index: number) => boolean)[];
  /** Stable text of the filtering part, used to cache counts. */
  readonly filterKey: string;
}

export interface ListQueryOptions {
  readonly defaultPageSize: number;
  readonly awardModifiedFilter: boolean;
}

const MAX_LIMIT = 100;

function parsePositiveInt(raw: string | undefined): number | undefined {
  if (raw === undefined || !/^\d+$/.test(raw)) {
    return undefined;
  }
  const value = Number.parseInt(raw, 10);
  return value >= 1 ? value : undefined;
}

export function encodeCursor(
  value: string | number | null,
  uuid: string,
  direction: 'next' | 'prev',
): string {
  const payload = direction === 'next' ? [value, uuid] : { v: [value, uuid], d: 'prev' };
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');
}

function decodeCursor(spec: FamilySpec, dataset: Dataset, token: string): CursorPosition {
  const invalid = new HttpFailure(404, { detail: 'Invalid cursor' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8'));
  } catch {
    throw invalid;
  }
  let direction: 'next' | 'prev' = 'next';
  let values: unknown = parsed;
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const object = parsed as { v?: unknown; d?: unknown };
    values = object.v;
    direction = object.d === 'prev' ? 'prev' : 'next';
  }
  if (!Array.isArray(values) || values.length !== 2 || typeof values[1] !== 'string') {
    throw invalid;
  }
  const first: unknown = values[0];
  const uuid = values[1];
  const index = decodeUuidIndex(dataset.ctx.seed, `${spec.family}:cursor`, uuid);
  if (index === undefined || awardCursorUuid(dataset.ctx, spec.family as AwardFamily, index) !== uuid) {
    throw invalid;
  }
  const value = typeof first === 'string' || typeof first === 'number' ? first : null;
  return { index, value, direction };
}

/**
 * `ordering`: notices refuse any (400); families whose contract has no ordering ignore it; the others accept the
 * contract's values and answer Tango's 400 for any other. The first term sorts.
 */
function parseOrdering(
  spec: FamilySpec,
  resource: ResourceContract,
  raw: string | undefined,
): SortSpec | undefined {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (spec.rejectsOrdering) {
    throw new HttpFailure(400, {
      error: `Invalid ordering value(s): ${raw}. Ordering is not supported on this endpoint.`,
    });
  }
  if (!resource.takesOrdering) {
    return undefined;
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
  const first = terms[0] ?? '';
  const name = first.replace(/^-/, '');
  const path = spec.orderings[name];
  if (path === undefined) {
    return undefined;
  }
  const isDefault = spec.pagination === 'keyset' && first === '-award_date';
  return isDefault ? undefined : { path, descending: first.startsWith('-'), name: first };
}

function dateBound(params: QueryParams, name: string): string | undefined {
  const raw = params[name];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (!isValidDate(raw)) {
    throw new HttpFailure(400, { [name]: ['Enter a valid date.'] });
  }
  return raw;
}

/** `modified_after`/`modified_before` on award families: not in Tango's contract, honoured only when asked. */
function awardModifiedPredicate(
  spec: FamilySpec,
  dataset: Dataset,
  params: QueryParams,
): { predicate: (record: JsonObject, index: number) => boolean; key: string } | undefined {
  const after = dateBound(params, 'modified_after');
  const before = dateBound(params, 'modified_before');
  if (after === undefined && before === undefined) {
    return undefined;
  }
  const anchor = Date.parse(`${dataset.ctx.anchorDate}T00:00:00Z`);
  return {
    key: `modified_after=${after ?? ''}&modified_before=${before ?? ''}`,
    predicate: (_record, index) => {
      const day = new Date(dataset.modifiedAt(spec.family, index) ?? anchor).toISOString().slice(0, 10);
      return (after === undefined || day >= after) && (before === undefined || day <= before);
    },
  };
}

/**
 * Turns query parameters into a list query. Only filters of Tango's contract for the family apply (the ones the
 * simulator implements, see `filters.ts`); every other parameter is ignored, as Tango ignores it.
 */
export function parseListQuery(
  spec: FamilySpec,
  dataset: Dataset,
  params: QueryParams,
  options: ListQueryOptions,
  resource: ResourceContract,
): ListQuery {
  const limit = Math.min(parsePositiveInt(params.limit) ?? options.defaultPageSize, MAX_LIMIT);
  const page = spec.pagination === 'page' ? (parsePositiveInt(params.page) ?? 1) : 1;
  const sort = parseOrdering(spec, resource, params.ordering);
  const predicates: ((record: JsonObject, index: number) => boolean)[] = [];
  const keyParts: string[] = [];
  let candidates: number[] | undefined;

  let filters;
  try {
    filters = compileFilters(spec.family, params, true);
  } catch (error) {
    if (error instanceof FilterValueError) {
      throw new HttpFailure(400, error.body);
    }
    throw error;
  }
  for (const filter of filters) {
    keyParts.push(filter.key);
    if (filter.candidates === undefined) {
      predicates.push(filter.predicate);
      continue;
    }
    const found = filter.candidates(dataset, spec.family);
    candidates = candidates === undefined ? found : candidates.filter((index) => found.includes(index));
  }
  if (options.awardModifiedFilter && spec.pagination === 'keyset') {
    const modified = awardModifiedPredicate(spec, dataset, params);
    if (modified !== undefined) {
      keyParts.push(modified.key);
      predicates.push(modified.predicate);
    }
  }

  const cursorToken = spec.pagination === 'keyset' ? params.cursor : undefined;
  const cursor =
    cursorToken === undefined || cursorToken === '' ? undefined : decodeCursor(spec, dataset, cursorToken);
  return {
    limit,
    page,
    ...(sort === undefined ? {} : { sort }),
    ...(cursor === undefined ? {} : { cursor }),
    ...(candidates === undefined ? {} : { candidates: [...new Set(candidates)] }),
    predicates,
    filterKey: keyParts.join('&'),
  };
}
