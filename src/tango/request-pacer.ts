import { Injectable } from '@nestjs/common';
import { type RateLimitSnapshot } from './rate-limit-headers';

/** Why a record is fetched: live webhook fetches first; sweeps and backfills yield when the daily quota runs low. */
export type FetchPriority = 'live' | 'sweep' | 'backfill';

/** A request's priority: a record fetch's, or an operator's management call (paced like a sweep). */
export type RequestPriority = FetchPriority | 'operator';

/**
 * What the Tango client asks before every request and tells after every answer. The worker and its tools use the
 * budget shared in Postgres (TangoRequestBudget); an operator command run without a database paces itself alone
 * (LocalRequestPacer).
 */
export abstract class RequestPacer {
  /** Waits until a request of this priority may be sent, then takes a token for it. */
  abstract acquire(priority: RequestPriority, signal?: AbortSignal): Promise<void>;
  /** Sets the counts from an answer's rate-limit headers. */
  abstract observe(snapshot: RateLimitSnapshot, unseenByServer?: number): Promise<void>;
  /** A 429 arrived: no request until `until`. */
  abstract park(until: Date, reason: string): Promise<void>;
}

/** One process's own pacing: it honours the headers and 429s Tango sends it, and shares nothing. */
@Injectable()
export class LocalRequestPacer extends RequestPacer {
  private burstRemaining: number | null = null;
  private burstResetAt = 0;
  private parkedUntil = 0;

  async acquire(_priority: RequestPriority, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = Date.now();
      const wait = Math.max(
        this.parkedUntil - now,
        this.burstRemaining !== null && this.burstRemaining <= 0 ? this.burstResetAt - now : 0,
      );
      if (wait <= 0) {
        if (this.burstRemaining !== null) {
          this.burstRemaining -= 1;
        }
        return;
      }
      signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 5_000)));
      if (Date.now() >= this.burstResetAt) {
        this.burstRemaining = null;
      }
    }
  }

  observe(snapshot: RateLimitSnapshot): Promise<void> {
    if (snapshot.burst !== null) {
      this.burstRemaining = snapshot.burst.remaining;
      this.burstResetAt = Date.now() + snapshot.burst.resetSeconds * 1000;
    }
    return Promise.resolve();
  }

  park(until: Date): Promise<void> {
    this.parkedUntil = Math.max(this.parkedUntil, until.getTime());
    return Promise.resolve();
  }
}
