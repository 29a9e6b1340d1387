import { type JsonObject, type JsonValue, isJsonObject } from '../dataset/json';

/** One node of a `shape` expression: `field[::alias][(children)]`; `*` selects every child. */
export interface ShapeNode {
  readonly field: string;
  readonly alias: string;
  readonly children?: readonly ShapeNode[];
}

export interface ShapeIssue {
  readonly path: string;
  readonly reason: 'unknown_field' | 'syntax_error';
}

export class ShapeSyntaxError extends Error {
  readonly code = 'SIMULATOR.SHAPE_SYNTAX';
}

/** Parses `a,b::alias,c(d,e(*))`. Throws ShapeSyntaxError on unbalanced parentheses or empty names. */
export function parseShape(text: string): ShapeNode[] {
  let position = 0;
  const parseList = (closing: boolean): ShapeNode[] => {
    const nodes: ShapeNode[] = [];
    for (;;) {
      const start = position;
      while (position < text.length && !',()'.includes(text.charAt(position))) {
        position += 1;
      }
      const token = text.slice(start, position).trim();
      const [field = '', alias] = token.split('::');
      if (field === '') {
        throw new ShapeSyntaxError(`empty field name at ${start}`);
      }
      let children: ShapeNode[] | undefined;
      if (text.charAt(position) === '(') {
        position += 1;
        children = parseList(true);
      }
      nodes.push({ field, alias: alias ?? field, ...(children === undefined ? {} : { children }) });
      const next = text.charAt(position);
      if (next === ',') {
        position += 1;
        continue;
      }
      if (next === ')') {
        if (!closing) {
          throw new ShapeSyntaxError(`unexpected ) at ${position}`);
        }
        position += 1;
        return nodes;
      }
      if (closing) {
        throw new ShapeSyntaxError('missing )');
      }
      return nodes;
    }
  };
  const nodes = parseList(false);
  if (position < text.length) {
    throw new ShapeSyntaxError(`unexpected input at ${position}`);
  }
  return nodes;
}

/** Field names available for shaping, derived from a full detail record: `{field: childNames | null}`. */
export function availableFields(sample: JsonObject): Record<string, string[] | null> {
  const out: Record<string, string[] | null> = {};
  for (const [field, value] of Object.entries(sample)) {
    const element = Array.isArray(value) ? value[0] : value;
    out[field] = isJsonObject(element) ? Object.keys(element) : null;
  }
  return out;
}

/** Unknown fields in `nodes` (top level and children whose parent is an object in `sample`). */
export function validateShape(nodes: readonly ShapeNode[], sample: JsonObject, prefix = ''): ShapeIssue[] {
  const issues: ShapeIssue[] = [];
  for (const node of nodes) {
    if (node.field === '*') {
      continue;
    }
    const path = `${prefix}${node.field}`;
    if (!(node.field in sample)) {
      issues.push({ path, reason: 'unknown_field' });
      continue;
    }
    const value = sample[node.field];
    const element = Array.isArray(value) ? value[0] : value;
    if (node.children !== undefined && isJsonObject(element)) {
      issues.push(...validateShape(node.children, element, `${path}.`));
    }
  }
  return issues;
}

function shapeValue(value: JsonValue, children: readonly ShapeNode[]): JsonValue {
  if (Array.isArray(value)) {
    return value.map((item) => shapeValue(item, children));
  }
  if (!isJsonObject(value)) {
    return value;
  }
  if (children.some((child) => child.field === '*')) {
    return value;
  }
  return applyShape(value, children);
}

export function applyShape(record: JsonObject, nodes: readonly ShapeNode[]): JsonObject {
  if (nodes.some((node) => node.field === '*' && node.children === undefined)) {
    return record;
  }
  const out: JsonObject = {};
  for (const node of nodes) {
    const value = record[node.field];
    if (value === undefined) {
      continue;
    }
    out[node.alias] = node.children === undefined ? value : shapeValue(value, node.children);
  }
  return out;
}

/** `flat=true`: nested objects become `parent<joiner>child` keys (arrays stay as they are). */
export function flatten(record: JsonObject, joiner: string, prefix = '', out: JsonObject = {}): JsonObject {
  for (const [key, value] of Object.entries(record)) {
    if (isJsonObject(value)) {
      flatten(value, joiner, `${prefix}${key}${joiner}`, out);
    } else {
      out[`${prefix}${key}`] = value;
    }
  }
  return out;
}
