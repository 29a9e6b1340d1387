import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Counter } from 'prom-client';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PostgresNotifications } from '../database/postgres-notifications';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { type TopicSpec } from '../kafka/kafka.types';
import { MetricsService } from '../metrics/metrics.service';
import { RelayLoop, relayLagObserver, type RelaySource } from '../outbox/relay-loop';
import { FETCH_DEAD_LETTER_TOPIC, FETCH_REQUEST_TOPIC, fetchRequestPartitionSlot } from './fetch-request';
import { type ClaimedTarget, FetchTargetRepository } from './fetch-target.repository';

/**
 * Publishes pending fetch targets to the fetch-request topic, keyed by `resource:id`; id-list families are placed
 * on one partition each (see fetchRequestPartitionSlot).
 */
@Injectable()
export class FetchTargetRelay implements RelaySource, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly name = 'fetch-targets';
  readonly channel = 'fetch_targets';
  readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly enabled: boolean;
  private readonly logger = new Logger(FetchTargetRelay.name);
  private readonly loop: RelayLoop;
  private readonly published: Counter;
  private readonly observeLag: (writtenAtMs: readonly number[]) => void;
  private readonly topic: string;

  constructor(
    private readonly repository: FetchTargetRepository,
    private readonly kafka: KafkaAdapter,
    notifications: PostgresNotifications,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.batchSize = config.relay.batchSize;
    this.leaseMs = config.relay.leaseMs;
    this.enabled = config.relay.enabled;
    this.topic = kafka.topicName(FETCH_REQUEST_TOPIC);
    this.loop = new RelayLoop(this, notifications, {
      pollIntervalMs: config.relay.pollIntervalMs,
      errorBackoffMs: 2_000,
    });
    this.published = metrics.counter(
      'tango_sync_fetch_targets_published_total',
      'Fetch targets published to Kafka',
    );
    this.observeLag = relayLagObserver(metrics, this.name);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) {
      this.logger.log('outbox relays are switched off in this process (RELAY_ENABLED=false)');
      return;
    }
    // Never waits for Kafka: targets wait in the outbox (and webhooks are acknowledged) until it answers.
    await this.kafka.ensureTopicsWhenConnected(this.topicSpecs());
    await this.loop.start();
    this.logger.log({ topic: this.topic }, 'fetch-target relay started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  async relayBatch(): Promise<number> {
    if (!this.kafka.isConnected) {
      return 0;
    }
    await this.kafka.ensureTopics(this.topicSpecs());
    const count = await this.repository.claimAndPublish(this.batchSize, this.leaseMs, async (targets) => {
      await this.kafka.send(
        this.topic,
        targets.map((target) => ({
          key: target.key,
          partitionSlot: fetchRequestPartitionSlot(target.request.resource),
          value: JSON.stringify(target.request),
          headers: { 'content-type': 'application/json', 'x-tango-sync-schema': target.request.schema },
        })),
      );
      this.observeLag(targets.flatMap((target) => targetWrittenAt(target) ?? []));
    });
    this.published.inc(count);
    return count;
  }

  private topicSpecs(): TopicSpec[] {
    return [{ name: this.topic }, { name: this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC) }];
  }

  /** Publishes everything due now, once Kafka is connected (tests and tools). */
  async drain(): Promise<number> {
    await this.kafka.whenConnected();
    return this.loop.drain();
  }
}

/**
 * When a target's row was last written (its latest hint, which a repeated hint moves forward). Null for a retry:
 * it waits for its backoff on purpose, which is not relay lag.
 */
function targetWrittenAt(target: ClaimedTarget): number | null {
  return target.request.attempt > 0 ? null : Date.parse(target.request.hintedAt);
}
