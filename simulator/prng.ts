/** Deterministic pseudo-random numbers: every value is a pure function of a string seed. */

/** 32-bit FNV-1a hash of a string. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** `count` lowercase hex digits. */
  hex(count: number): string;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/** Mixes two 32-bit values into one (seeds derived without building key strings). */
export function mix32(a: number, b: number): number {
  let h = Math.imul((a ^ Math.imul(b, 0x9e3779b1)) >>> 0, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32 seeded by the FNV-1a hash of `key`. */
export function createRng(key: string): Rng {
  return createRngFromState(hash32(key));
}

/** mulberry32 seeded by a 32-bit state. */
export function createRngFromState(seedState: number): Rng {
  let state = seedState >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) {
        throw new Error('pick from an empty list');
      }
      return item;
    },
    hex(count: number): string {
      let out = '';
      while (out.length < count) {
        out += Math.floor(next() * 0x10000)
          .toString(16)
          .padStart(4, '0');
      }
      return out.slice(0, count);
    },
    chance(p: number): boolean {
      return next() < p;
    },
  };
}

/** The record generator's random source for record `index` of `family`. */
export function recordRng(seed: number, family: string, index: number): Rng {
  return createRng(`${seed}:${family}:${index}`);
}
