import { type ShapeNode } from '../../src/tango-contract/shape-grammar';
import { type ResourceContract } from '../../src/tango-contract/tango-contract';
import { type JsonObject, type JsonValue, isJsonObject } from '../dataset/json';

// The one shape parser lives in the neutral contract module; the simulator re-uses it.
export {
  ShapeSyntaxError,
  formatShape,
  parseShape,
  type ShapeNode,
} from '../../src/tango-contract/shape-grammar';

/** Keys that name an object best when an expand is asked for as a plain field and Tango answers text. */
const LABEL_KEYS = [
  'display_name',
  'name',
  'legal_business_name',
  'office_name',
  'description',
  'uei',
  'key',
];

/** The text Tango answers for an object whose plain form was observed as a string. */
function label(value: JsonObject): string {
  const city = value.city_name ?? value.city;
  const state = value.state_code ?? value.state;
  if (typeof city === 'string' && typeof state === 'string') {
    return `${city}, ${state}`;
  }
  for (const key of LABEL_KEYS) {
    const candidate = value[key];
    if (typeof candidate === 'string' || typeof candidate === 'number') {
      return String(candidate);
    }
  }
  const parts: string[] = [];
  for (const [key, member] of Object.entries(value)) {
    if (typeof member === 'string' || typeof member === 'number') {
      parts.push(`${key}: ${member}`);
    }
  }
  return parts.join(', ');
}

/**
 * The value of a top-level name asked for without `(children)`. A plain field answers its value. An expand asked
 * for plainly answers its plain form: a code object (`{code, description}`) its bare code, a list of code objects
 * `[{code}]` (as Tango's entities list shows for `business_types`), and an expand whose plain form Tango's live API
 * showed as a string (for example OTA `recipient`) a label; any other expand answers the whole object.
 */
function plainValue(resource: ResourceContract | undefined, field: string, value: JsonValue): JsonValue {
  const expand = resource?.expands.get(field);
  if (resource === undefined || expand === undefined || value === null) {
    return value;
  }
  const observed = resource.observedType(field);
  const isCodeObject =
    observed?.kind === 'code_object' ||
    (expand.fields.size === 2 && expand.fields.has('code') && expand.fields.has('description'));
  if (isCodeObject) {
    if (Array.isArray(value)) {
      return value.map((item) => (isJsonObject(item) ? { code: item.code ?? null } : item));
    }
    if (isJsonObject(value)) {
      return value.code ?? null;
    }
    return value;
  }
  if (observed?.kind !== 'scalar') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => (isJsonObject(item) ? label(item) : item));
  }
  return isJsonObject(value) ? label(value) : value;
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

/**
 * Selects the fields a shape names. `*` alone answers the whole record; `x(*)` answers the expanded object; `x(a,b)`
 * its children; a plain name of an expand answers its plain form when `resource` is given (see `plainValue`).
 */
export function applyShape(
  record: JsonObject,
  nodes: readonly ShapeNode[],
  resource?: ResourceContract,
): JsonObject {
  if (nodes.some((node) => node.field === '*' && node.children === undefined)) {
    return record;
  }
  const out: JsonObject = {};
  for (const node of nodes) {
    const value = record[node.field];
    if (value === undefined) {
      continue;
    }
    out[node.alias] =
      node.children === undefined
        ? plainValue(resource, node.field, value)
        : shapeValue(value, node.children);
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
