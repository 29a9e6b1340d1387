import { fitsObservedType } from '../../src/tango-contract/observed-values';
import { type ContractExpand, type ResourceContract } from '../../src/tango-contract/tango-contract';
import { type JsonObject, type JsonValue, isJsonObject } from '../dataset/json';

/** Something a served record has that Tango's contract does not allow. */
export interface ConformanceIssue {
  readonly path: string;
  readonly problem: 'not_in_contract' | 'type_mismatch';
  readonly detail: string;
}

/**
 * Checks a record (or a shaped answer) against Tango's contract for its resource:
 *  - every top-level name is a field or an expand; under an expand in expanded form, every child is one the
 *    expand lists (an expand listing `*` takes any);
 *  - every value at a path with an observed type fits it (`fitsObservedType`), where a list fits an element type
 *    observed without `is_list` when each element fits (Tango's observations record `business_types` that way).
 * One exception, by construction of the observations: an expand in expanded form (an object, or a list of
 * objects) whose plain form was observed as a scalar (OTA `recipient`, contract `subawards_summary`) is checked
 * through its children, not against the scalar type, which describes its plain form.
 */
export function contractConformanceIssues(
  resource: ResourceContract,
  record: JsonObject,
): ConformanceIssue[] {
  const issues: ConformanceIssue[] = [];
  for (const [field, value] of Object.entries(record)) {
    const expand = resource.expands.get(field);
    if (!resource.fields.has(field) && expand === undefined) {
      issues.push({ path: field, problem: 'not_in_contract', detail: 'neither a field nor an expand' });
      continue;
    }
    checkValue(resource, field, value, expand, issues);
  }
  return issues;
}

function isExpandedForm(value: JsonValue): boolean {
  return isJsonObject(value) || (Array.isArray(value) && value.some((item) => isJsonObject(item)));
}

function checkValue(
  resource: ResourceContract,
  path: string,
  value: JsonValue,
  expand: ContractExpand | undefined,
  issues: ConformanceIssue[],
): void {
  const observed = resource.observedType(path);
  const skipType = observed?.kind === 'scalar' && expand !== undefined && isExpandedForm(value);
  if (observed !== undefined && !skipType) {
    const fits =
      fitsObservedType(value, observed) ||
      (Array.isArray(value) && !observed.isList && value.every((item) => fitsObservedType(item, observed)));
    if (!fits) {
      issues.push({
        path,
        problem: 'type_mismatch',
        detail: `${JSON.stringify(value)} does not fit ${JSON.stringify(observed)}`,
      });
    }
  }
  const elements = Array.isArray(value) ? value : [value];
  const open = expand === undefined || expand.fields.has('*');
  for (const element of elements) {
    if (!isJsonObject(element)) {
      continue;
    }
    for (const [key, child] of Object.entries(element)) {
      const childPath = `${path}.${key}`;
      const nested = expand?.expands.get(key);
      if (!open && !expand.fields.has(key) && nested === undefined) {
        issues.push({
          path: childPath,
          problem: 'not_in_contract',
          detail: `not a child of the ${path} expand`,
        });
        continue;
      }
      checkValue(resource, childPath, child, nested, issues);
    }
  }
}
