import {
  backoffDelayMs,
  parseRateLimitHeaders,
  parseRetryAfter,
} from '../../../src/tango/rate-limit-headers';

describe('rate limit headers', () => {
  it('reads the burst and daily windows', () => {
    expect(
      parseRateLimitHeaders({
        'x-ratelimit-limit': '100',
        'x-ratelimit-burst-limit': '100',
        'x-ratelimit-burst-remaining': '0',
        'x-ratelimit-burst-reset': '45',
        'x-ratelimit-daily-limit': '2400',
        'x-ratelimit-daily-remaining': '1310',
        'x-ratelimit-daily-reset': '51234',
      }),
    ).toEqual({
      burst: { limit: 100, remaining: 0, resetSeconds: 45 },
      daily: { limit: 2400, remaining: 1310, resetSeconds: 51234 },
    });
  });

  it('ignores incomplete or garbled windows', () => {
    expect(
      parseRateLimitHeaders({ 'x-ratelimit-burst-limit': '100', 'x-ratelimit-daily-limit': 'many' }),
    ).toEqual({ burst: null, daily: null });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('45')).toBe(45_000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2026 07:28:10 GMT', Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')),
    ).toBe(10_000);
    expect(parseRetryAfter(undefined)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });

  it('backs off exponentially from the base, with full jitter, up to the cap', () => {
    expect(backoffDelayMs(1, 250, 10_000, () => 0.999)).toBe(249);
    expect(backoffDelayMs(2, 250, 10_000, () => 0.999)).toBe(499);
    expect(backoffDelayMs(4, 250, 10_000, () => 0.999)).toBe(1998);
    expect(backoffDelayMs(10, 250, 10_000, () => 0.999)).toBe(9990);
    expect(backoffDelayMs(3, 250, 10_000, () => 0)).toBe(0);
  });
});
