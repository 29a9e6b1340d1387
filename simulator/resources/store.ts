import { type TangoContract, tangoContract } from '../../src/tango-contract/tango-contract';
import { type GenContext } from '../dataset/context';
import { type JsonObject, type JsonValue, cloneJson, freezeJson } from '../dataset/json';
import { RecordMutationError } from '../dataset/store';
import { NotInContractError, WholeRecords } from '../dataset/whole-record';
import {
  RESOURCE_SPECS,
  type Resource,
  type ResourceSizes,
  type ResourceSpec,
  resourceSize,
} from './catalog';
import { baseChangeMs, candidateId, changeValue, handRecord, referenceRows } from './generate';

/** One live record of a resource. */
export interface ResourceEntry {
  /** The id field's value as text (the key of ground truth, lists and the control API). */
  readonly id: string;
  /** Allocation order: seeded records first, created ones after (the default list order). */
  readonly index: number;
  /** The whole record (frozen). */
  readonly record: JsonObject;
  /** Hidden change time (epoch ms): newest-first orderings and since filters read it. */
  readonly changedMs: number;
}

/** A creation or modification through the control API (deletions produce none, as with the families). */
export interface ResourceChange {
  readonly resource: Resource;
  readonly id: string;
  readonly kind: 'new' | 'modified';
  readonly record: JsonObject;
  readonly atMs: number;
}

interface ResourceState {
  readonly spec: ResourceSpec;
  readonly whole: WholeRecords;
  /** Live records by id, in allocation order (a Map keeps insertion order; modifications replace in place). */
  readonly entries: Map<string, ResourceEntry>;
  /** Ids ever used (deleted ones too): a new record never reuses one. */
  readonly taken: Set<string>;
  allocated: number;
  mutations: number;
}

const MAX_ID_ATTEMPTS = 1_000;

