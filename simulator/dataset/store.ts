import { type DatasetSizes, FAMILIES, type Family } from '../options';
import { recordRng } from '../prng';
import { type Creation, type GenContext, createGenContext } from './context';
import { fromEpochDay, isoWithOffset } from './dates';
import { SimContract } from '../contract/sim-contract';
import { FAMILY_SPECS, type FamilySpec, recordId } from './families';
import { fullRecordFields } from './full-shapes';
import { type JsonObject, cloneJson, freezeJson, isJsonObject } from './json';
import { LruCache } from './lru';
import { applyDefaultChange } from './modifications';
import { generateNotice } from './opportunities';
import { NotInContractError, WholeRecords } from './whole-record';

export type LegacyChange =
  | 'new_award'
  | 'new_transaction'
  | 'new_opportunity'
  | 'new_notice'
  | 'new_entity'
  | 'new_grant'
  | 'new_forecast'
  | 'updated';

/** One creation or modification; deletions produce none (Tango sends no deletion events). */
export interface RecordChange {
  readonly family: Family;
  readonly id: string;
  readonly kind: 'new' | 'modified';
  readonly legacyChange: LegacyChange;
  readonly record: JsonObject;
  readonly atMs: number;
  readonly transactionIds?: readonly string[];
  readonly noticeId?: string;
}

export class RecordMutationError extends Error {
  readonly code = 'SIMULATOR.INVALID_MUTATION';
}

const AWARD_FAMILIES: ReadonlySet<Family> = new Set(['contracts', 'idvs', 'otas', 'otidvs']);
const NEW_CHANGE: Record<Family, LegacyChange> = {
  contracts: 'new_award',
  idvs: 'new_award',
  otas: 'new_award',
  otidvs: 'new_award',
  opportunities: 'new_opportunity',
  notices: 'new_notice',
  entities: 'new_entity',
  grants: 'new_grant',
  forecasts: 'new_forecast',
};
const IMMUTABLE_FIELDS = new Set([
  'key',
  'piid',
  'award_date',
  'opportunity_id',
  'notice_id',
  'uei',
  'grant_id',
  'id',
]);

/** Whole base records kept per family (completing one costs tens of microseconds; pages re-read the same ones). */
const BASE_CACHE_RECORDS = 5_000;

interface FamilyState {
  readonly spec: FamilySpec;
  /** Completes generated records to the whole record of the family's contract. */
  readonly whole: WholeRecords;
  /** Whole base records by index (frozen; a base record is a pure function of seed and index). */
  readonly baseCache: LruCache<number, JsonObject>;
  readonly base: number;
  created: number;
  readonly overlay: Map<number, JsonObject>;
  readonly deleted: Set<number>;
  deletedSorted: number[];
  readonly modifiedAt: Map<number, number>;
  mutations: number;
}

/**
 * The lazy dataset: record `i` of a family is `generate(seed, family, i)` unless the overlay holds a
 * created or modified version, and deleted indices are skipped. Memory grows with mutations, never with size.
 */
export class Dataset {
  readonly ctx: GenContext;
  private readonly states: Record<Family, FamilyState>;
  private readonly listeners: ((change: RecordChange) => void)[] = [];

  constructor(
    seed: number,
    sizes: DatasetSizes,
    anchorDate: string,
    private readonly now: () => number = Date.now,
    /** The contract records are served through (run-time field removals apply to every served record). */
    readonly contract: SimContract = new SimContract(),
  ) {
    this.ctx = createGenContext(seed, sizes, anchorDate);
    const entries = FAMILIES.map((family): [Family, FamilyState] => [
      family,
      {
        spec: FAMILY_SPECS[family],
        whole: new WholeRecords(contract.resource(family)),
        baseCache: new LruCache<number, JsonObject>(BASE_CACHE_RECORDS),
        base: sizes[family],
        created: 0,
        overlay: new Map(),
        deleted: new Set(),
        deletedSorted: [],
        modifiedAt: new Map(),
        mutations: 0,
      },
    ]);
    this.states = Object.fromEntries(entries) as Record<Family, FamilyState>;
  }

