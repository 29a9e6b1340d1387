import { awardCursorUuid, type AwardFamily } from '../dataset/awards';
import { type FamilySpec } from '../dataset/families';
import { type JsonObject, readPath } from '../dataset/json';
import { type Dataset } from '../dataset/store';
import { HttpFailure } from './http-failure';
import { type ListQuery, encodeCursor } from './list-query';

export interface ListItem {
  readonly index: number;
  readonly record: JsonObject;
}

export interface ListPage {
  readonly items: readonly ListItem[];
  readonly count: number;
  readonly nextPage?: number;
  readonly previousPage?: number;
  readonly nextCursor?: string;
  readonly previousCursor?: string;
}

type SortValue = string | number | null;

/** Lists a page without materialising the family: default order walks indices; other orders scan once. */
export class ListEngine {
  private readonly countCache = new Map<string, number>();

  constructor(private readonly dataset: Dataset) {}

  list(spec: FamilySpec, query: ListQuery): ListPage {
    return spec.pagination === 'keyset' ? this.keysetPage(spec, query) : this.numberedPage(spec, query);
  }

  /** Position in the default order: page families by index; keyset families created (newest first), then seeded. */
  private rank(spec: FamilySpec, index: number): number {
    const base = this.dataset.baseCount(spec.family);
    return spec.pagination === 'keyset' && index >= base ? -(index - base) - 1 : index;
  }

  private matches(query: ListQuery, record: JsonObject, index: number): boolean {
    return query.predicates.every((predicate) => predicate(record, index));
  }

  private sortValue(query: ListQuery, record: JsonObject): SortValue {
    const path = query.sort?.path ?? 'award_date';
    const value = readPath(record, path);
    return typeof value === 'string' || typeof value === 'number' ? value : null;
  }

  /** Negative when (va, ra) comes first. Nulls sort last; ties go by default-order rank. */
  private compare(query: ListQuery, va: SortValue, ra: number, vb: SortValue, rb: number): number {
    if (query.sort !== undefined && va !== vb) {
      if (va === null) {
        return 1;
      }
      if (vb === null) {
        return -1;
      }
      const order = va < vb ? -1 : 1;
      return query.sort.descending ? -order : order;
    }
    return ra - rb;
  }

  private *source(spec: FamilySpec, query: ListQuery): Generator<number> {
    if (query.candidates === undefined) {
      yield* this.dataset.orderedIndices(spec.family);
      return;
    }
    yield* [...query.candidates].sort((a, b) => this.rank(spec, a) - this.rank(spec, b));
  }

  private countMatches(spec: FamilySpec, query: ListQuery): number {
    if (query.candidates === undefined && query.predicates.length === 0) {
      return this.dataset.liveCount(spec.family);
    }
    const key = `${spec.family}|${this.dataset.version(spec.family)}|${query.filterKey}`;
    const cached = this.countCache.get(key);
    if (cached !== undefined) {
      return cached;
    }
    let count = 0;
    for (const index of this.source(spec, query)) {
      const record = this.dataset.get(spec.family, index);
      if (record !== undefined && this.matches(query, record, index)) {
        count += 1;
      }
    }
    if (this.countCache.size > 256) {
      this.countCache.clear();
    }
    this.countCache.set(key, count);
    return count;
  }

  /** Keeps the first `capacity` items under `compare` (insertion into a short sorted array). */
  private collectSorted(
    spec: FamilySpec,
    query: ListQuery,
    capacity: number,
    accept: (value: SortValue, rank: number) => boolean,
    reverse: boolean,
  ): ListItem[] {
    const kept: { item: ListItem; value: SortValue; rank: number }[] = [];
    const cmp = (va: SortValue, ra: number, vb: SortValue, rb: number): number =>
      reverse ? -this.compare(query, va, ra, vb, rb) : this.compare(query, va, ra, vb, rb);
    for (const index of this.source(spec, query)) {
      const record = this.dataset.get(spec.family, index);
      if (record === undefined || !this.matches(query, record, index)) {
        continue;
      }
      const value = this.sortValue(query, record);
      const rank = this.rank(spec, index);
      if (!accept(value, rank)) {
        continue;
      }
      const last = kept[kept.length - 1];
      if (kept.length >= capacity && last !== undefined && cmp(value, rank, last.value, last.rank) >= 0) {
        continue;
      }
      let position = kept.length;
      while (position > 0) {
        const previous = kept[position - 1];
        if (previous === undefined || cmp(previous.value, previous.rank, value, rank) <= 0) {
          break;
        }
        position -= 1;
      }
      kept.splice(position, 0, { item: { index, record }, value, rank });
      if (kept.length > capacity) {
        kept.pop();
      }
    }
    return kept.map((entry) => entry.item);
  }

