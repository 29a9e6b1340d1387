import { type ResourceContract } from '../../src/tango-contract/tango-contract';
import { type ShapeNode } from '../../src/tango-contract/shape-grammar';
import { wholeShapeNodes } from '../../src/tango-contract/whole-shape';
import { createRngFromState, hash32, mix32 } from '../prng';
import { type Deriver, type FillContext, type LeafFiller, deriverOf, leafFiller } from './fill-values';
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
  /** `hash32(path)`: with the record's hash and the list positions on the way, it seeds the path's values. */
  readonly pathHash: number;
  /** A plain field: how it is filled. */
  readonly leaf?: LeafFiller;
  /** How the value follows from the record's own fields, when it does. */
  readonly derive?: Deriver;
  /** A closed expand: its children, in the contract's order. */
  readonly children?: PlanLevel;
  /** An expand with an open field list (`raw_data(*)`): its value is kept as generated. */
  readonly open: boolean;
  /** An expand Tango answers as a list (filled with one or two items). */
  readonly isList: boolean;
}

/** The names of one object of the whole record (top level, or one expand), in the contract's order. */
interface PlanLevel {
  /** The expand's path (`''` at the top level). */
  readonly path: string;
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
      const derive = deriverOf(path);
      const common = {
        name: node.field,
        path,
        pathHash: hash32(path),
        ...(derive === undefined ? {} : { derive }),
      };
      if (node.children === undefined) {
        return { ...common, leaf: leafFiller(node.field, observed), open: false, isList: false };
      }
      const open = node.children.some((child) => child.field === '*');
      return {
        ...common,
        open,
        isList: observed?.isList ?? false,
        ...(open ? {} : { children: planOf(resource, node.children, `${path}.`) }),
      };
    });
  return { path: prefix.replace(/\.$/, ''), nodes, names: new Set(nodes.map((node) => node.name)) };
}

/**
 * Where a filled value draws its randomness from: the hash of the record's identity (seed, family, index), mixed
 * with the path's hash and the list positions on the way to it (the `salt` passed down).
 */
interface Fill extends FillContext {
  readonly recordHash: number;
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
  complete(
    record: JsonObject,
    identity: { seed: number; family: string; index: number; anchorDay: number },
  ): JsonObject {
    const fill: Fill = {
      record,
      anchorDay: identity.anchorDay,
      recordHash: hash32(`${identity.seed}:${identity.family}:${identity.index}:whole`),
    };
    return this.completeObject(this.plan, record, 0, fill);
  }

  private completeObject(
    plan: PlanLevel,
    source: JsonObject | undefined,
    salt: number,
    fill: Fill,
  ): JsonObject {
    if (source !== undefined) {
      for (const name of Object.keys(source)) {
        if (!plan.names.has(name)) {
          throw new NotInContractError(
            `${this.resource.name} record: "${name}" (under ${plan.path || 'the top level'}) is not in Tango's contract (API ${this.resource.apiVersion})`,
          );
        }
      }
    }
    const out: JsonObject = {};
    for (const node of plan.nodes) {
      const value = source?.[node.name];
      if (value === undefined) {
        out[node.name] = this.fillNode(node, salt, fill);
      } else {
        out[node.name] = node.children === undefined ? value : this.completeValue(node, value, salt, fill);
      }
    }
    return out;
  }

  private completeValue(node: PlanNode, value: JsonValue, salt: number, fill: Fill): JsonValue {
    const children = node.children;
    if (children === undefined) {
      return value;
    }
    if (Array.isArray(value)) {
      return value.map((item, position) =>
        isJsonObject(item) ? this.completeObject(children, item, mix32(salt, position + 1), fill) : item,
      );
    }
    return isJsonObject(value) ? this.completeObject(children, value, salt, fill) : value;
  }

  private fillNode(node: PlanNode, salt: number, fill: Fill): JsonValue {
    const derived = node.derive?.(fill);
    if (derived !== undefined) {
      return this.completeValue(node, derived, salt, fill);
    }
    const rng = createRngFromState(mix32(mix32(fill.recordHash, node.pathHash), salt));
    if (node.leaf !== undefined) {
      return node.leaf(rng, fill);
    }
    const children = node.children;
    if (children === undefined) {
      // An open expand (`raw(*)`): nothing known to put in it, but its JSON type as observed (a list or an object).
      return node.isList ? [] : {};
    }
    if (node.isList) {
      return Array.from({ length: rng.int(1, 2) }, (_item, position) =>
        this.completeObject(children, undefined, mix32(salt, position + 1), fill),
      );
    }
    return this.completeObject(children, undefined, salt, fill);
  }
}
