import { z } from 'zod';
import { type JsonRecord, type JsonValue } from '../../json';
import { type ResourceFamily } from '../resource-family';
import { type FamilyDescriptor, type IdKind } from './family-descriptor';
import { awardFamilyForKey, FAMILIES } from './registry';
import { parseSubject, subjectPattern } from './subject-ids';

/** An id as the mirror keys it: UUIDs lower case, UEIs upper case, integers as Postgres prints a bigint. */
export function normalizeRecordId(family: FamilyDescriptor, value: JsonValue | undefined): string | null {
  if (typeof value === 'number' && Number.isInteger(value)) {
    return String(value);
  }
  // An opaque id Tango serializes as a JSON number (an assistance listing `10.001`: its sampled type is Decimal).
  if (typeof value === 'number' && family.idKind === 'text' && Number.isFinite(value)) {
    return String(value);
  }
  if (typeof value !== 'string' || value.trim() === '') {
    return null;
  }
  switch (family.idKind) {
    case 'uuid':
      return value.toLowerCase();
    case 'integer':
      // "00123" and 123 are the same record.
      return /^\d{1,18}$/.test(value.trim()) ? String(BigInt(value.trim())) : null;
    case 'uei':
      return value.toUpperCase();
    case 'key':
    case 'text':
      return value;
  }
}

/** The record's id as text, in the form the mirror keys it by. */
export function recordIdOf(family: FamilyDescriptor, record: JsonRecord): string | null {
  return normalizeRecordId(family, record[family.idField]);
}

/** An id a delivery names, checked for its family: the id to fetch and its kind, or why it is unusable. */
export type IncomingId =
  | { readonly ok: true; readonly recordId: string; readonly idKind: IdKind }
  | { readonly ok: false; readonly problem: string };

const idValue = z.union([z.string(), z.number()]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UEI = /^[A-Za-z0-9]{1,64}$/;
const AWARD_ID = /^[A-Za-z0-9_.-]{1,200}$/;
const INTEGER = /^\d{1,18}$/;
/** An opaque id of a contract resource (an agency code, an exclusion key): printable, no slash, bounded. */
const TEXT_ID = /^[^\s/?#]{1,200}$/;

/**
 * Validates one id a delivery names for a record of `family` and puts it in the form the fetcher asks for. An
 * unusable id is a problem, never a guess.
 */
export function incomingRecordId(family: ResourceFamily, raw: unknown): IncomingId {
  const parsed = idValue.safeParse(raw);
  if (!parsed.success) {
    const shown = (JSON.stringify(raw) as string | undefined) ?? 'undefined';
    return { ok: false, problem: `${family}: id ${shown} is not a string or number` };
  }
  const text = String(parsed.data).trim();
  const descriptor = FAMILIES[family];
  const checked = checkId(descriptor, text);
  return typeof checked === 'string'
    ? { ok: false, problem: `${family}: id ${JSON.stringify(text)} ${checked}` }
    : { ok: true, ...checked };
}

/** The id in fetchable form, or why it does not fit the family. */
function checkId(descriptor: FamilyDescriptor, text: string): { recordId: string; idKind: IdKind } | string {
  switch (descriptor.idKind) {
    case 'key':
      return checkAwardId(descriptor, text);
    case 'text':
      return TEXT_ID.test(text) ? { recordId: text, idKind: 'text' } : 'is not a plain id';
    case 'uuid':
      return UUID.test(text) ? { recordId: text.toLowerCase(), idKind: 'uuid' } : 'is not a UUID';
    case 'uei':
      return UEI.test(text) ? { recordId: text.toUpperCase(), idKind: 'uei' } : 'is not a UEI';
    case 'integer': {
      if (INTEGER.test(text)) {
        return { recordId: String(Number(text)), idKind: 'integer' };
      }
      const subject = descriptor.subjectIds;
      if (subject === undefined) {
        return 'is not an integer id';
      }
      return parseSubject(text) === null
        ? `is neither an integer id nor a ${subjectPattern(subject)} subject`
        : { recordId: text, idKind: subject.idKind };
    }
  }
}

/** An award key of this family (kept as sent), or a bare PIID (upper-cased) where the family takes one. */
function checkAwardId(
  descriptor: FamilyDescriptor,
  text: string,
): { recordId: string; idKind: IdKind } | string {
  if (!AWARD_ID.test(text)) {
    return 'is not an award key or PIID';
  }
  const keyFamily = awardFamilyForKey(text);
  if (keyFamily !== undefined && keyFamily !== descriptor.family) {
    return `has the key prefix of ${keyFamily}`;
  }
  if (keyFamily === undefined && !descriptor.alternateIdKinds.includes('piid')) {
    return 'is not a key of this family';
  }
  return keyFamily === undefined
    ? { recordId: text.toUpperCase(), idKind: 'piid' }
    : { recordId: text, idKind: 'key' };
}

/**
 * Whether an id of this kind names a record of the family only indirectly (a bare PIID, a `<system>:<external>`
 * subject), so it is resolved before fetching; the family's own id kind (and an alert sweep) is not.
 */
export function isIndirectIdKind(descriptor: FamilyDescriptor, idKind: string): boolean {
  return descriptor.alternateIdKinds.some((kind) => kind === idKind);
}
