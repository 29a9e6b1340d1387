import { type ResourceContract } from '../../src/tango-contract/tango-contract';
import { type ShapeNode } from '../../src/tango-contract/shape-grammar';
import { wholeShapeNodes } from '../../src/tango-contract/whole-shape';
import { createRng } from '../prng';
import { type FillContext, type LeafType, derivedValue, leafType, leafValue } from './fill-values';
import { type JsonObject, type JsonValue, isJsonObject } from './json';

/**
 * The whole record of a family, as Tango's contract describes it: every top-level field and expand, every expand
 * object (and every item of an expand list) with exactly its contract children, nested expands likewise. A
 * generator writes the fields it knows by hand; `complete` keeps those values and fills every other path with a
 * value that is a pure function of (seed, family, record index, path) and the record's own fields.
 */

/** One name of the whole shape, with what completion needs to know about it (computed once per family). */
interface PlanNode {
  readonly name: string;
  /** The dotted contract path (`recipient.uei`), list positions left out. */
  readonly path: string;
  /** A plain field: how it is filled. */
  readonly leaf?: LeafType;
  /** A closed expand: its children, in the contract's order. */
  readonly children?: PlanLevel;
  /** An expand with an open field list (`raw_data(*)`): its value is kept as generated. */
  readonly open: boolean;
  /** An expand Tango answers as a list (filled with one or two items). */
  readonly isList: boolean;
}

/** The names of one object of the whole record (top level, or one expand), in the contract's order. */
interface PlanLevel {
  readonly nodes: readonly PlanNode[];
  readonly names: ReadonlySet<string>;
}

/** A record holds a name its family's contract does not have (a generator or control-API bug). */
export class NotInContractError extends Error {
  readonly code = 'SIMULATOR.NOT_IN_CONTRACT';
}

function planOf(resource: ResourceContract, shape: readonly ShapeNode[], prefix: string): PlanLevel {
  const nodes = shape
    .filter((node) => node.field !== '*')
    .map((node): PlanNode => {
      const path = `${prefix}${node.field}`;
      const observed = resource.observedType(path);
      if (node.children === undefined) {
        return { name: node.field, path, leaf: leafType(node.field, observed), open: false, isList: false };
      }
      const open = node.children.some((child) => child.field === '*');
      return {
        name: node.field,
        path,
        open,
        isList: observed?.isList ?? false,
        ...(open ? {} : { children: planOf(resource, node.children, `${path}.`) }),
      };
    });
  return { nodes, names: new Set(nodes.map((node) => node.name)) };
}

/** Where a filled value draws its randomness from: the record's identity plus the path (list positions included). */
interface Fill extends FillContext {
  readonly keyBase: string;
}

/** Completes the records of one resource (its fill plan is walked from the contract once, at construction). */
export class WholeRecords {
  private readonly plan: PlanLevel;

  constructor(readonly resource: ResourceContract) {
    this.plan = planOf(resource, wholeShapeNodes(resource), '');
  }

  /**
   * The whole record: the given record's values where it has them, in the contract's key order, every missing path
   * filled. Builds new objects (the input is never modified, nor shared with the output except for scalar values
   * and open expands). Throws NotInContractError for a name the contract does not have.
   */
  complete(record: JsonObject, identity: { seed: number; family: string; index: number; anchorDay: number }): JsonObject {
    const fill: Fill = {
      record,
      anchorDay: identity.anchorDay,
      keyBase: `${identity.seed}:${identity.family}:${identity.index}:whole:`,
    };
    return this.completeObject(this.plan, record, '', fill);
  }

  private completeObject(
    plan: PlanLevel,
    source: JsonObject | undefined,
    key: string,
    fill: Fill,
  ): JsonObject {
    if (source !== undefined) {
      for (const name of Object.keys(source)) {
        if (!plan.names.has(name)) {
          throw new NotInContractError(
            `${this.resource.name} record: "${key}${name}" is not in Tango's contract (API ${this.resource.apiVersion})`,
          );
        }
      }
    }
    const out: JsonObject = {};
    for (const node of plan.nodes) {
      const value = source?.[node.name];
      const nodeKey = `${key}${node.name}`;
      out[node.name] =
        value === undefined ? this.fillNode(node, nodeKey, fill) : this.completeValue(node, value, nodeKey, fill);
    }
    return out;
  }

  private completeValue(node: PlanNode, value: JsonValue, key: string, fill: Fill): JsonValue {
    const children = node.children;
    if (children === undefined) {
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((item, position) =>
        isJsonObject(item) ? this.completeObject(children, item, `${key}[${position}].`, fill) : item,
      );
    }
    return isJsonObject(value) ? this.completeObject(children, value, `${key}.`, fill) : value;
  }

  private fillNode(node: PlanNode, key: string, fill: Fill): JsonValue {
    const derived = derivedValue(node.path, fill);
    if (derived !== undefined) {
      return this.completeValue(node, derived, key, fill);
    }
    const rng = createRng(`${fill.keyBase}${key}`);
    if (node.leaf !== undefined) {
      return leafValue(node.name, node.leaf, rng, fill);
    }
    const children = node.children;
    if (children === undefined) {
      return {};
    }
    if (node.isList) {
      return Array.from({ length: rng.int(1, 2) }, (_item, position) =>
        this.completeObject(children, undefined, `${key}[${position}].`, fill),
      );
    }
    return this.completeObject(children, undefined, `${key}.`, fill);
  }
}
