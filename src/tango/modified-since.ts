import { FAMILIES, familyPath, isAwardFamily } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import {
  ContractViolationError,
  LIST_PAGE_SIZE,
  familyContract,
  type TangoRequestSpec,
} from './tango-requests';

/**
 * THE ONE NAMED EXCEPTION to "the worker never sends a list parameter Tango's contract does not list"
 * (`tango-requests.ts`). Tango's how-to for streaming awards recommends `/api/contracts/?modified_after=<last run>`,
 * but its contract lists `modified_after` only for forecasts: on award lists it is unconfirmed, and an ignored
 * filter silently returns the whole list. So it is probed at run time (a far-future value must shrink the list's
 * `count` to 0 while an old one must not) and used, for a cheap modified-since poll of ids, only where the probe
 * found it honoured. Nothing else may build a request with it.
 */
export const MODIFIED_SINCE_PARAM = 'modified_after';

/** A value far enough ahead that no record can have been modified after it. */
export const FAR_FUTURE_DAY = '2999-01-01';
/** A value old enough that nearly every record was modified after it. */
export const FAR_PAST_DAY = '2000-01-01';

/** Award families whose contract does not list `modified_after`: the ones the probe is for. */
export function modifiedSinceProbeFamilies(): ResourceFamily[] {
  return RESOURCE_FAMILIES.filter(
    (family) => isAwardFamily(family) && !familyContract(family).filterParams.has(MODIFIED_SINCE_PARAM),
  );
}

/**
 * A list of ids modified since `day` (`YYYY-MM-DD`): only the family's id field, `limit` per page. `cursorQuery`
 * carries what a `next` link added (the cursor); anything in it outside the contract and this exception is refused.
 */
export function modifiedSinceRequest(
  family: ResourceFamily,
  day: string,
  limit: number = LIST_PAGE_SIZE,
  cursorQuery: Readonly<Record<string, string>> = {},
): TangoRequestSpec {
  if (!modifiedSinceProbeFamilies().includes(family)) {
    throw new ContractViolationError(`${family}: the ${MODIFIED_SINCE_PARAM} probe is only for award lists`);
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new ContractViolationError(
      `${family}: ${MODIFIED_SINCE_PARAM} takes a day (YYYY-MM-DD), not ${day}`,
    );
  }
  const query = { ...cursorQuery, limit: String(limit), shape: FAMILIES[family].idField };
  const unknown = familyContract(family).unknownListParams(query);
  if (unknown.length > 0) {
    throw new ContractViolationError(`${family}: list parameters Tango would ignore: ${unknown.join(', ')}`);
  }
  return { path: familyPath(family), query: { ...query, [MODIFIED_SINCE_PARAM]: day } };
}

export interface ProbeVerdict {
  readonly honoured: boolean;
  readonly detail: string;
}

/** Whether Tango honours the parameter, from the `count` of a far-future and of a far-past list. */
export function judgeModifiedSinceProbe(futureCount: number | null, pastCount: number | null): ProbeVerdict {
  if (futureCount === null || pastCount === null) {
    return { honoured: false, detail: 'inconclusive: the list answer carries no count' };
  }
  if (pastCount === 0) {
    return { honoured: false, detail: 'inconclusive: the list is empty' };
  }
  if (futureCount === 0) {
    return {
      honoured: true,
      detail: `honoured: ${MODIFIED_SINCE_PARAM}=${FAR_FUTURE_DAY} lists 0, ${FAR_PAST_DAY} lists ${pastCount}`,
    };
  }
  return {
    honoured: false,
    detail: `ignored: ${MODIFIED_SINCE_PARAM}=${FAR_FUTURE_DAY} still lists ${futureCount} of ${pastCount}`,
  };
}