  onChange(listener: (change: RecordChange) => void): void {
    this.listeners.push(listener);
  }

  spec(family: Family): FamilySpec {
    return this.states[family].spec;
  }

  baseCount(family: Family): number {
    return this.states[family].base;
  }

  /** Indices ever allocated (base + created), deleted ones included. */
  allocated(family: Family): number {
    const state = this.states[family];
    return state.base + state.created;
  }

  liveCount(family: Family): number {
    return this.allocated(family) - this.states[family].deleted.size;
  }

  /** Changes whenever a record of the family is created, modified or deleted. */
  version(family: Family): number {
    return this.states[family].mutations;
  }

  isDeleted(family: Family, index: number): boolean {
    return this.states[family].deleted.has(index);
  }

  /**
   * Record `index` as the whole record of its family's contract, or undefined if it was deleted or never existed.
   * The record is frozen and shared (cached base records, stored overlay records): clone it (`cloneJson`) before
   * changing it.
   */
  get(family: Family, index: number): JsonObject | undefined {
    const state = this.states[family];
    if (index < 0 || index >= state.base + state.created || state.deleted.has(index)) {
      return undefined;
    }
    return state.overlay.get(index) ?? this.baseRecord(family, state, index);
  }

  private baseRecord(family: Family, state: FamilyState, index: number): JsonObject {
    let record = state.baseCache.get(index);
    if (record === undefined) {
      record = this.whole(family, index, state.spec.generate(this.ctx, index));
      state.baseCache.set(index, record);
    }
    return record;
  }

  /**
   * The whole, frozen record of `index` from what a generator, a modification or the control API made: every
   * path of the contract the record lacks is filled from (seed, family, index, path). A name outside the contract
   * is refused (RecordMutationError).
   */
  private whole(family: Family, index: number, record: JsonObject): JsonObject {
    try {
      const identity = { seed: this.ctx.seed, family, index, anchorDay: this.ctx.anchorDay };
      return freezeJson(this.states[family].whole.complete(record, identity));
    } catch (error) {
      if (error instanceof NotInContractError) {
        throw new RecordMutationError(error.message);
      }
      throw error;
    }
  }

  /**
   * Record `index` as Tango serves it: the full detail record without the fields removed from the family's
   * contract at run time. Ground truth, details, lists and the control API all serve this.
   */
  served(family: Family, index: number): JsonObject | undefined {
    const record = this.get(family, index);
    return record === undefined ? undefined : this.contract.project(family, record);
  }

  /** A stored record as served (see `served`). */
  project(family: Family, record: JsonObject): JsonObject {
    return this.contract.project(family, record);
  }

  /** Last creation/modification time of a record (base records: undefined). */
  modifiedAt(family: Family, index: number): number | undefined {
    return this.states[family].modifiedAt.get(index);
  }

  /** The index of the live record with this id (entity UEIs compare case-insensitively). */
  resolve(family: Family, id: string): number | undefined {
    const state = this.states[family];
    const index = state.spec.decodeIndex(this.ctx, id);
    if (index === undefined) {
      return undefined;
    }
    const record = this.get(family, index);
    if (record === undefined) {
      return undefined;
    }
    const actual = recordId(state.spec, record);
    const matches = family === 'entities' ? actual.toUpperCase() === id.toUpperCase() : actual === id;
    return matches ? index : undefined;
  }

  /** Index of the `offset`-th live record in index order (page-number families). */
  indexAtOffset(family: Family, offset: number): number {
    const sorted = this.states[family].deletedSorted;
    let index = offset;
    for (const deleted of sorted) {
      if (deleted <= index) {
        index += 1;
      } else {
        break;
      }
    }
    return index;
  }

