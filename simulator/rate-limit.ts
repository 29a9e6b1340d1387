import { type SimClock } from './clock';
import { type RateLimitSettings } from './options';

interface Bucket {
  burstWindow: number;
  burstCount: number;
  dailyWindow: number;
  dailyCount: number;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly headers: Record<string, string>;
  readonly limitType?: 'burst' | 'daily';
  readonly waitSeconds?: number;
}

/**
 * Per-API-key fixed windows (burst and daily) counted from simulator start. Window lengths are simulated
 * seconds, so the time scale shortens them; every reset figure in headers is real seconds, rounded up.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly startedAt: number;

  constructor(
    private settings: RateLimitSettings,
    private readonly clock: SimClock,
  ) {
    this.startedAt = clock.now();
  }

  update(settings: RateLimitSettings): void {
    this.settings = settings;
    this.buckets.clear();
  }

  current(): RateLimitSettings {
    return this.settings;
  }

  /** Counts one request for `key` unless a window is exhausted. `consume: false` only reports. */
  check(key: string, consume = true): RateLimitDecision {
    const now = this.clock.now();
    const burstMs = this.clock.realMs(this.settings.burstWindowSeconds);
    const dailyMs = this.clock.realMs(this.settings.dailyWindowSeconds);
    const burstWindow = Math.floor((now - this.startedAt) / burstMs);
    const dailyWindow = Math.floor((now - this.startedAt) / dailyMs);
    const bucket = this.buckets.get(key) ?? { burstWindow, burstCount: 0, dailyWindow, dailyCount: 0 };
    if (bucket.burstWindow !== burstWindow) {
      bucket.burstWindow = burstWindow;
      bucket.burstCount = 0;
    }
    if (bucket.dailyWindow !== dailyWindow) {
      bucket.dailyWindow = dailyWindow;
      bucket.dailyCount = 0;
    }
    if (consume) {
      this.buckets.set(key, bucket);
    }
    const burstReset = Math.max(1, Math.ceil((this.startedAt + (burstWindow + 1) * burstMs - now) / 1000));
    const dailyReset = Math.max(1, Math.ceil((this.startedAt + (dailyWindow + 1) * dailyMs - now) / 1000));
    let limitType: 'burst' | 'daily' | undefined;
    if (bucket.dailyCount >= this.settings.dailyLimit) {
      limitType = 'daily';
    } else if (bucket.burstCount >= this.settings.burstLimit) {
      limitType = 'burst';
    } else if (consume) {
      bucket.burstCount += 1;
      bucket.dailyCount += 1;
    }
    const burstRemaining = Math.max(0, this.settings.burstLimit - bucket.burstCount);
    const dailyRemaining = Math.max(0, this.settings.dailyLimit - bucket.dailyCount);
    const burstTighter = burstRemaining <= dailyRemaining;
    const headers: Record<string, string> = {
      'X-RateLimit-Limit': String(burstTighter ? this.settings.burstLimit : this.settings.dailyLimit),
      'X-RateLimit-Remaining': String(burstTighter ? burstRemaining : dailyRemaining),
      'X-RateLimit-Reset': String(burstTighter ? burstReset : dailyReset),
      'X-RateLimit-Burst-Limit': String(this.settings.burstLimit),
      'X-RateLimit-Burst-Remaining': String(burstRemaining),
      'X-RateLimit-Burst-Reset': String(burstReset),
      'X-RateLimit-Daily-Limit': String(this.settings.dailyLimit),
      'X-RateLimit-Daily-Remaining': String(dailyRemaining),
      'X-RateLimit-Daily-Reset': String(dailyReset),
    };
    if (limitType === undefined) {
      return { allowed: true, headers };
    }
    const waitSeconds = limitType === 'burst' ? burstReset : dailyReset;
    return { allowed: false, headers, limitType, waitSeconds };
  }
}

export function rateLimitBody(
  limitType: 'burst' | 'daily',
  waitSeconds: number,
): { detail: string; wait_in_seconds: number } {
  return {
    detail: `Rate limit exceeded for ${limitType}. Please try again in ${waitSeconds} seconds.`,
    wait_in_seconds: waitSeconds,
  };
}
