import { createHash } from 'node:crypto';

/** Postgres truncates identifiers beyond 63 bytes (NAMEDATALEN - 1); names are kept within it. */
export const MAX_IDENTIFIER_BYTES = 63;

const HASH_CHARS = 8;

/**
 * The column name of a dotted record path: segments joined by `_`, camelCase split into snake_case, anything
 * but `[a-z0-9_]` replaced, runs of `_` collapsed (`physical_address.stateOrProvinceCode` →
 * `physical_address_state_or_province_code`).
 */
export function columnNameOfPath(path: string): string {
  const snake = path
    .split('.')
    .map((segment) => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase())
    .join('_')
    .replace(/[^a-z0-9_]/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '');
  return /^[0-9]/.test(snake) ? `c_${snake}` : snake === '' ? 'c' : snake;
}

/** A short, stable hash of a path, to tell apart names that shortening or snake_casing made equal. */
export function pathHash(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, HASH_CHARS);
}

/** `name` within 63 bytes: longer names keep their first bytes and end in `_<hash of the path>`. */
export function withinIdentifierLimit(name: string, path: string): string {
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) {
    return name;
  }
  const keep = MAX_IDENTIFIER_BYTES - HASH_CHARS - 1;
  return `${name.slice(0, keep).replace(/_+$/, '')}_${pathHash(path)}`;
}

/**
 * Gives every wanted name a unique one, in order: a name already taken (by a reserved name or an earlier path)
 * gets the path's hash appended, shortened to the limit the same way.
 */
export class ColumnNamer {
  private readonly taken: Set<string>;

  constructor(reserved: Iterable<string> = []) {
    this.taken = new Set(reserved);
  }

  /** The unique name for `wanted` (already derived from `path`); reserves it. */
  claim(wanted: string, path: string): string {
    let name = withinIdentifierLimit(wanted, path);
    if (this.taken.has(name)) {
      name = withinIdentifierLimit(`${wanted}_${pathHash(path)}`, `${path}#`);
    }
    if (this.taken.has(name)) {
      throw new Error(`analyst views: no unique column name for ${path} (${name} is taken)`);
    }
    this.taken.add(name);
    return name;
  }
}
