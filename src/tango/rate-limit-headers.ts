/** What Tango's `X-RateLimit-*` headers say about one window. */
export interface RateWindow {
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
}

export interface RateLimitSnapshot {
  readonly burst: RateWindow | null;
  readonly daily: RateWindow | null;
}

type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

function headerNumber(headers: HeaderBag, name: string): number | null {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value.trim() === '') {
    return null;
  }
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number : null;
}

function window(headers: HeaderBag, prefix: string): RateWindow | null {
  const limit = headerNumber(headers, `${prefix}-limit`);
  const remaining = headerNumber(headers, `${prefix}-remaining`);
  const resetSeconds = headerNumber(headers, `${prefix}-reset`);
  return limit === null || remaining === null || resetSeconds === null
    ? null
    : { limit, remaining, resetSeconds };
}

/** Reads the burst and daily windows (header names lower-cased, as undici gives them). */
export function parseRateLimitHeaders(headers: HeaderBag): RateLimitSnapshot {
  return { burst: window(headers, 'x-ratelimit-burst'), daily: window(headers, 'x-ratelimit-daily') };
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') {
    return null;
  }
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(raw);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
