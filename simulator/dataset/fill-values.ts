import { type ObservedType } from '../../src/tango-contract/tango-contract';
import { type Rng } from '../prng';
import { money } from './context';
import { fromEpochDay, isoDayTime } from './dates';
import { type JsonObject, type JsonValue, isJsonObject, readPath } from './json';
import { COMPANY_WORDS, NAICS, PSC, WORDS } from './reference-data';

/**
 * Values for the paths of Tango's contract a generator leaves out (see `whole-record.ts`). Every value is a pure
 * function of the random source (seeded by seed, family, record index and path), the path and the record's own
 * hand-generated fields: never of time or call order.
 */

/** What a filled value may depend on besides its random source. */
export interface FillContext {
  /** The record as its generator (or the control API) made it, before completion. */
  readonly record: JsonObject;
  /** The anchor day of the dataset (epoch days): filled dates lie within ten years before it. */
  readonly anchorDay: number;
}

/** How a leaf path is filled: its observed live type, or (new paths) the type its name suggests. */
export interface LeafType {
  readonly kind: ObservedType['kind'];
  readonly type: string;
  readonly isList: boolean;
  readonly isOptional: boolean;
}

const NAME_TYPES: readonly [RegExp, string][] = [
  [/(^is_|^has_|_flag$|purchasing$)/, 'bool'],
  [/(amount|value)$/, 'Decimal'],
  [/(count|total|size)$|^number_of/, 'int'],
  [/(date|_verified)$/, 'date'],
  [/(locations|urls|codes)$/, 'str_list'],
];

/** The leaf type of a path: the observed one, or one guessed from the field name (paths new since 4.22). */
export function leafType(name: string, observed: ObservedType | undefined): LeafType {
  if (observed !== undefined) {
    return {
      kind: observed.kind,
      type: observed.type ?? 'str',
      isList: observed.isList,
      isOptional: observed.isOptional,
    };
  }
  const guessed = NAME_TYPES.find(([pattern]) => pattern.test(name))?.[1] ?? 'str';
  return guessed === 'str_list'
    ? { kind: 'scalar', type: 'str', isList: true, isOptional: true }
    : { kind: 'scalar', type: guessed, isList: false, isOptional: true };
}

const words = (rng: Rng, count: number, from: readonly string[] = WORDS): string =>
  Array.from({ length: count }, () => rng.pick(from)).join(' ');

const day = (rng: Rng, context: FillContext): string =>
  fromEpochDay(context.anchorDay - rng.int(0, 3650));

/** Text for a `str` path, shaped by its name (dates, links, contacts, codes, prose). */
function text(name: string, rng: Rng, context: FillContext): string {
  if (/date/.test(name)) {
    return day(rng, context);
  }
  if (/email/.test(name)) {
    return `${words(rng, 1, COMPANY_WORDS).toLowerCase()}.${rng.hex(4)}@example.gov`;
  }
  if (/(url|link|website)/.test(name)) {
    return `https://www.example.gov/${rng.hex(12)}`;
  }
  if (/(phone|fax)/.test(name)) {
    return `${rng.int(200, 989)}-${rng.int(200, 999)}-${String(rng.int(0, 9999)).padStart(4, '0')}`;
  }
  if (/(uuid|_id$|^id$|uei$|number$)/.test(name)) {
    return rng.hex(12).toUpperCase();
  }
  if (/(description|text|summary|snippet|about|capabilities|keywords|justification|title)/.test(name)) {
    return words(rng, rng.int(3, 8)).replace(/^./, (first) => first.toUpperCase());
  }
  if (/name$/.test(name)) {
    return words(rng, 2, COMPANY_WORDS);
  }
  if (/(code|type|source|procedure|status)$/.test(name)) {
    return rng.pick(['A', 'B', 'C', 'D', 'X']);
  }
  return rng.pick(['Y', 'N', 'X']);
}

function scalar(name: string, type: string, rng: Rng, context: FillContext): JsonValue {
  switch (type) {
    case 'int':
      if (/year/.test(name)) {
        return Number(fromEpochDay(context.anchorDay - rng.int(0, 3650)).slice(0, 4));
      }
      return /(code|_id)$/.test(name) ? String(rng.int(10, 99_999)) : rng.int(0, 500);
    case 'Decimal':
    case 'float':
      return money(rng.int(0, 2_000_000) + rng.int(0, 99) / 100);
    case 'bool':
      return rng.chance(0.5);
    case 'date':
      return day(rng, context);
    case 'datetime':
      return isoDayTime(day(rng, context), rng.int(0, 86_399));
    default:
      return text(name, rng, context);
  }
}

/** A `{code, description}` object. */
export function codeObject(rng: Rng): JsonObject {
  return { code: rng.pick(['A', 'B', 'C', 'D', 'X', 'Y', 'N']), description: words(rng, 3).toUpperCase() };
}

/**
 * The value of a leaf path the record lacks. Optional scalars are null one time in ten; lists hold one to three
 * elements; plain fields Tango answers as objects get an empty object (their content is not in the contract).
 */
export function leafValue(name: string, type: LeafType, rng: Rng, context: FillContext): JsonValue {
  if (type.isOptional && type.kind === 'scalar' && rng.chance(0.1)) {
    return null;
  }
  const one = (): JsonValue => {
    switch (type.kind) {
      case 'code_object':
        return codeObject(rng);
      case 'object':
        return {};
      case 'scalar':
        return scalar(name, type.type, rng, context);
    }
  };
  if (type.isList) {
    return type.kind === 'object' ? [] : Array.from({ length: rng.int(1, 3) }, one);
  }
  return one();
}

function lookup(
  table: readonly { code: number | string; description: string }[],
  code: JsonValue | undefined,
): JsonObject | undefined {
  const entry = table.find((item) => item.code === code);
  return entry === undefined ? undefined : { code: entry.code, description: entry.description };
}

/**
 * Paths whose value follows from the record's hand-generated fields (so a whole record tells one story):
 * `naics`/`psc` describe `naics_code`/`psc_code`, the funding office is named like the awarding office it copies,
 * a recipient's legal name is its display name. Undefined when the path has no such rule.
 */
export function derivedValue(path: string, context: FillContext): JsonValue | undefined {
  const record = context.record;
  switch (path) {
    case 'naics':
      return lookup(NAICS, record.naics_code);
    case 'psc':
      return lookup(PSC, record.psc_code);
    case 'recipient.legal_business_name':
      return readPath(record, 'recipient.display_name');
    case 'latest_notice.notice_id':
      return record.latest_notice_id;
    default:
      break;
  }
  const [parent, child] = path.split('.');
  if (parent === 'funding_office' && child !== undefined) {
    const awarding = record.awarding_office;
    const funding = record.funding_office;
    if (isJsonObject(awarding) && isJsonObject(funding) && awarding.office_code === funding.office_code) {
      return awarding[child];
    }
  }
  if (child === 'country_name' && parent !== undefined && /address$/.test(parent)) {
    return readPath(record, `${parent}.country_code`) === 'USA' ? 'UNITED STATES' : undefined;
  }
  return undefined;
}
