import { type JsonRecord, type JsonValue, type MirrorFamily, type TypedColumn } from './mirror-families';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

function atPath(record: JsonRecord, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = record;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) {
      return undefined;
    }
    current = current[part];
  }
  return current;
}

/** The value as the column's SQL type expects it (as text), or null when absent or not of that type. */
function coerce(column: TypedColumn, value: JsonValue | undefined): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  switch (column.type) {
    case 'text':
      return typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : null;
    case 'date': {
      if (typeof value !== 'string') {
        return null;
      }
      const match = ISO_DATE.exec(value);
      if (!match) {
        return null;
      }
      const day = `${match[1] ?? ''}-${match[2] ?? ''}-${match[3] ?? ''}`;
      return Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ? null : day;
    }
    case 'timestamptz': {
      if (typeof value !== 'string') {
        return null;
      }
      const millis = Date.parse(value);
      return Number.isNaN(millis) ? null : new Date(millis).toISOString();
    }
    case 'numeric': {
      const number =
        typeof value === 'number'
          ? value
          : typeof value === 'string' && value.trim() !== ''
            ? Number(value)
            : Number.NaN;
      return Number.isFinite(number) ? String(number) : null;
    }
    case 'integer':
    case 'bigint': {
      const number =
        typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
      const limit = column.type === 'integer' ? 2_147_483_647 : Number.MAX_SAFE_INTEGER;
      return Number.isInteger(number) && Math.abs(number) <= limit ? String(number) : null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? String(value) : null;
  }
}

/** Typed column values for one record, in the family's column order. */
export function typedColumnValues(family: MirrorFamily, record: JsonRecord): (string | null)[] {
  return family.columns.map((column) => {
    for (const path of column.paths) {
      const value = coerce(column, atPath(record, path));
      if (value !== null) {
        return value;
      }
    }
    return null;
  });
}

export function sourceModifiedAt(family: MirrorFamily, record: JsonRecord): string | null {
  if (family.sourceModifiedPath === undefined) {
    return null;
  }
  const value = atPath(record, family.sourceModifiedPath);
  if (typeof value !== 'string') {
    return null;
  }
  const millis = Date.parse(value);
  return Number.isNaN(millis) ? null : new Date(millis).toISOString();
}

/** The record's id as text, in the form the mirror keys it by. */
export function recordIdOf(family: MirrorFamily, record: JsonRecord): string | null {
  const value = record[family.idField];
  if (typeof value === 'number' && Number.isInteger(value)) {
    return String(value);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return null;
  }
  if (family.idType === 'uuid') {
    return value.toLowerCase();
  }
  if (family.idType === 'bigint') {
    // "00123" and 123 are the same record: key it the way Postgres prints the bigint.
    return /^\d{1,18}$/.test(value.trim()) ? String(BigInt(value.trim())) : null;
  }
  return family.family === 'entities' ? value.toUpperCase() : value;
}
