import { type JsonValue } from './json';

/**
 * RFC 6902 JSON Patch, the small part tango-sync needs: `diffJson` writes the operations that turn one JSON value
 * into another (add, remove, replace only), `applyJsonPatch` applies such operations (consumers' side; the tests
 * check that the two agree). Paths are RFC 6901 JSON Pointers relative to the value diffed ("" is the value itself).
 */
export type JsonPatchOperation =
  | { readonly op: 'add'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'replace'; readonly path: string; readonly value: JsonValue };

type JsonObject = Record<string, JsonValue>;

function isJsonObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Structural equality of two JSON values (object key order does not matter). */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => jsonEqual(item, b[index] as JsonValue))
    );
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key] as JsonValue, b[key] as JsonValue))
    );
  }
  return false;
}

/** One reference token of a JSON Pointer (RFC 6901: `~` as `~0`, `/` as `~1`). */
function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function diffObjects(before: JsonObject, after: JsonObject, path: string, ops: JsonPatchOperation[]): void {
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) {
      ops.push({ op: 'remove', path: `${path}/${pointerToken(key)}` });
    }
  }
  for (const [key, value] of Object.entries(after)) {
    const child = `${path}/${pointerToken(key)}`;
    if (!Object.hasOwn(before, key)) {
      ops.push({ op: 'add', path: child, value });
    } else {
      diffInto(before[key] as JsonValue, value, child, ops);
    }
  }
}

/** Arrays element by element: the common length diffed in place, then appends, or removals from the end. */
function diffArrays(before: JsonValue[], after: JsonValue[], path: string, ops: JsonPatchOperation[]): void {
  const common = Math.min(before.length, after.length);
  for (let index = 0; index < common; index += 1) {
    diffInto(before[index] as JsonValue, after[index] as JsonValue, `${path}/${index}`, ops);
  }
  for (let index = common; index < after.length; index += 1) {
    ops.push({ op: 'add', path: `${path}/${index}`, value: after[index] as JsonValue });
  }
  for (let index = before.length - 1; index >= after.length; index -= 1) {
    ops.push({ op: 'remove', path: `${path}/${index}` });
  }
}

function diffInto(before: JsonValue, after: JsonValue, path: string, ops: JsonPatchOperation[]): void {
  if (isJsonObject(before) && isJsonObject(after)) {
    diffObjects(before, after, path, ops);
  } else if (Array.isArray(before) && Array.isArray(after)) {
    diffArrays(before, after, path, ops);
  } else if (!jsonEqual(before, after)) {
    ops.push({ op: 'replace', path, value: after });
  }
}

/** The RFC 6902 operations that turn `before` into `after` (empty when they are equal). */
export function diffJson(before: JsonValue, after: JsonValue): JsonPatchOperation[] {
  const ops: JsonPatchOperation[] = [];
  diffInto(before, after, '', ops);
  return ops;
}

export class JsonPatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonPatchError';
  }
}

function structuredJson(value: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** The container a pointer's last token lives in, and that token. */
function parentOf(document: JsonValue, path: string): { parent: JsonValue; token: string } {
  const tokens = path.split('/').slice(1).map(unescapeToken);
  const token = tokens.at(-1) ?? '';
  let parent = document;
  for (const step of tokens.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(parent)
      ? parent[Number(step)]
      : isJsonObject(parent)
        ? parent[step]
        : undefined;
    if (next === undefined) {
      throw new JsonPatchError(`path ${path} does not exist`);
    }
    parent = next;
  }
  return { parent, token };
}

function arrayIndex(array: JsonValue[], token: string, path: string, forAdd: boolean): number {
  const index = token === '-' && forAdd ? array.length : Number(token);
  const limit = forAdd ? array.length : array.length - 1;
  if (!/^(0|[1-9][0-9]*|-)$/.test(token) || !Number.isInteger(index) || index > limit) {
    throw new JsonPatchError(`bad array index in ${path}`);
  }
  return index;
}

function applyOperation(document: JsonValue, operation: JsonPatchOperation): JsonValue {
  if (operation.path === '') {
    if (operation.op === 'remove') {
      throw new JsonPatchError('cannot remove the whole document');
    }
    return structuredJson(operation.value);
  }
  const { parent, token } = parentOf(document, operation.path);
  if (Array.isArray(parent)) {
    const index = arrayIndex(parent, token, operation.path, operation.op === 'add');
    if (operation.op === 'add') {
      parent.splice(index, 0, structuredJson(operation.value));
    } else if (operation.op === 'remove') {
      parent.splice(index, 1);
    } else {
      parent[index] = structuredJson(operation.value);
    }
    return document;
  }
  if (!isJsonObject(parent)) {
    throw new JsonPatchError(`path ${operation.path} does not name a member of a container`);
  }
  if (operation.op !== 'add' && !Object.hasOwn(parent, token)) {
    throw new JsonPatchError(`path ${operation.path} does not exist`);
  }
  if (operation.op === 'remove') {
    Reflect.deleteProperty(parent, token);
  } else {
    // defineProperty, not assignment: a member named `__proto__` is data, never the prototype.
    Object.defineProperty(parent, token, {
      value: structuredJson(operation.value),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return document;
}

/** `document` with the operations applied in order (the input is not modified); throws JsonPatchError. */
export function applyJsonPatch(document: JsonValue, operations: readonly JsonPatchOperation[]): JsonValue {
  return operations.reduce(applyOperation, structuredJson(document));
}
