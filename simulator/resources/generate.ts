import { generateAward } from '../dataset/awards';
import { type GenContext } from '../dataset/context';
import { isoWithOffset } from '../dataset/dates';
import { encodeUuid } from '../dataset/ids';
import { type JsonObject, type JsonValue, isJsonObject, scalarText } from '../dataset/json';
import { BUSINESS_TYPES, NAICS, OFFICES, PSC } from '../dataset/reference-data';
import { createRng } from '../prng';
import { type IdFormat, type Resource, type ResourceSpec } from './catalog';

/**
 * The hand-written part of a resource record (`whole-record.ts` completes it from the contract): its id, its change
 * time where the contract has a field for it, and, for the first records of a few resources, values the nine
 * families use (agency, NAICS, PSC codes; recipients' UEIs), so that joins between them find rows. Every value is
 * a pure function of (seed, resource, index).
 */

const DAY_MS = 86_400_000;
const YEAR_SECONDS = 365 * 86_400;
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';
const ALPHANUMERIC = `${LETTERS}${DIGITS}`;

function patternChar(code: string, pick: (alphabet: string) => string): string {
  switch (code) {
    case 'D':
      return pick(DIGITS);
    case 'N':
      return pick(DIGITS.slice(1));
    case 'A':
      return pick(LETTERS);
    case 'X':
      return pick(ALPHANUMERIC);
    default:
      return code;
  }
}

/** Candidate id `attempt` of record `index` (the store retries with the next attempt when one is taken). */
export function candidateId(
  seed: number,
  name: Resource,
  format: IdFormat,
  index: number,
  attempt: number,
): string | number {
  if (format.kind === 'uuid') {
    return encodeUuid(seed, `${name}:${attempt}`, index);
  }
  const rng = createRng(`${seed}:${name}:${index}:id:${attempt}`);
  const pick = (alphabet: string): string => alphabet.charAt(rng.int(0, alphabet.length - 1));
  let text = '';
  for (let position = 0; position < format.pattern.length; position += 1) {
    text += patternChar(format.pattern.charAt(position), pick);
  }
  return format.numeric === true ? Number(text) : text;
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string | number): T[] {
  const seen = new Set<string | number>();
  return items.filter((item) => {
    const value = key(item);
    if (seen.has(value)) {
      return false;
    }
    seen.add(value);
    return true;
  });
}

/** The first records of these resources carry the codes the nine families' generators use. */
const REFERENCE_ROWS: Partial<Record<Resource, () => readonly JsonObject[]>> = {
  agencies: () =>
    uniqueBy(OFFICES, (office) => office.agency_code).map((office) => ({
      code: office.agency_code,
      name: office.agency_name,
      department: { code: office.department_code, name: office.department_name },
    })),
  departments: () =>
    uniqueBy(OFFICES, (office) => office.department_code).map((office) => ({
      code: office.department_code,
      name: office.department_name,
    })),
  offices: () =>
    OFFICES.map((office) => ({
      code: office.office_code,
      name: office.office_name,
      office_code: office.office_code,
      office_name: office.office_name,
      agency_code: office.agency_code,
      agency_name: office.agency_name,
      department_code: office.department_code,
      department_name: office.department_name,
    })),
  naics: () => NAICS.map((naics) => ({ code: naics.code, description: naics.description })),
  psc: () => PSC.map((psc) => ({ code: psc.code, current: { description: psc.description } })),
  business_types: () => BUSINESS_TYPES.map((type) => ({ code: type.code, name: type.description })),
};

const referenceCache = new Map<Resource, readonly JsonObject[]>();

/** The reference rows of a resource (empty for most). */
export function referenceRows(name: Resource): readonly JsonObject[] {
  let rows = referenceCache.get(name);
  if (rows === undefined) {
    rows = REFERENCE_ROWS[name]?.() ?? [];
    referenceCache.set(name, rows);
  }
  return rows;
}

/** The UEI of the recipient of contract `(n * 7919) mod contracts`: an entity that simulator contracts pay. */
function contractRecipientUei(ctx: GenContext, n: number): string | undefined {
  if (ctx.sizes.contracts === 0 || ctx.sizes.entities === 0) {
    return undefined;
  }
  const recipient = generateAward(ctx, 'contracts', (n * 7919) % ctx.sizes.contracts).recipient;
  return isJsonObject(recipient) ? scalarText(recipient.uei) : undefined;
}

/** Every `every`-th seeded record takes `value(n)` (n counts those records) at each of `paths`. */
interface Join {
  readonly every: number;
  readonly paths: readonly string[];
  readonly value: (ctx: GenContext, n: number) => JsonValue | undefined;
}

/** Half the exclusions name a contract recipient (an analyst's "contracts to excluded entities" finds rows). */
const JOINS: Partial<Record<Resource, readonly Join[]>> = {
  exclusions: [{ every: 2, paths: ['uei', 'entity_uei'], value: contractRecipientUei }],
};

function joinedFields(ctx: GenContext, name: Resource, index: number): JsonObject {
  const out: JsonObject = {};
  for (const join of JOINS[name] ?? []) {
    if (index % join.every !== 0) {
      continue;
    }
    const value = join.value(ctx, index / join.every);
    if (value !== undefined) {
      for (const path of join.paths) {
        out[path] = value;
      }
    }
  }
  return out;
}

/** Change time of seeded record `index`: within the year before the anchor date. */
export function baseChangeMs(ctx: GenContext, name: Resource, index: number): number {
  const rng = createRng(`${ctx.seed}:${name}:${index}:changed`);
  return ctx.anchorDay * DAY_MS - rng.int(1, YEAR_SECONDS) * 1000;
}

/** The change time as the change field holds it: a day for date fields, an ISO timestamp otherwise. */
export function changeValue(spec: ResourceSpec, field: string, atMs: number): string {
  const isDate = spec.contract.observedType(field)?.type === 'date' || field.endsWith('date');
  return isDate ? new Date(atMs).toISOString().slice(0, 10) : isoWithOffset(atMs);
}

/**
 * Seeded record `index` as written by hand (the id is given: the store makes ids unique). Reference rows and joins
 * apply to seeded records only.
 */
export function handRecord(
  ctx: GenContext,
  spec: ResourceSpec,
  index: number,
  id: string | number,
  changeMs: number,
): JsonObject {
  const reference = referenceRows(spec.name)[index] ?? {};
  return {
    ...joinedFields(ctx, spec.name, index),
    ...reference,
    [spec.identity.idField]: reference[spec.identity.idField] ?? id,
    ...(spec.changeField === undefined
      ? {}
      : { [spec.changeField]: changeValue(spec, spec.changeField, changeMs) }),
  };
}
