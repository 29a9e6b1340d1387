import { createRng, hash32 } from '../prng';

/**
 * Identifiers that encode the record index reversibly, so a detail lookup regenerates one record instead of
 * searching. Every decode is checked by regenerating the record and comparing the id.
 */

const UEI_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
const UEI_INDEX_DIGITS = 7;

function mask32(seed: number, scope: string): number {
  return hash32(`${seed}:${scope}:mask`);
}

/** UUID whose last 8 hex digits are `index XOR mask` and whose first 8 are `prefix` when given. */
export function encodeUuid(seed: number, scope: string, index: number, prefix?: number): string {
  const rng = createRng(`${seed}:${scope}:${index}:uuid`);
  const head = prefix === undefined ? rng.hex(8) : (prefix >>> 0).toString(16).padStart(8, '0');
  const tail = ((index ^ mask32(seed, scope)) >>> 0).toString(16).padStart(8, '0');
  const variant = '89ab'.charAt(rng.int(0, 3));
  return `${head}-${rng.hex(4)}-4${rng.hex(3)}-${variant}${rng.hex(3)}-${rng.hex(4)}${tail}`;
}

export function decodeUuidIndex(seed: number, scope: string, uuid: string): number | undefined {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    return undefined;
  }
  const tail = Number.parseInt(uuid.slice(-8), 16);
  return (tail ^ mask32(seed, scope)) >>> 0;
}

/** 12-character UEI: five random characters (the first a letter) then the index in base 34. */
export function encodeUei(seed: number, index: number): string {
  const rng = createRng(`${seed}:entities:${index}:uei`);
  let head = UEI_ALPHABET.charAt(rng.int(0, 23));
  for (let k = 0; k < 4; k += 1) {
    head += UEI_ALPHABET.charAt(rng.int(0, UEI_ALPHABET.length - 1));
  }
  let value = (index ^ mask32(seed, 'entities')) >>> 0;
  let digits = '';
  for (let k = 0; k < UEI_INDEX_DIGITS; k += 1) {
    digits = UEI_ALPHABET.charAt(value % UEI_ALPHABET.length) + digits;
    value = Math.floor(value / UEI_ALPHABET.length);
  }
  return head + digits;
}

export function decodeUeiIndex(seed: number, uei: string): number | undefined {
  const upper = uei.toUpperCase();
  if (upper.length !== 12) {
    return undefined;
  }
  let value = 0;
  for (const char of upper.slice(12 - UEI_INDEX_DIGITS)) {
    const digit = UEI_ALPHABET.indexOf(char);
    if (digit < 0) {
      return undefined;
    }
    value = value * UEI_ALPHABET.length + digit;
  }
  if (value > 0xffffffff) {
    return undefined;
  }
  return (value ^ mask32(seed, 'entities')) >>> 0;
}

/** PIIDs end in the zero-padded record index: `<office(6)><yy><letter><index(8)>`. */
export function piidIndex(piid: string): number | undefined {
  const match = /^[A-Z0-9]{6}\d{2}[A-Z0-9](\d{8})$/.exec(piid);
  return match?.[1] === undefined ? undefined : Number.parseInt(match[1], 10);
}

/** The PIID inside an award key (`CONT_AWD_<piid>_...`, `OT_IDV_<piid>_...`). */
export function piidOfKey(key: string): string | undefined {
  const match = /^(?:CONT|OT)_(?:AWD|IDV)_([^_]+)_/.exec(key);
  return match?.[1];
}

/** Integer ids (`grant_id`, forecast `id`) are `offset + index`. */
export function decodeIntegerIndex(raw: string, offset: number): number | undefined {
  if (!/^\d{1,12}$/.test(raw)) {
    return undefined;
  }
  const value = Number.parseInt(raw, 10) - offset;
  return value >= 0 ? value : undefined;
}
