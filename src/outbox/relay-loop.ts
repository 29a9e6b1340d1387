import { Logger } from '@nestjs/common';
import { type Histogram } from 'prom-client';
import { type PostgresNotifications } from '../database/postgres-notifications';
import { type MetricsService } from '../metrics/metrics.service';

export interface RelaySource {
  /** Used in logs and metrics. */
  readonly name: string;
  /** NOTIFY channel that announces new rows. */
  readonly channel: string;
  readonly batchSize: number;
  /**
   * Claims one batch under a lease, publishes it with no transaction open, then marks it (see publishUnderLease);
   * returns how many rows it published.
   */
  relayBatch(): Promise<number>;
}

const RELAY_LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900] as const;

/** One relay-lag histogram per registry, shared by the relays: the first relay to ask declares it. */
const relayLagHistograms = new WeakMap<MetricsService, Histogram<'relay'>>();

/**
 * Records `tango_sync_relay_lag_seconds{relay}`: how long each outbox row waited between being written and being
 * acknowledged by Kafka, the relays' end-to-end delay. The relay's series exist (at 0) from its start, so
 * dashboards and alerts see it before the first publish.
 */
export function relayLagObserver(
  metrics: MetricsService,
  relay: string,
): (writtenAtMs: readonly number[], nowMs?: number) => void {
  let histogram = relayLagHistograms.get(metrics);
  if (histogram === undefined) {
    histogram = metrics.histogram(
      'tango_sync_relay_lag_seconds',
      'Time from an outbox row being written to its message being acknowledged by Kafka, by relay',
      RELAY_LAG_BUCKETS,
      ['relay'],
    );
    relayLagHistograms.set(metrics, histogram);
  }
  const lag = histogram;
  lag.zero({ relay });
  return (writtenAtMs, nowMs = Date.now()) => {
    // prom-client throws on a non-finite value, and a metric must never fail a publish that Kafka acknowledged.
    for (const writtenAt of writtenAtMs.filter(Number.isFinite)) {
      lag.observe({ relay }, Math.max(0, nowMs - writtenAt) / 1000);
    }
  };
}

export interface RelayLoopOptions {
  readonly pollIntervalMs: number;
  readonly errorBackoffMs: number;
}

/**
 * Drives an outbox relay: wakes on NOTIFY (with a polling fallback), drains batches while they come back full,
 * backs off on errors, and stops cleanly between batches. Several replicas may run the same source: the source's
 * claim uses FOR UPDATE SKIP LOCKED, so they never publish the same row at the same time.
 */
export class RelayLoop {
  private readonly logger: Logger;
  private running: Promise<void> | undefined;
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private pendingWake = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly source: RelaySource,
    private readonly notifications: PostgresNotifications,
    private readonly options: RelayLoopOptions,
  ) {
    this.logger = new Logger(`RelayLoop:${source.name}`);
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.notifications.subscribe(this.source.channel, () => {
      this.wake();
    });
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.wake();
    await this.running;
  }

  /** Runs batches until one comes back short (for tests and command-line tools). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const published = await this.source.relayBatch();
      total += published;
      if (published < this.source.batchSize) {
        return total;
      }
    }
  }

  private wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let published: number;
      try {
        published = await this.source.relayBatch();
      } catch (error) {
        this.logger.warn({ err: error }, 'relay batch failed; retrying');
        await this.sleep(this.options.errorBackoffMs);
        continue;
      }
      if (published >= this.source.batchSize) {
        continue;
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.pendingWake || this.stopped) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        this.pendingWake = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