  private numberedPage(spec: FamilySpec, query: ListQuery): ListPage {
    const offset = (query.page - 1) * query.limit;
    const count = this.countMatches(spec, query);
    if (query.page > 1 && offset >= count) {
      throw new HttpFailure(404, { detail: 'Invalid page.' });
    }
    let items: ListItem[] = [];
    if (query.sort !== undefined) {
      items = this.collectSorted(spec, query, offset + query.limit, () => true, false).slice(offset);
    } else if (query.candidates === undefined && query.predicates.length === 0) {
      const start = this.dataset.indexAtOffset(spec.family, offset);
      for (const index of this.dataset.orderedIndices(spec.family, start - 1)) {
        const record = this.dataset.get(spec.family, index);
        if (record !== undefined) {
          items.push({ index, record });
        }
        if (items.length >= query.limit) {
          break;
        }
      }
    } else {
      let seen = 0;
      for (const index of this.source(spec, query)) {
        const record = this.dataset.get(spec.family, index);
        if (record === undefined || !this.matches(query, record, index)) {
          continue;
        }
        if (seen >= offset) {
          items.push({ index, record });
          if (items.length >= query.limit) {
            break;
          }
        }
        seen += 1;
      }
    }
    return {
      items,
      count,
      ...(offset + items.length < count ? { nextPage: query.page + 1 } : {}),
      ...(query.page > 1 ? { previousPage: query.page - 1 } : {}),
    };
  }

  private keysetPage(spec: FamilySpec, query: ListQuery): ListPage {
    const cursor = query.cursor;
    const backwards = cursor?.direction === 'prev';
    let window: ListItem[];
    if (query.sort === undefined && query.candidates === undefined) {
      window = [];
      const indices =
        cursor === undefined
          ? this.dataset.orderedIndices(spec.family)
          : backwards
            ? this.dataset.orderedIndicesBefore(spec.family, cursor.index)
            : this.dataset.orderedIndices(spec.family, cursor.index);
      for (const index of indices) {
        const record = this.dataset.get(spec.family, index);
        if (record !== undefined && this.matches(query, record, index)) {
          window.push({ index, record });
          if (window.length > query.limit) {
            break;
          }
        }
      }
    } else {
      const cursorRank = cursor === undefined ? 0 : this.rank(spec, cursor.index);
      const accept = (value: SortValue, rank: number): boolean => {
        if (cursor === undefined) {
          return true;
        }
        const order = this.compare(query, value, rank, cursor.value, cursorRank);
        return backwards ? order < 0 : order > 0;
      };
      window = this.collectSorted(spec, query, query.limit + 1, accept, backwards);
    }
    const hasMore = window.length > query.limit;
    const page = window.slice(0, query.limit);
    const items = backwards ? page.reverse() : page;
    const hasNext = backwards ? items.length > 0 : hasMore;
    const hasPrevious = backwards ? hasMore : cursor !== undefined && items.length > 0;
    const first = items[0];
    const last = items[items.length - 1];
    return {
      items,
      count: this.countMatches(spec, query),
      ...(hasNext && last !== undefined ? { nextCursor: this.token(spec, query, last, 'next') } : {}),
      ...(hasPrevious && first !== undefined
        ? { previousCursor: this.token(spec, query, first, 'prev') }
        : {}),
    };
  }

  private token(spec: FamilySpec, query: ListQuery, item: ListItem, direction: 'next' | 'prev'): string {
    const uuid = awardCursorUuid(this.dataset.ctx, spec.family as AwardFamily, item.index);
    return encodeCursor(this.sortValue(query, item.record), uuid, direction);
  }
}
