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
interface LeafType {
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
function leafType(name: string, observed: ObservedType | undefined): LeafType {
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

function words(rng: Rng, count: number, from: readonly string[] = WORDS): string {
  let out = rng.pick(from);
  for (let n = 1; n < count; n += 1) {
    out += ` ${rng.pick(from)}`;
  }
  return out;
}

const day = (rng: Rng, context: FillContext): string => fromEpochDay(context.anchorDay - rng.int(0, 3650));

type TextKind = 'date' | 'email' | 'link' | 'phone' | 'identifier' | 'prose' | 'name' | 'code' | 'flag';

const TEXT_KINDS: readonly [RegExp, TextKind][] = [
  [/date/, 'date'],
  [/email/, 'email'],
  [/(url|link|website)/, 'link'],
  [/(phone|fax)/, 'phone'],
  [/(uuid|_id$|^id$|uei$|number$|^key$|piid$|identifier$)/, 'identifier'],
  [/(description|text|summary|snippet|about|capabilities|keywords|justification|title)/, 'prose'],
  [/(name|county|city)$/, 'name'],
  [/(code|type|source|procedure|status)$/, 'code'],
];

/** What a `str` field holds, judged by its name (dates, links, contacts, codes, prose); decided once per path. */
function textKind(name: string): TextKind {
  return TEXT_KINDS.find(([pattern]) => pattern.test(name))?.[1] ?? 'flag';
}

function text(kind: TextKind, rng: Rng, context: FillContext): string {
  switch (kind) {
    case 'date':
      return day(rng, context);
    case 'email':
      return `${rng.pick(COMPANY_WORDS).toLowerCase()}.${rng.hex(4)}@example.gov`;
    case 'link':
      return `https://www.example.gov/${rng.hex(12)}`;
    case 'phone':
      return `${rng.int(200, 989)}-${rng.int(200, 999)}-${String(rng.int(0, 9999)).padStart(4, '0')}`;
    case 'identifier':
      return rng.hex(12).toUpperCase();
    case 'prose': {
      const sentence = words(rng, rng.int(3, 8));
      return sentence.charAt(0).toUpperCase() + sentence.slice(1);
    }
    case 'name':
      return words(rng, 2, COMPANY_WORDS);
    case 'code':
      return rng.pick(['A', 'B', 'C', 'D', 'X']);
    case 'flag':
      return rng.pick(['Y', 'N', 'X']);
  }
}

/** A scalar filler for one path: the name is read once, when the fill plan is made. */
function scalarFiller(name: string, type: string): (rng: Rng, context: FillContext) => JsonValue {
  if (type === 'int') {
    if (name.includes('year')) {
      return (rng, context) => Number(day(rng, context).slice(0, 4));
    }
    return /(code|_id)$/.test(name) ? (rng) => String(rng.int(10, 99_999)) : (rng) => rng.int(0, 500);
  }
  if (type === 'str') {
    const kind = textKind(name);
    return (rng, context) => text(kind, rng, context);
  }
  return (rng, context) => scalar(type, rng, context);
}

function scalar(type: string, rng: Rng, context: FillContext): JsonValue {
  switch (type) {
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
      return text('flag', rng, context);
  }
}

/** A `{code, description}` object. */
function codeObject(rng: Rng): JsonObject {
  return { code: rng.pick(['A', 'B', 'C', 'D', 'X', 'Y', 'N']), description: words(rng, 3).toUpperCase() };
}

/** Fills one leaf path from its random source (see `leafFiller`). */
export type LeafFiller = (rng: Rng, context: FillContext) => JsonValue;

/**
 * How a leaf path the record lacks is filled, decided once per path. Optional scalars are null one time in ten;
 * lists hold one to three elements; plain fields Tango answers as objects get an empty object (their content is
 * not in the contract).
 */
export function leafFiller(name: string, observed: ObservedType | undefined): LeafFiller {
  const type = leafType(name, observed);
  const element: LeafFiller =
    type.kind === 'code_object'
      ? (rng) => codeObject(rng)
      : type.kind === 'object'
        ? () => ({})
        : scalarFiller(name, type.type);
  const nullable = type.isOptional && type.kind === 'scalar';
  return (rng, context) => {
    if (nullable && rng.chance(0.1)) {
      return null;
    }
    if (!type.isList) {
      return element(rng, context);
    }
    if (type.kind === 'object') {
      return [];
    }
    const count = rng.int(1, 3);
    const out: JsonValue[] = [];
    for (let n = 0; n < count; n += 1) {
      out.push(element(rng, context));
    }
    return out;
  };
}

function lookup(
  table: readonly { code: number | string; description: string }[],
  code: JsonValue | undefined,
): JsonObject | undefined {
  const entry = table.find((item) => item.code === code);
  return entry === undefined ? undefined : { code: entry.code, description: entry.description };
}

/** Reads a path's value off the record's own fields, or undefined (then the path is filled at random). */
export type Deriver = (context: FillContext) => JsonValue | undefined;

/**
 * Paths whose value follows from the record's hand-generated fields (so a whole record tells one story):
 * `naics`/`psc` describe `naics_code`/`psc_code`, the funding office is named like the awarding office it copies,
 * a recipient's legal name is its display name, the latest notice is `latest_notice_id`, a US address is in the
 * UNITED STATES. Undefined for a path without such a rule (decided once per path).
 */
export function deriverOf(path: string): Deriver | undefined {
  switch (path) {
    case 'naics':
      return ({ record }) => lookup(NAICS, record.naics_code);
    case 'psc':
      return ({ record }) => lookup(PSC, record.psc_code);
    case 'recipient.legal_business_name':
      return ({ record }) => readPath(record, 'recipient.display_name');
    case 'latest_notice.notice_id':
      return ({ record }) => record.latest_notice_id;
    default:
      break;
  }
  const [parent = '', child = '', ...deeper] = path.split('.');
  if (deeper.length > 0 || child === '') {
    return undefined;
  }
  if (parent === 'funding_office') {
    return ({ record }) => {
      const awarding = record.awarding_office;
      const funding = record.funding_office;
      return isJsonObject(awarding) && isJsonObject(funding) && awarding.office_code === funding.office_code
        ? awarding[child]
        : undefined;
    };
  }
  if (child === 'country_name' && parent.endsWith('address')) {
    return ({ record }) =>
      readPath(record, `${parent}.country_code`) === 'USA' ? 'UNITED STATES' : undefined;
  }
  return undefined;
}
