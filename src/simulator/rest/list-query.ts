import { awardCursorUuid, type AwardFamily } from '../dataset/awards';
import { isValidDate } from '../dataset/dates';
import { type FamilySpec } from '../dataset/families';
import { decodeUuidIndex, piidIndex } from '../dataset/ids';
import { type JsonObject, readPath } from '../dataset/json';
import { type Dataset } from '../dataset/store';
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

function dayOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length >= 10) {
    return value.slice(0, 10);
  }
  return undefined;
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

function parseOrdering(spec: FamilySpec, raw: string | undefined): SortSpec | undefined {
  if (raw === undefined || raw === '') {
    return undefined;
  }
  if (spec.rejectsOrdering) {
    throw new HttpFailure(400, {
      error: `Invalid ordering value(s): ${raw}. Ordering is not supported on this endpoint.`,
    });
  }
  const allowed = Object.keys(spec.orderings);
  if (allowed.length === 0) {
    return undefined;
  }
  const terms = raw.split(',').map((term) => term.trim());
  const bad = terms.filter((term) => !allowed.includes(term.replace(/^-/, '')));
  if (bad.length > 0) {
    throw new HttpFailure(400, {
      error: `Invalid ordering value(s): ${bad.join(', ')}. Allowed values are: ${allowed.join(', ')}`,
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

/** Turns query parameters into a list query; unknown parameters are ignored, as Tango does. */
export function parseListQuery(
  spec: FamilySpec,
  dataset: Dataset,
  params: QueryParams,
  options: ListQueryOptions,
): ListQuery {
  const limit = Math.min(parsePositiveInt(params.limit) ?? options.defaultPageSize, MAX_LIMIT);
  const page = spec.pagination === 'page' ? (parsePositiveInt(params.page) ?? 1) : 1;
  const sort = parseOrdering(spec, params.ordering);
  const predicates: ((record: JsonObject, index: number) => boolean)[] = [];
  const keyParts: string[] = [];

  const dateFilters = [...spec.dateFilters];
  if (options.awardModifiedFilter && spec.pagination === 'keyset') {
    dateFilters.push({ after: 'modified_after', before: 'modified_before', path: '' });
  }
  for (const filter of dateFilters) {
    const after = dateBound(params, filter.after);
    const before = dateBound(params, filter.before);
    if (after !== undefined && before !== undefined && after > before) {
      throw new HttpFailure(400, {
        error: `Invalid date range: ${filter.after} (${after}) is after ${filter.before} (${before}).`,
      });
    }
    if (after === undefined && before === undefined) {
      continue;
    }
    keyParts.push(`${filter.after}=${after ?? ''}&${filter.before}=${before ?? ''}`);
    predicates.push((record, index) => {
      const day =
        filter.path === ''
          ? new Date(
              dataset.modifiedAt(spec.family, index) ?? Date.parse(`${dataset.ctx.anchorDate}T00:00:00Z`),
            )
              .toISOString()
              .slice(0, 10)
          : dayOf(readPath(record, filter.path));
      if (day === undefined) {
        return false;
      }
      return (after === undefined || day >= after) && (before === undefined || day <= before);
    });
  }

  if (spec.family === 'opportunities') {
    const wantActive = params.active !== 'false';
    keyParts.push(`active=${wantActive}`);
    predicates.push((record) => record.active === wantActive);
  }

  let candidates: number[] | undefined;
  const idParam = spec.idListParam === undefined ? undefined : params[spec.idListParam];
  if (idParam !== undefined && idParam !== '') {
    const seen = new Set<number>();
    for (const id of idParam.split('|')) {
      const index = dataset.resolve(spec.family, id.trim());
      if (index !== undefined) {
        seen.add(index);
      }
    }
    candidates = [...seen];
    keyParts.push(`ids=${idParam}`);
  }
  if (spec.pagination === 'keyset' && params.piid !== undefined && params.piid !== '') {
    const piid = params.piid;
    const index = piidIndex(piid);
    const found =
      index === undefined ? [] : [index].filter((i) => dataset.get(spec.family, i)?.piid === piid);
    candidates = candidates === undefined ? found : candidates.filter((i) => found.includes(i));
    keyParts.push(`piid=${piid}`);
  }
  if (spec.family === 'entities' && params.uei !== undefined && params.uei !== '') {
    const index = dataset.resolve('entities', params.uei);
    const found = index === undefined ? [] : [index];
    candidates = candidates === undefined ? found : candidates.filter((i) => found.includes(i));
    keyParts.push(`uei=${params.uei.toUpperCase()}`);
  }

  const cursorToken = spec.pagination === 'keyset' ? params.cursor : undefined;
  const cursor =
    cursorToken === undefined || cursorToken === '' ? undefined : decodeCursor(spec, dataset, cursorToken);
  return {
    limit,
    page,
    ...(sort === undefined ? {} : { sort }),
    ...(cursor === undefined ? {} : { cursor }),
    ...(candidates === undefined ? {} : { candidates }),
    predicates,
    filterKey: keyParts.join('&'),
  };
}
