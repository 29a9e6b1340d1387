import { formatShape, type ShapeNode } from './shape-grammar';
import { type ContractExpand } from './tango-contract';

/** What a shape can select from: a resource's top level, or one expand (both list fields and expands). */
export interface ShapeSource {
  readonly fields: ReadonlySet<string>;
  readonly expands: ReadonlyMap<string, ContractExpand>;
}

const node = (field: string, children?: readonly ShapeNode[]): ShapeNode =>
  children === undefined ? { field, alias: field } : { field, alias: field, children };

/**
 * The whole record of a resource (or expand) as a shape: every field, and every expand with every one of its fields
 * and nested expands, in the contract's order (plain fields first, then expands). A name that is both a field and an
 * expand (`meta.notice_type`) is asked for expanded, which carries at least what the plain form does. An expand whose
 * field list is open (`raw_data(*)`) is asked for with `*` (and its named nested expands, if any).
 */
export function wholeShapeNodes(source: ShapeSource): ShapeNode[] {
  const nodes: ShapeNode[] = [];
  for (const field of source.fields) {
    if (field !== '*' && !source.expands.has(field)) {
      nodes.push(node(field));
    }
  }
  for (const [name, expand] of source.expands) {
    const nested = wholeShapeNodes(expand);
    nodes.push(
      node(name, expand.fields.has('*') ? [node('*'), ...nested.filter((n) => n.children)] : nested),
    );
  }
  return nodes;
}

/** Every path a shape selects (`recipient`, `recipient.uei`, …), parents before children, `*` left out. */
export function shapePaths(nodes: readonly ShapeNode[], prefix = ''): string[] {
  return nodes.flatMap((item) => {
    if (item.field === '*') {
      return [];
    }
    const path = `${prefix}${item.field}`;
    return [path, ...shapePaths(item.children ?? [], `${path}.`)];
  });
}

/**
 * The shape without the given paths: a path drops its node and everything under it; an expand left without any
 * child is dropped too (Tango refuses `x()`).
 */
export function withoutPaths(
  nodes: readonly ShapeNode[],
  paths: ReadonlySet<string>,
  prefix = '',
): ShapeNode[] {
  const out: ShapeNode[] = [];
  for (const item of nodes) {
    const path = `${prefix}${item.field}`;
    if (paths.has(path)) {
      continue;
    }
    if (item.children === undefined) {
      out.push(item);
      continue;
    }
    const children = withoutPaths(item.children, paths, `${path}.`);
    if (children.length > 0) {
      out.push({ ...item, children });
    }
  }
  return out;
}

/**
 * Only the given paths (and what lies under them), with the parents that lead to them: `recipient.uei` keeps
 * `recipient(uei)`, `recipient` keeps the whole expand.
 */
export function onlyPaths(nodes: readonly ShapeNode[], paths: ReadonlySet<string>, prefix = ''): ShapeNode[] {
  const out: ShapeNode[] = [];
  for (const item of nodes) {
    const path = `${prefix}${item.field}`;
    if (paths.has(path)) {
      out.push(item);
      continue;
    }
    if (item.children === undefined) {
      continue;
    }
    const children = onlyPaths(item.children, paths, `${path}.`);
    if (children.length > 0) {
      out.push({ ...item, children });
    }
  }
  return out;
}

const sameShape = (a: readonly ShapeNode[], b: readonly ShapeNode[]): boolean =>
  formatShape(a) === formatShape(b);

/**
 * The same selection, written shorter for the request line: an expand asked for with every one of its fields, and
 * without nested expands, becomes `name(*)` (Tango's "every field of the expand"). Whole shapes of the large families
 * run to 3 KB of text listed out; beside 100 ids that would pass the 8 KB request lines common front ends accept.
 * Anything narrowed or dropped stays listed.
 */
export function compactShape(nodes: readonly ShapeNode[], source: ShapeSource): ShapeNode[] {
  return nodes.map((item) => {
    const expand = source.expands.get(item.field);
    if (item.children === undefined || expand === undefined || item.alias !== item.field) {
      return item;
    }
    if (expand.expands.size === 0 && sameShape(item.children, wholeShapeNodes(expand))) {
      return { ...item, children: [node('*')] };
    }
    return { ...item, children: compactShape(item.children, expand) };
  });
}
