/** JSON values as the simulator stores and serves them. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep copy of a JSON value (records in the overlay never share structure with callers). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

/** Reads a dotted path (`important_dates.posted_date`) from a record. */
export function readPath(record: JsonObject, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = record;
  for (const part of path.split('.')) {
    if (!isJsonObject(current)) {
      return undefined;
    }
    current = current[part];
  }
  return current;
}

/** Text of a scalar JSON value (`''` for objects, arrays, null and undefined). */
export function scalarText(value: JsonValue | undefined): string {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : '';
}

/**
 * Freezes a JSON value deeply and returns it: records the dataset hands out are shared (cached base records,
 * stored overlay records), so a caller that wants to change one must `cloneJson` it first; modifying a frozen
 * record throws (modules run in strict mode) instead of silently changing what every later reader sees.
 */
export function freezeJson<T extends JsonValue>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) {
      freezeJson(member);
    }
    Object.freeze(value);
  }
  return value;
}
