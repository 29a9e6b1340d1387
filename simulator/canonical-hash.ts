import { createHash } from 'node:crypto';

/**
 * Canonical JSON and the content hash used by the simulator's ground truth (`GET /_sim/state`).
 *
 * Algorithm (the worker re-implements it independently, so keep this comment exact):
 *  1. Canonical JSON of a value:
 *     - objects: keys sorted by UTF-16 code unit order (JavaScript's default `Array.prototype.sort`),
 *       members whose value is `undefined` dropped, written as `{"k":v,...}` with no whitespace;
 *     - arrays: elements in order, `[a,b]`, no whitespace;
 *     - strings: `JSON.stringify(string)`; numbers: `JSON.stringify(number)` (so `7500000.0` is `7500000`,
 *       non-finite numbers become `null`); booleans and `null` as JSON literals.
 *  2. Content hash = lowercase hex SHA-256 of the UTF-8 bytes of the canonical JSON of the full detail
 *     record, i.e. the body of `GET /api/<family>/<id>/` without `shape`.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i += 1) {
          out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
        }
        return `${out}]`;
      }
      const object = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, as documented above.
      const keys = Object.keys(object).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = object[key];
        if (member === undefined) {
          continue;
        }
        out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(member)}`;
        first = false;
      }
      return `${out}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return 'null';
  }
  return 'null';
}

/** Lowercase hex SHA-256 of the canonical JSON of `record`. */
export function contentHash(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record), 'utf8').digest('hex');
}
