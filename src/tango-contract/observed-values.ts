import { type ObservedType } from './tango-contract';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Whether a JSON value fits the type Tango's SDK maintainers observed on the live API. Their types are inferred
 * from values, so `int` covers digit strings such as NAICS codes as well as numbers; `date` is a `YYYY-MM-DD`
 * string, `datetime` an ISO timestamp string, `Decimal` a number, and a `code_object` is `{code, description}`
 * when expanded or its bare code when asked as a plain field. `null` fits every optional path.
 */
export function fitsObservedType(value: unknown, observed: ObservedType): boolean {
  if (value === null || value === undefined) {
    return true;
  }
  if (observed.isList) {
    return Array.isArray(value) && value.every((item) => fitsElement(item, observed));
  }
  return fitsElement(value, observed);
}

function fitsElement(value: unknown, observed: ObservedType): boolean {
  if (value === null) {
    return true;
  }
  const isObject = typeof value === 'object' && !Array.isArray(value);
  switch (observed.kind) {
    case 'object':
      return isObject;
    case 'code_object':
      return isObject || typeof value === 'string' || typeof value === 'number';
    case 'scalar':
      return fitsScalar(value, observed.type);
  }
}

function fitsScalar(value: unknown, type: string | null): boolean {
  switch (type ?? 'unknown') {
    case 'str':
      return typeof value === 'string';
    case 'int':
      return (typeof value === 'number' && Number.isInteger(value)) || typeof value === 'string';
    case 'Decimal':
    case 'float':
      return typeof value === 'number';
    case 'bool':
      return typeof value === 'boolean';
    case 'date':
      return typeof value === 'string' && ISO_DAY.test(value);
    case 'datetime':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value));
    default:
      return typeof value !== 'object';
  }
}