function idText(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * The records of the resources beyond the nine families, held whole in memory (they are small), generated on first
 * use of each resource from (seed, resource, index): the hand-written part (`generate.ts`) completed to the whole
 * record of the resource's contract.
 */
export class ResourceStore {
  private readonly states = new Map<Resource, ResourceState>();
  private readonly listeners: ((change: ResourceChange) => void)[] = [];

  constructor(
    readonly ctx: GenContext,
    private readonly sizes: ResourceSizes,
    private readonly now: () => number = Date.now,
    private readonly contract: TangoContract = tangoContract(),
  ) {}

  onChange(listener: (change: ResourceChange) => void): void {
    this.listeners.push(listener);
  }

  spec(name: Resource): ResourceSpec {
    return RESOURCE_SPECS[name];
  }

  /** Live records in allocation order. */
  entries(name: Resource): ResourceEntry[] {
    return [...this.state(name).entries.values()];
  }

  liveCount(name: Resource): number {
    return this.state(name).entries.size;
  }

  /** Changes whenever a record of the resource is created, modified or deleted. */
  version(name: Resource): number {
    return this.state(name).mutations;
  }

  get(name: Resource, id: string): ResourceEntry | undefined {
    return this.state(name).entries.get(id);
  }

  /**
   * Creates a record: the given fields (contract fields and expands only; the id field too, if not taken), the rest
   * generated and completed. Its change time is now.
   */
  create(name: Resource, fields: JsonObject = {}): JsonObject {
    const state = this.state(name);
    const idField = state.spec.identity.idField;
    const index = state.allocated;
    const given = idText(fields[idField]);
    if (given !== undefined && state.taken.has(given)) {
      throw new RecordMutationError(`${name} record ${given} already exists`);
    }
    const id = fields[idField] ?? this.freshId(state, index);
    const atMs = this.changeNow();
    const hand = { ...fields, [idField]: id };
    const entry = this.store(state, index, this.stamp(state, hand, atMs), atMs);
    state.allocated += 1;
    this.emit({ resource: name, id: entry.id, kind: 'new', record: entry.record, atMs });
    return cloneJson(entry.record);
  }

  /** Merges `fields` (top level) into a live record, or only bumps its change time; undefined when absent. */
  modify(name: Resource, id: string, fields?: JsonObject): JsonObject | undefined {
    const state = this.state(name);
    const current = state.entries.get(id);
    if (current === undefined) {
      return undefined;
    }
    const idField = state.spec.identity.idField;
    const newId = fields === undefined ? undefined : fields[idField];
    if (newId !== undefined && idText(newId) !== id) {
      throw new RecordMutationError(`field ${idField} is the record's id and cannot be changed`);
    }
    const atMs = this.changeNow();
    const changed = { ...cloneJson(current.record), ...(fields ?? {}) };
    const entry = this.store(state, current.index, this.stamp(state, changed, atMs), atMs);
    this.emit({ resource: name, id, kind: 'modified', record: entry.record, atMs });
    return cloneJson(entry.record);
  }

  delete(name: Resource, id: string): boolean {
    const state = this.state(name);
    const deleted = state.entries.delete(id);
    if (deleted) {
      state.mutations += 1;
    }
    return deleted;
  }

  private state(name: Resource): ResourceState {
    let state = this.states.get(name);
    if (state === undefined) {
      state = this.seed(name);
      this.states.set(name, state);
    }
    return state;
  }

  /** Generates the seeded records of a resource (reference rows keep their ids; the others get fresh ones). */
  private seed(name: Resource): ResourceState {
    const spec = RESOURCE_SPECS[name];
    const idField = spec.identity.idField;
    const state: ResourceState = {
      spec,
      whole: new WholeRecords(this.contract.resource(spec.identity.collection)),
      entries: new Map(),
      taken: new Set(referenceRows(name).flatMap((row) => idText(row[idField]) ?? [])),
      allocated: 0,
      mutations: 0,
    };
    const size = resourceSize(this.sizes, name);
    for (let index = 0; index < size; index += 1) {
      const reference = referenceRows(name)[index]?.[idField];
      const id =
        typeof reference === 'string' || typeof reference === 'number'
          ? reference
          : this.freshId(state, index);
      const changedMs = baseChangeMs(this.ctx, name, index);
      this.store(state, index, handRecord(this.ctx, spec, index, id, changedMs), changedMs);
      state.allocated += 1;
    }
    state.mutations = 0;
    return state;
  }

  private freshId(state: ResourceState, index: number): string | number {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt += 1) {
      const id = candidateId(this.ctx.seed, state.spec.name, state.spec.idFormat, index, attempt);
      if (!state.taken.has(String(id))) {
        return id;
      }
    }
    throw new RecordMutationError(`no free ${state.spec.identity.idField} left for ${state.spec.name}`);
  }

  /** The change field (when the contract has one) holds the change time. */
  private stamp(state: ResourceState, record: JsonObject, atMs: number): JsonObject {
    const field = state.spec.changeField;
    return field === undefined ? record : { ...record, [field]: changeValue(state.spec, field, atMs) };
  }

  /** Completes, freezes and stores a record; refuses a name outside the contract or a missing id. */
  private store(state: ResourceState, index: number, hand: JsonObject, changedMs: number): ResourceEntry {
    let record: JsonObject;
    try {
      const identity = { seed: this.ctx.seed, family: state.spec.name, index, anchorDay: this.ctx.anchorDay };
      record = freezeJson(state.whole.complete(hand, identity));
    } catch (error) {
      if (error instanceof NotInContractError) {
        throw new RecordMutationError(error.message);
      }
      throw error;
    }
    const id = idText(record[state.spec.identity.idField]);
    if (id === undefined || id === '') {
      throw new RecordMutationError(`${state.spec.identity.idField} must be a non-empty string or number`);
    }
    const entry: ResourceEntry = { id, index, record, changedMs };
    state.entries.set(id, entry);
    state.taken.add(id);
    state.mutations += 1;
    return entry;
  }

  /** Now on the simulator clock, never before the anchor day (seeded change times lie before it). */
  private changeNow(): number {
    return Math.max(this.now(), this.ctx.anchorDay * 86_400_000);
  }

  private emit(change: ResourceChange): void {
    for (const listener of this.listeners) {
      listener(change);
    }
  }
}
