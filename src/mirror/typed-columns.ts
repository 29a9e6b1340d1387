import { type JsonRecord, type JsonValue } from '../common/json';
import { type FamilyDescriptor, type TypedColumn } from '../common/tango/families';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/** The value at a dotted path of a record (undefined when a step is missing or not an object). */
export function atPath(record: JsonRecord, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = record;
  for (const part of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object' || Array.isArray(current)) {
      return undefined;
    }
    current = current[part];
  }
  return current;
}

/** A code column's value: the `code` of an expanded code object, or the bare code of a plain field. */
function codeOf(value: JsonValue | undefined): JsonValue | undefined {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return value.code;
  }
  return value;
}

/** The value as the column's SQL type expects it (as text), or null when absent or not of that type. */
export function coerceColumnValue(column: TypedColumn, raw: JsonValue | undefined): string | null {
  const value = column.code === true ? codeOf(raw) : raw;
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
export function typedColumnValues(family: FamilyDescriptor, record: JsonRecord): (string | null)[] {
  return family.columns.map((column) => coerceColumnValue(column, atPath(record, column.path)));
}

export function sourceModifiedAt(family: FamilyDescriptor, record: JsonRecord): string | null {
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
