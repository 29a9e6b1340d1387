import { type DatasetSizes } from '../options';
import { toEpochDay } from './dates';

/** Everything a generator needs besides the record index. */
export interface GenContext {
  readonly seed: number;
  /** Seeded (base) record counts; created records get indices from these upwards. */
  readonly sizes: DatasetSizes;
  readonly anchorDate: string;
  readonly anchorDay: number;
}

export function createGenContext(seed: number, sizes: DatasetSizes, anchorDate: string): GenContext {
  return { seed, sizes, anchorDate, anchorDay: toEpochDay(anchorDate) };
}

/** Creation facts for records made through the control API (base records have none). */
export interface Creation {
  readonly atMs: number;
  readonly day: string;
}

export function money(value: number): number {
  return Math.round(value * 100) / 100;
}
