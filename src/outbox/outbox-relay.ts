import { type BeforeApplicationShutdown, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { type PostgresNotifications } from '../database/postgres-notifications';
import { type KafkaAdapter } from '../kafka/kafka-adapter';
import { type TopicSpec } from '../kafka/kafka.types';
import { type MetricsService } from '../metrics/metrics.service';
import { type OutboxChannel } from './channels';
import { RelayLoop, relayLagObserver, type RelaySource } from './relay-loop';

/** A failed batch waits this long before the next try. */
const RELAY_ERROR_BACKOFF_MS = 2_000;

/**
 * What every outbox relay does the same way: its loop (NOTIFY wake-ups, polling fallback, backoff), its switch
 * (RELAY_ENABLED), its topics (created as soon as Kafka answers; boot never waits for Kafka, rows wait in the
 * outbox), its relay-lag histogram, and a clean stop between batches. A table's relay says which topics it writes
 * and how one batch is claimed and published (`publishBatch`, through `publishUnderLease`).
 */
export abstract class OutboxRelay implements RelaySource, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly batchSize: number;
  protected readonly leaseMs: number;
  protected readonly logger: Logger;
  protected readonly observeLag: (writtenAtMs: readonly number[]) => void;
  private readonly enabled: boolean;
  private readonly loop: RelayLoop;

  protected constructor(
    readonly name: string,
    readonly channel: OutboxChannel,
    protected readonly kafka: KafkaAdapter,
    notifications: PostgresNotifications,
    settings: AppConfig['relay'],
    metrics: MetricsService,
  ) {
    this.logger = new Logger(`OutboxRelay:${name}`);
    this.batchSize = settings.batchSize;
    this.leaseMs = settings.leaseMs;
    this.enabled = settings.enabled;
    this.loop = new RelayLoop(this, notifications, {
      pollIntervalMs: settings.pollIntervalMs,
      errorBackoffMs: RELAY_ERROR_BACKOFF_MS,
    });
    this.observeLag = relayLagObserver(metrics, name);
  }

  /** The topics this relay writes (created if missing). */
  protected abstract topicSpecs(): TopicSpec[];

  /** Claims one batch, publishes it and marks it; returns how many rows it published. */
  protected abstract publishBatch(): Promise<number>;

  /** Creates this relay's topics if they do not exist. */
  async ensureTopics(): Promise<void> {
    await this.kafka.ensureTopics(this.topicSpecs());
  }

  async onApplicationBootstrap(): Promise<void> {
    // Topics exist as soon as any replica has reached Kafka, so consumers can subscribe before the first message.
    await this.kafka.ensureTopicsWhenConnected(this.topicSpecs());
    if (!this.enabled) {
      this.logger.log('outbox relays are switched off in this process (RELAY_ENABLED=false)');
      return;
    }
    await this.loop.start();
    this.logger.log({ topics: this.topicSpecs().map((topic) => topic.name) }, `${this.name} relay started`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  async relayBatch(): Promise<number> {
    if (!this.kafka.isConnected) {
      return 0;
    }
    await this.ensureTopics();
    return this.publishBatch();
  }

  /** Publishes everything due now, once Kafka is connected (tests and tools). */
  async drain(): Promise<number> {
    await this.kafka.whenConnected();
    return this.loop.drain();
  }
}