  /** Live indices in default list order: page families by index; keyset families newest first. */
  *orderedIndices(family: Family, after?: number): Generator<number> {
    const state = this.states[family];
    const total = state.base + state.created;
    if (state.spec.pagination === 'page') {
      for (let i = after === undefined ? 0 : after + 1; i < total; i += 1) {
        if (!state.deleted.has(i)) {
          yield i;
        }
      }
      return;
    }
    let createdStart = total - 1;
    let baseStart = 0;
    if (after !== undefined) {
      createdStart = after >= state.base ? after - 1 : state.base - 1;
      baseStart = after >= state.base ? 0 : after + 1;
    }
    for (let i = createdStart; i >= state.base; i -= 1) {
      if (!state.deleted.has(i)) {
        yield i;
      }
    }
    for (let i = baseStart; i < state.base; i += 1) {
      if (!state.deleted.has(i)) {
        yield i;
      }
    }
  }

  /** Live indices before `before` in default order, nearest first (for `previous_cursor`). */
  *orderedIndicesBefore(family: Family, before: number): Generator<number> {
    const state = this.states[family];
    const total = state.base + state.created;
    if (before < state.base) {
      for (let i = before - 1; i >= 0; i -= 1) {
        if (!state.deleted.has(i)) {
          yield i;
        }
      }
    }
    for (let i = before < state.base ? state.base : before + 1; i < total; i += 1) {
      if (!state.deleted.has(i)) {
        yield i;
      }
    }
  }

  create(family: Family, fields: JsonObject = {}): JsonObject {
    const state = this.states[family];
    assertMutableFields(family, fields);
    const index = state.base + state.created;
    const atMs = this.now();
    const creation: Creation = { atMs, day: this.creationDay(atMs) };
    let parentIndex: number | undefined;
    if (family === 'notices') {
      const parentId = fields.opportunity_id;
      parentIndex = typeof parentId === 'string' ? this.resolve('opportunities', parentId) : undefined;
      if (typeof parentId === 'string' && parentIndex === undefined) {
        throw new RecordMutationError(`opportunity ${parentId} does not exist`);
      }
      parentIndex ??= this.firstLive('opportunities');
    }
    const generated =
      family === 'notices'
        ? generateNotice(this.ctx, index, creation, parentIndex)
        : state.spec.generate(this.ctx, index, creation);
    const { opportunity_id: _ignored, ...rest } = fields;
    const record = this.whole(family, index, { ...generated, ...(family === 'notices' ? rest : fields) });
    state.created += 1;
    state.overlay.set(index, record);
    state.modifiedAt.set(index, atMs);
    state.mutations += 1;
    const id = recordId(state.spec, record);
    this.emit({ family, id, kind: 'new', legacyChange: NEW_CHANGE[family], record, atMs });
    if (family === 'notices' && parentIndex !== undefined) {
      this.touchOpportunity(parentIndex, record, atMs, true);
    }
    return cloneJson(this.project(family, record));
  }

  /** Modifies a live record: `fields` are merged shallowly, or a family-specific realistic change is made. */
  modify(family: Family, id: string, fields?: JsonObject): JsonObject | undefined {
    const state = this.states[family];
    const index = this.resolve(family, id);
    const current = index === undefined ? undefined : this.get(family, index);
    if (index === undefined || current === undefined) {
      return undefined;
    }
    if (fields !== undefined) {
      assertMutableFields(family, fields);
    }
    const atMs = this.now();
    const changed = cloneJson(current);
    const rng = recordRng(this.ctx.seed, `${family}:mod:${state.mutations}`, index);
    const transactionIds =
      fields === undefined ? applyDefaultChange(family, changed, rng, this.creationDay(atMs), atMs) : [];
    Object.assign(changed, fields ?? {});
    const record = this.whole(family, index, changed);
    state.overlay.set(index, record);
    state.modifiedAt.set(index, atMs);
    state.mutations += 1;
    const isTransaction = AWARD_FAMILIES.has(family);
    this.emit({
      family,
      id: recordId(state.spec, record),
      kind: 'modified',
      legacyChange: isTransaction ? 'new_transaction' : 'updated',
      record,
      atMs,
      ...(isTransaction ? { transactionIds } : {}),
    });
    if (family === 'notices') {
      const parentId = record.opportunity_id;
      const parentIndex = typeof parentId === 'string' ? this.resolve('opportunities', parentId) : undefined;
      if (parentIndex !== undefined) {
        this.touchOpportunity(parentIndex, record, atMs, false);
      }
    }
    return cloneJson(this.project(family, record));
  }

