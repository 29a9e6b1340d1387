import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { Ticker } from '../common/ticker';
import { MetricsService } from '../metrics/metrics.service';
import { type RejectionRecord, WebhookRepository } from './webhook.repository';

const FLUSH_INTERVAL_MS = 2_000;
const MAX_BUFFERED = 10_000;

/**
 * Every non-2xx answer the receiver gives may be a delivery Tango later drops, so each one is recorded for the
 * health module: logged at once, and written to `webhook_rejections` in the background. While Postgres is down
 * (the 503 case) they wait in a bounded buffer and are written when it is back.
 */
@Injectable()
export class RejectionRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RejectionRecorder.name);
  private readonly buffer: RejectionRecord[] = [];
  private readonly rejected: Counter<'code'>;
  private readonly lostRecords: Counter;
  private readonly flusher = new Ticker(() => this.writeBuffered());
  /** Records taken out of the buffer by the flush in progress (not written yet). */
  private inFlight = 0;

  constructor(
    private readonly repository: WebhookRepository,
    metrics: MetricsService,
  ) {
    this.rejected = metrics.counter(
      'tango_sync_webhook_rejections_total',
      'Non-2xx answers given to webhook deliveries',
      ['code'],
    );
    this.lostRecords = metrics.counter(
      'tango_sync_webhook_rejection_records_dropped_total',
      'Rejection records dropped because the buffer was full while Postgres was unavailable (still logged)',
    );
  }

  onModuleInit(): void {
    this.flusher.start(FLUSH_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flusher.stop();
    await this.flush();
  }

  record(rejection: RejectionRecord): void {
    this.rejected.inc({ code: rejection.code });
    this.logger.warn(
      {
        httpStatus: rejection.httpStatus,
        code: rejection.code,
        deliveryId: rejection.deliveryId,
        bodySha256: rejection.bodySha256,
        bodyBytes: rejection.bodyBytes,
        remoteAddress: rejection.remoteAddress,
        detail: rejection.detail,
      },
      'webhook delivery rejected',
    );
    if (this.buffer.length >= MAX_BUFFERED) {
      this.buffer.shift();
      this.lostRecords.inc();
    }
    this.buffer.push(rejection);
    if (rejection.httpStatus !== 503) {
      void this.flush();
    }
  }

  /** Writes what is buffered (or joins the write in progress); on failure keeps it for the next attempt. */
  flush(): Promise<void> {
    return this.flusher.runNow();
  }

  private async writeBuffered(): Promise<void> {
    if (this.buffer.length === 0) {
      return;
    }
    const batch = this.buffer.splice(0, this.buffer.length);
    this.inFlight = batch.length;
    try {
      await this.repository.recordRejections(batch);
    } catch (error) {
      this.buffer.unshift(...batch.slice(0, MAX_BUFFERED - this.buffer.length));
      this.logger.debug({ err: error, pending: this.buffer.length }, 'rejection records not written yet');
    } finally {
      this.inFlight = 0;
    }
  }

  /** Records not written yet, including those of a flush in progress. */
  get pending(): number {
    return this.buffer.length + this.inFlight;
  }
}
