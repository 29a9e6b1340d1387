import { type ShapeNode } from '../../src/tango-contract/shape-grammar';
import {
  type ResourceContract,
  type ShapeIssue,
  type TangoContract,
  tangoContract,
} from '../../src/tango-contract/tango-contract';
import { type JsonObject } from '../dataset/json';
import { FAMILIES, type Family } from '../options';

/** A control call named a field the family's contract does not have (answered 404 over HTTP). */
export class ContractControlError extends Error {
  readonly code = 'SIMULATOR.CONTRACT_CONTROL';
}

/**
 * The contract the simulator obeys: Tango's vendored contract (`src/tango-contract/`), minus the top-level fields
 * and expands a test removed at run time (to simulate Tango dropping a field). Shapes are validated against it,
 * `available_fields` lists it, and every served record is projected through it.
 */
export class SimContract {
  private readonly removed: Record<Family, Set<string>>;
  private revisionCount = 0;

  constructor(private readonly contract: TangoContract = tangoContract()) {
    this.removed = Object.fromEntries(FAMILIES.map((family) => [family, new Set<string>()])) as Record<
      Family,
      Set<string>
    >;
  }

  get apiVersion(): string {
    return this.contract.apiVersion;
  }

  /** Changes whenever a field is removed or restored. */
  get revision(): number {
    return this.revisionCount;
  }

  /** Tango's contract for the family (the vendored one, without run-time removals). */
  resource(family: Family): ResourceContract {
    return this.contract.resource(family);
  }

  /** Whether the family's contract has this top-level name as a field or an expand. */
  has(family: Family, field: string): boolean {
    const resource = this.resource(family);
    return (resource.fields.has(field) || resource.expands.has(field)) && !this.removed[family].has(field);
  }

  isRemoved(family: Family, field: string): boolean {
    return this.removed[family].has(field);
  }

  /** Removes a top-level field or expand from the family's effective contract. */
  remove(family: Family, field: string): void {
    const resource = this.resource(family);
    if (!resource.fields.has(field) && !resource.expands.has(field)) {
      throw new ContractControlError(
        `Tango's contract for ${family} has no top-level field or expand "${field}"`,
      );
    }
    if (!this.removed[family].has(field)) {
      this.removed[family].add(field);
      this.revisionCount += 1;
    }
  }

  /** Puts a removed field back; false when it was not removed. */
  restore(family: Family, field: string): boolean {
    const had = this.removed[family].delete(field);
    if (had) {
      this.revisionCount += 1;
    }
    return had;
  }

  restoreAll(): void {
    for (const family of FAMILIES) {
      this.removed[family].clear();
    }
    this.revisionCount += 1;
  }

  /** `{family: [removed fields]}` for the families with removals. */
  removals(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const family of FAMILIES) {
      if (this.removed[family].size > 0) {
        out[family] = [...this.removed[family]].sort();
      }
    }
    return out;
  }

  /** Tango's issues for a shape, plus `unknown_field` for every top-level name removed at run time. */
  validateShape(family: Family, nodes: readonly ShapeNode[]): ShapeIssue[] {
    const resource = this.resource(family);
    const removed = this.removed[family];
    if (removed.size === 0) {
      return resource.validateShape(nodes);
    }
    const issues: ShapeIssue[] = [];
    for (const node of nodes) {
      if (removed.has(node.field)) {
        issues.push({ path: node.field, reason: 'unknown_field' });
      } else {
        issues.push(...resource.validateShape([node]));
      }
    }
    return issues;
  }

  /** `available_fields` of Tango's 400 answer, without removed fields. */
  availableFields(family: Family): Record<string, string[] | null> {
    const all = this.resource(family).availableFields();
    for (const field of this.removed[family]) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- a plain record keyed by field name
      delete all[field];
    }
    return all;
  }

  /** The record as served: without the top-level fields removed from the family's contract. */
  project(family: Family, record: JsonObject): JsonObject {
    const removed = this.removed[family];
    if (removed.size === 0) {
      return record;
    }
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(record)) {
      if (!removed.has(key)) {
        out[key] = value;
      }
    }
    return out;
  }
}