  delete(family: Family, id: string): boolean {
    const state = this.states[family];
    const index = this.resolve(family, id);
    if (index === undefined) {
      return false;
    }
    state.deleted.add(index);
    state.overlay.delete(index);
    state.modifiedAt.delete(index);
    const position = state.deletedSorted.findIndex((value) => value > index);
    state.deletedSorted.splice(position < 0 ? state.deletedSorted.length : position, 0, index);
    state.mutations += 1;
    return true;
  }

  /** A live id of the family chosen by `pick` in [0, 1) (used by the trickle). */
  randomLiveId(family: Family, pick: number): string | undefined {
    const live = this.liveCount(family);
    if (live === 0) {
      return undefined;
    }
    const index = this.indexAtOffset(family, Math.floor(pick * live));
    const record = this.get(family, index);
    return record === undefined ? undefined : recordId(this.states[family].spec, record);
  }

  private firstLive(family: Family): number | undefined {
    for (const index of this.orderedIndices(family)) {
      return index;
    }
    return undefined;
  }

  /** Awards must sort before every seeded record: created award_date is never older than the anchor. */
  private creationDay(atMs: number): string {
    const today = fromEpochDay(Math.floor(atMs / 86_400_000));
    return today > this.ctx.anchorDate ? today : this.ctx.anchorDate;
  }

  private touchOpportunity(index: number, notice: JsonObject, atMs: number, isNewNotice: boolean): void {
    const state = this.states.opportunities;
    const current = this.get('opportunities', index);
    if (current === undefined) {
      return;
    }
    const changed = cloneJson(current);
    changed.last_notice_date = isoWithOffset(atMs);
    if (isNewNotice) {
      addLatestNotice(changed, notice, atMs);
    }
    const record = this.whole('opportunities', index, changed);
    state.overlay.set(index, record);
    state.modifiedAt.set(index, atMs);
    state.mutations += 1;
    const noticeId = typeof notice.notice_id === 'string' ? notice.notice_id : undefined;
    this.emit({
      family: 'opportunities',
      id: recordId(state.spec, record),
      kind: 'modified',
      legacyChange: isNewNotice ? 'new_notice' : 'updated',
      record,
      atMs,
      ...(noticeId === undefined ? {} : { noticeId }),
    });
  }

  private emit(change: RecordChange): void {
    for (const listener of this.listeners) {
      listener(change);
    }
  }
}

/** Fields set through the control API: only the family's record fields (all in Tango's contract), no identity. */
function assertMutableFields(family: Family, fields: JsonObject): void {
  const known = fullRecordFields(family);
  for (const field of Object.keys(fields)) {
    if (IMMUTABLE_FIELDS.has(field) && field !== 'opportunity_id') {
      throw new RecordMutationError(`field ${field} is derived from the record index and cannot be set`);
    }
    if (!known.has(field)) {
      throw new RecordMutationError(
        `field ${field} is not a field of ${family} records (they hold exactly: ${[...known].join(', ')})`,
      );
    }
  }
}

/** An opportunity's fields after a new notice of it was posted (it becomes the latest in its history). */
function addLatestNotice(opportunity: JsonObject, notice: JsonObject, atMs: number): void {
  const noticeId = notice.notice_id ?? null;
  opportunity.latest_notice_id = noticeId;
  if (isJsonObject(opportunity.latest_notice)) {
    opportunity.latest_notice.notice_id = noticeId;
  }
  const history = Array.isArray(opportunity.notice_history) ? opportunity.notice_history : [];
  const previous = history.map((entry) => (isJsonObject(entry) ? { ...entry, latest: false } : entry));
  opportunity.notice_history = [
    ...previous,
    {
      notice_id: noticeId,
      posted_date: isoWithOffset(atMs),
      index: previous.length,
      latest: true,
      deleted: false,
    },
  ];
  const meta = opportunity.meta;
  if (isJsonObject(meta) && typeof meta.notices_count === 'number') {
    meta.notices_count += 1;
  }
}
