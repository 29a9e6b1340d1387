import { Logger } from '@nestjs/common';
import { type PostgresNotifications } from '../database/postgres-notifications';

export interface RelaySource {
  /** Used in logs and metrics. */
  readonly name: string;
  /** NOTIFY channel that announces new rows. */
  readonly channel: string;
  readonly batchSize: number;
  /** Claims, publishes and marks one batch in one transaction; returns how many rows it published. */
  relayBatch(): Promise<number>;
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
