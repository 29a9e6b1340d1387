import { Agent, request } from 'undici';
import { type SimClock } from '../clock';
import { type Counters } from '../counters';
import { type WebhookSettings } from '../options';
import { type Rng, createRng } from '../prng';
import { CircuitBreaker } from './circuit-breaker';
import { signatureHeaderValue } from './signer';

export interface DeliveryTarget {
  readonly id: string;
  readonly callback_url: string;
  readonly secret: string;
  readonly is_active: boolean;
}

export type DeliveryOutcome = 'pending' | 'acknowledged' | 'given-up' | 'skipped-circuit-open' | 'cancelled';

export interface DeliveryAttempt {
  readonly delivery_id: string;
  readonly endpoint_id: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly at: string;
}

export interface DeliveryRecord {
  readonly delivery_id: string;
  readonly endpoint_id: string;
  readonly event_types: readonly string[];
  readonly body: Buffer;
  attempts: number;
  outcome: DeliveryOutcome;
}

export interface PostResult {
  readonly status: number | null;
  readonly error: string | null;
  readonly body: string;
  readonly elapsedMs: number;
}

const LOG_LIMIT = 2000;

/**
 * Sends signed deliveries with Tango's error-aware retries (4xx: 2 attempts, 5xx: 5, network/timeouts: 7,
 * exponential backoff from `retryBaseDelaySeconds`), the same `delivery_id` and bytes on every attempt, and a
 * circuit breaker per endpoint. After the last attempt a delivery is gone.
 */
export class Dispatcher {
  readonly attempts: DeliveryAttempt[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly agent = new Agent({ connect: { timeout: 5_000 } });
  private readonly rng: Rng;
  private closed = false;

  constructor(
    private readonly settings: () => WebhookSettings,
    private readonly clock: SimClock,
    private readonly counters: Counters,
    seed: number,
  ) {
    this.rng = createRng(`${seed}:dispatcher`);
  }

  breaker(endpointId: string): CircuitBreaker {
    let breaker = this.breakers.get(endpointId);
    if (breaker === undefined) {
      breaker = new CircuitBreaker(() => {
        const s = this.settings();
        return {
          failureThreshold: s.breakerFailureThreshold,
          openSeconds: s.breakerOpenSeconds,
          reopenSeconds: s.breakerReopenSeconds,
        };
      }, this.clock);
      this.breakers.set(endpointId, breaker);
    }
    return breaker;
  }

  /** Starts delivering `body` (exact bytes, signed once) to `target`; the returned record tracks it. */
  deliver(
    target: () => DeliveryTarget | undefined,
    endpointId: string,
    deliveryId: string,
    body: Buffer,
    eventTypes: readonly string[],
  ): DeliveryRecord {
    const record: DeliveryRecord = {
      delivery_id: deliveryId,
      endpoint_id: endpointId,
      event_types: eventTypes,
      body,
      attempts: 0,
      outcome: 'pending',
    };
    this.deliveries.push(record);
    if (this.deliveries.length > LOG_LIMIT) {
      this.deliveries.shift();
    }
    const run = this.run(record, target).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
    return record;
  }

  /** Resolves when every delivery started so far has acknowledged, given up or been skipped. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) {
      await Promise.all([...this.inFlight]);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
    await this.settle();
    await this.agent.close();
  }

  /** One signed POST; used for deliveries and `test-delivery`. */
  async post(
    url: string,
    body: Buffer,
    secret: string,
    extra: Readonly<Record<string, string>> = {},
  ): Promise<PostResult> {
    const started = Date.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'Tango-Webhooks/1.0 (tango-sync simulator)',
      'x-tango-signature': signatureHeaderValue(body, secret),
      ...extra,
    };
    try {
      const response = await request(url, {
        method: 'POST',
        body,
        headers,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.settings().deliveryTimeoutMs),
      });
      const text = await response.body.text();
      return {
        status: response.statusCode,
        error: null,
        body: text.slice(0, 1000),
        elapsedMs: Date.now() - started,
      };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { status: null, error: message, body: '', elapsedMs: Date.now() - started };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  private maxAttempts(status: number | null): number {
    const s = this.settings();
    if (status === null) {
      return s.maxAttemptsNetwork;
    }
    return status >= 500 ? s.maxAttempts5xx : s.maxAttempts4xx;
  }

  private log(record: DeliveryRecord, result: PostResult | undefined): void {
    this.attempts.push({
      delivery_id: record.delivery_id,
      endpoint_id: record.endpoint_id,
      attempt: record.attempts,
      status: result?.status ?? null,
      error: result === undefined ? 'skipped: circuit open' : result.error,
      at: new Date(this.clock.now()).toISOString(),
    });
    if (this.attempts.length > LOG_LIMIT) {
      this.attempts.shift();
    }
  }

  private async run(record: DeliveryRecord, target: () => DeliveryTarget | undefined): Promise<void> {
    const s = this.settings();
    if (s.extraDelayMs > 0) {
      await this.sleep(s.extraDelayMs);
    }
    for (;;) {
      const endpoint = target();
      if (this.closed || !endpoint?.is_active) {
        record.outcome = 'cancelled';
        return;
      }
      const breaker = this.breaker(record.endpoint_id);
      if (!breaker.tryAcquire()) {
        record.outcome = 'skipped-circuit-open';
        this.counters.add('deliveriesSkippedCircuitOpen');
        this.log(record, undefined);
        return;
      }
      record.attempts += 1;
      this.counters.add('deliveriesAttempted');
      const extra: Record<string, string> = this.settings().extraHeaders
        ? {
            'x-tango-event': record.event_types[0] ?? '',
            'x-tango-delivery-id': record.delivery_id,
            'x-tango-delivery-timestamp': String(Math.floor(this.clock.now() / 1000)),
          }
        : {};
      const result = await this.post(endpoint.callback_url, record.body, endpoint.secret, extra);
      this.log(record, result);
      if (result.status !== null && result.status >= 200 && result.status < 300) {
        breaker.recordSuccess();
        record.outcome = 'acknowledged';
        this.counters.add('deliveriesAcknowledged');
        if (this.rng.chance(this.settings().duplicateRate)) {
          this.counters.add('deliveriesDuplicated');
          this.counters.add('deliveriesAttempted');
          await this.post(endpoint.callback_url, record.body, endpoint.secret, extra);
        }
        return;
      }
      breaker.recordFailure();
      this.counters.add('deliveriesFailed');
      if (record.attempts >= this.maxAttempts(result.status)) {
        record.outcome = 'given-up';
        this.counters.add('deliveriesGivenUp');
        return;
      }
      await this.sleep(this.clock.realMs(this.settings().retryBaseDelaySeconds * 2 ** (record.attempts - 1)));
    }
  }
}
