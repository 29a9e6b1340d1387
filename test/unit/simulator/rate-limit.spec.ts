import { SimClock } from '../../../simulator/clock';
import { rateLimitSettingsSchema } from '../../../simulator/options';
import { RateLimiter, rateLimitBody } from '../../../simulator/rate-limit';

describe(RateLimiter.name, () => {
  let now = 0;

  it('should count burst and daily windows per key and refuse when the burst is spent', () => {
    now = 0;
    const limiter = new RateLimiter(
      rateLimitSettingsSchema.parse({ burstLimit: 3, dailyLimit: 10 }),
      new SimClock(1, () => now),
    );
    expect(limiter.check('a').headers['X-RateLimit-Burst-Remaining']).toBe('2');
    limiter.check('a');
    const third = limiter.check('a');
    expect(third.allowed).toBe(true);
    expect(third.headers['X-RateLimit-Daily-Remaining']).toBe('7');
    const refused = limiter.check('a');
    expect(refused).toMatchObject({ allowed: false, limitType: 'burst', waitSeconds: 60 });
    expect(limiter.check('b').allowed).toBe(true);
    now += 60_000;
    expect(limiter.check('a').allowed).toBe(true);
  });

  it('should report the most restrictive window in the overall headers and refuse on the daily window', () => {
    now = 0;
    const limiter = new RateLimiter(
      rateLimitSettingsSchema.parse({ burstLimit: 100, dailyLimit: 2 }),
      new SimClock(1, () => now),
    );
    const first = limiter.check('a');
    expect(first.headers['X-RateLimit-Limit']).toBe('2');
    expect(first.headers['X-RateLimit-Remaining']).toBe('1');
    expect(first.headers['X-RateLimit-Reset']).toBe('86400');
    limiter.check('a');
    expect(limiter.check('a')).toMatchObject({ allowed: false, limitType: 'daily' });
  });

  it('should compress windows with the time scale', () => {
    now = 0;
    const limiter = new RateLimiter(
      rateLimitSettingsSchema.parse({ burstLimit: 1 }),
      new SimClock(60, () => now),
    );
    limiter.check('a');
    const refused = limiter.check('a');
    expect(refused.waitSeconds).toBe(1);
    now += 1000;
    expect(limiter.check('a').allowed).toBe(true);
  });

  it('should word the 429 body as Tango does', () => {
    expect(rateLimitBody('burst', 45)).toEqual({
      detail: 'Rate limit exceeded for burst. Please try again in 45 seconds.',
      wait_in_seconds: 45,
    });
  });
});
