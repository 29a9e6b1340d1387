import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { type Counter, type Histogram } from 'prom-client';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { classifyDatabaseError, sqlState } from '../common/errors/database-errors';
import { MetricsService } from '../metrics/metrics.service';
import { type DeliveryToStore, type StoreOutcome, WebhookRepository } from './webhook.repository';

/** Raw bodies per statement: 16 deliveries of the default maximum size (256 KiB). */
const WRITE_BATCH_MAX_BYTES = 4 * 1024 * 1024;
/** A statement Postgres rolled back for a deadlock or serialization failure is run again this many times in all. */
export const CONFLICT_ATTEMPTS = 5;

/** Writes a batch of deliveries in one statement; outcomes in input order. */
export type StoreDeliveries = (deliveries: readonly DeliveryToStore[]) => Promise<StoreOutcome[]>;

export interface WriteQueueLimits {
  /** Statements in flight at once. */
  readonly concurrency: number;
  /** Most deliveries per statement. */
  readonly maxDeliveries: number;
  /** Most raw-body bytes per statement (a single larger delivery still goes alone). */
  readonly maxBytes: number;
}

interface Waiting {
  readonly delivery: DeliveryToStore;
  readonly resolve: (outcome: StoreOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit for webhook deliveries. Each delivery is acknowledged only after the transaction holding it
 * committed, but deliveries that arrive while earlier statements are running share the next statement: at most
 * `concurrency` statements run at once and each takes everything that waits (up to the limits). An idle receiver
 * writes a delivery at once, alone, so batching adds no latency; a busy one spends one commit, one plan and one
 * round trip on many deliveries instead of one each, which is what keeps the ack p99 low under load.
 *
 * A statement Postgres rolled back to keep order (a deadlock, a serialization failure) is run again, whole, a few
 * times before anything is answered: such a conflict never reaches Tango. A statement that fails for a reason tied
 * to its content (a value Postgres refuses, a timeout) is retried one delivery at a time, so one bad delivery never
 * fails the others; a connection failure fails them all at once (each then answers 503 and Tango retries it).
 */
export class DeliveryWriteBatcher {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly store: StoreDeliveries,
    private readonly limits: WriteQueueLimits,
    private readonly onBatch: (size: number) => void = () => undefined,
    private readonly onConflict: () => void = () => undefined,
  ) {}

  write(delivery: DeliveryToStore): Promise<StoreOutcome> {
    return new Promise<StoreOutcome>((resolve, reject) => {
      this.waiting.push({ delivery, resolve, reject });
      this.startStatements();
    });
  }

  /** Deliveries waiting or being written. */
  get pending(): number {
    return this.waiting.length + this.running;
  }

  /** Resolves once nothing waits and no statement runs. */
  drained(): Promise<void> {
    if (this.pending === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private startStatements(): void {
    while (this.running < this.limits.concurrency && this.waiting.length > 0) {
      const batch = this.takeBatch();
      this.running += 1;
      let released = false;
      // Frees the slot and starts the next statement: called as soon as this one has settled, before its waiters
      // are answered, so the database is not left idle while the answers go out.
      const release = (): void => {
        if (released) {
          return;
        }
        released = true;
        this.running -= 1;
        this.startStatements();
      };
      void this.writeBatch(batch, release).finally(() => {
        release();
        this.settleIdle();
      });
    }
  }

  private settleIdle(): void {
    if (this.pending === 0) {
      const idle = this.idle;
      this.idle = [];
      idle.forEach((resolve) => {
        resolve();
      });
    }
  }

  private takeBatch(): Waiting[] {
    const batch: Waiting[] = [];
    let bytes = 0;
    while (this.waiting.length > 0 && batch.length < this.limits.maxDeliveries) {
      const next = this.waiting[0];
      if (
        next === undefined ||
        (batch.length > 0 && bytes + next.delivery.rawBody.length > this.limits.maxBytes)
      ) {
        break;
      }
      bytes += next.delivery.rawBody.length;
      batch.push(next);
      this.waiting.shift();
    }
    return batch;
  }

  /** Runs the statement again after a deadlock or serialization failure, with a short randomized pause. */
  private async storeRetryingConflicts(deliveries: readonly DeliveryToStore[]): Promise<StoreOutcome[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.store(deliveries);
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || classifyDatabaseError(error) !== 'DATABASE.CONFLICT') {
          throw error;
        }
        this.onConflict();
        await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 10));
      }
    }
  }

  private async writeBatch(batch: readonly Waiting[], release: () => void): Promise<void> {
    this.onBatch(batch.length);
    try {
      const outcomes = await this.storeRetryingConflicts(batch.map((item) => item.delivery));
      release();
      batch.forEach((item, index) => {
        const outcome = outcomes[index];
        if (outcome === undefined) {
          item.reject(new Error('the batch write returned fewer outcomes than deliveries'));
        } else {
          item.resolve(outcome);
        }
      });
    } catch (error) {
      if (batch.length === 1 || !isContentError(error)) {
        release();
        batch.forEach((item) => {
          item.reject(error);
        });
        return;
      }
      for (const item of batch) {
        try {
          const [outcome] = await this.storeRetryingConflicts([item.delivery]);
          if (outcome === undefined) {
            item.reject(new Error('the write returned no outcome'));
          } else {
            item.resolve(outcome);
          }
        } catch (single) {
          item.reject(single);
        }
      }
    }
  }
}

/**
 * SQLSTATE classes that depend on what the statement wrote rather than on the server being reachable: data
 * exceptions (22), integrity violations (23), transaction rollbacks such as deadlocks (40), program limits (54),
 * and a cancelled statement (57014, the statement timeout).
 */
const CONTENT_ERROR_CLASSES = new Set(['22', '23', '40', '54']);

export function isContentError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (CONTENT_ERROR_CLASSES.has(code.slice(0, 2)) || code === '57014');
}

/** The receiver's batcher over the webhook repository, with its limits from the configuration. */
@Injectable()
export class DeliveryWriteQueue implements BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWriteQueue.name);
  private readonly batcher: DeliveryWriteBatcher;
  private readonly batchSizes: Histogram;
  private readonly conflicts: Counter;

  constructor(repository: WebhookRepository, @Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    this.batchSizes = metrics.histogram(
      'tango_sync_webhook_write_batch_deliveries',
      'Deliveries committed by one ingest statement',
      [1, 2, 4, 8, 16, 32, 64, 128],
    );
    this.conflicts = metrics.counter(
      'tango_sync_webhook_write_conflicts_total',
      'Ingest statements Postgres rolled back for a deadlock or serialization failure and that were run again',
    );
    this.batcher = new DeliveryWriteBatcher(
      (deliveries) => repository.storeDeliveries(deliveries),
      {
        concurrency: config.webhook.writeConcurrency,
        maxDeliveries: config.webhook.writeBatchMax,
        maxBytes: WRITE_BATCH_MAX_BYTES,
      },
      (size) => {
        this.batchSizes.observe(size);
      },
      () => {
        this.conflicts.inc();
      },
    );
  }

  write(delivery: DeliveryToStore): Promise<StoreOutcome> {
    return this.batcher.write(delivery);
  }

  /** Requests still being answered finish their writes before the pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.batcher.pending > 0) {
      this.logger.log({ pending: this.batcher.pending }, 'waiting for delivery writes to finish');
    }
    await this.batcher.drained();
  }
}
