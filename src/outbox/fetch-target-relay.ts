import { Inject, Injectable } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PostgresNotifications } from '../database/postgres-notifications';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { type TopicSpec } from '../kafka/kafka.types';
import { MetricsService } from '../metrics/metrics.service';
import { OUTBOX_CHANNELS } from './channels';
import { FETCH_DEAD_LETTER_TOPIC, FETCH_REQUEST_TOPIC, fetchRequestPartitionSlot } from './fetch-request';
import { type ClaimedTarget, FetchTargetOutbox } from './fetch-target-outbox';
import { OutboxRelay } from './outbox-relay';

/**
 * Publishes pending fetch targets to the fetch-request topic, keyed by `resource:id`; id-list families are placed
 * on one partition each (see fetchRequestPartitionSlot).
 */
@Injectable()
export class FetchTargetRelay extends OutboxRelay {
  private readonly published: Counter;
  private readonly topic: string;

  constructor(
    private readonly outbox: FetchTargetOutbox,
    kafka: KafkaAdapter,
    notifications: PostgresNotifications,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    super('fetch-targets', OUTBOX_CHANNELS.fetchTargets, kafka, notifications, config.relay, metrics);
    this.topic = kafka.topicName(FETCH_REQUEST_TOPIC);
    this.published = metrics.counter(
      'tango_sync_fetch_targets_published_total',
      'Fetch targets published to Kafka',
    );
  }

  protected topicSpecs(): TopicSpec[] {
    return [{ name: this.topic }, { name: this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC) }];
  }

  protected async publishBatch(): Promise<number> {
    const count = await this.outbox.claimAndPublish(this.batchSize, this.leaseMs, (targets) =>
      this.publish(targets),
    );
    this.published.inc(count);
    return count;
  }

  private async publish(targets: readonly ClaimedTarget[]): Promise<void> {
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
  }
}

/**
 * When a target's row was last written (its latest hint, which a repeated hint moves forward). Null for a retry:
 * it waits for its backoff on purpose, which is not relay lag.
 */
function targetWrittenAt(target: ClaimedTarget): number | null {
  return target.request.attempt > 0 ? null : Date.parse(target.request.hintedAt);
}
