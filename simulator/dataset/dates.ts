/** Day arithmetic on `YYYY-MM-DD` strings (UTC). */
const DAY_MS = 86_400_000;

export function toEpochDay(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

export function fromEpochDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return fromEpochDay(toEpochDay(date) + days);
}

/** `2026-08-24T14:00:00+00:00`, the offset form Tango uses for datetimes. */
export function isoWithOffset(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}+00:00`;
}

export function isoDayTime(date: string, seconds: number): string {
  return isoWithOffset(Date.parse(`${date}T00:00:00Z`) + (seconds % 86_400) * 1000);
}

export function fiscalYear(date: string): number {
  const year = Number.parseInt(date.slice(0, 4), 10);
  const month = Number.parseInt(date.slice(5, 7), 10);
  return month >= 10 ? year + 1 : year;
}

export function isValidDate(value: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) &&
    fromEpochDay(toEpochDay(value)) === value
  );
}
