import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type Counter } from 'prom-client';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PostgresNotifications } from '../database/postgres-notifications';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { type OutgoingMessage, type TopicSpec } from '../kafka/kafka.types';
import { MetricsService } from '../metrics/metrics.service';
import { RelayLoop, relayLagObserver, type RelaySource } from '../outbox/relay-loop';
import { changeEventMessage } from './change-event.envelope';
import {
  CHANGE_EVENT_CHANNEL,
  ChangeEventRepository,
  type ClaimedChangeEvent,
} from './change-event.repository';
import { type ChangeEvent, changeTopicSuffix } from './change-event.schema';

/**
 * Publishes the change-event outbox to one topic per family (`<prefix>.<family>.changes.v1`), keyed by record id.
 * Any number of replicas may run it: lanes keep each record's events in order (see ChangeEventRepository).
 */
@Injectable()
export class ChangeEventRelay implements RelaySource, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly name = 'change-events';
  readonly channel = CHANGE_EVENT_CHANNEL;
  readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly enabled: boolean;
  private readonly logger = new Logger(ChangeEventRelay.name);
  private readonly loop: RelayLoop;
  private readonly topics: Readonly<Record<ResourceFamily, string>>;
  private readonly published: Counter<'resource' | 'change'>;
  private readonly blocked: Counter<'lane'>;
  private readonly observeLag: (writtenAtMs: readonly number[]) => void;

  constructor(
    private readonly repository: ChangeEventRepository,
    private readonly kafka: KafkaAdapter,
    notifications: PostgresNotifications,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.batchSize = config.relay.batchSize;
    this.leaseMs = config.relay.leaseMs;
    this.enabled = config.relay.enabled;
    this.topics = Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [family, kafka.topicName(changeTopicSuffix(family))]),
    ) as Record<ResourceFamily, string>;
    this.loop = new RelayLoop(this, notifications, {
      pollIntervalMs: config.relay.pollIntervalMs,
      errorBackoffMs: 2_000,
    });
    this.published = metrics.counter(
      'tango_sync_change_events_published_total',
      'Change events published to Kafka (re-publishes after a failed batch count again)',
      ['resource', 'change'],
    );
    this.blocked = metrics.counter(
      'tango_sync_change_events_blocked_total',
      'Relay batches that found a lane stopped at an outbox row that is not a valid event',
      ['lane'],
    );
    this.observeLag = relayLagObserver(metrics, this.name);
  }

  /** The topic of a family's change events. */
  topicFor(family: ResourceFamily): string {
    return this.topics[family];
  }

  /** Creates the nine change topics (partitions from KAFKA_TOPIC_PARTITIONS) if they do not exist. */
  async ensureTopics(): Promise<void> {
    await this.kafka.ensureTopics(this.topicSpecs());
  }

  private topicSpecs(): TopicSpec[] {
    return RESOURCE_FAMILIES.map((family) => ({ name: this.topics[family] }));
  }

  async onApplicationBootstrap(): Promise<void> {
    // Topics exist as soon as any replica has reached Kafka, so consumers can subscribe before the first event;
    // boot never waits for Kafka (events wait in the outbox until it answers).
    await this.kafka.ensureTopicsWhenConnected(this.topicSpecs());
    if (!this.enabled) {
      this.logger.log('outbox relays are switched off in this process (RELAY_ENABLED=false)');
      return;
    }
    await this.loop.start();
    this.logger.log({ topics: Object.values(this.topics) }, 'change-event relay started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  async relayBatch(): Promise<number> {
    if (!this.kafka.isConnected) {
      return 0;
    }
    await this.ensureTopics();
    const result = await this.repository.claimAndPublish(this.batchSize, this.leaseMs, (events) =>
      this.publish(events),
    );
    for (const { lane, error } of result.blocked) {
      this.blocked.inc({ lane: String(lane) });
      this.logger.error(
        { lane, rowId: error.rowId, eventId: error.eventId, problems: error.problems },
        'change-event lane is stopped at an invalid outbox row; repair or remove the row to resume it',
      );
    }
    return result.published;
  }

  /**
   * Sends claimed events, grouped by topic in claim order (so per lane, hence per record, in id order); resolves
   * once the broker acknowledged every one of them.
   */
  async publish(events: readonly ClaimedChangeEvent[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { resource, event } of events) {
      const topic = this.topics[resource];
      let messages = byTopic.get(topic);
      if (messages === undefined) {
        messages = [];
        byTopic.set(topic, messages);
      }
      messages.push(changeEventMessage(event));
    }
    // Topics in parallel (a record lives in one topic), but wait for all before failing, so a retry of this batch
    // never races a send still in flight.
    const results = await Promise.allSettled(
      [...byTopic].map(([topic, messages]) => this.kafka.send(topic, messages)),
    );
    for (const result of results) {
      if (result.status === 'rejected') {
        throw result.reason instanceof Error ? result.reason : new Error(String(result.reason));
      }
    }
    for (const { event } of events) {
      this.published.inc({ resource: event.resource, change: event.change });
    }
    this.observeLag(events.flatMap(({ event }) => outboxWrittenAt(event) ?? []));
  }

  /** Publishes everything pending now, once Kafka is connected (tests and tools). */
  async drain(): Promise<number> {
    await this.kafka.whenConnected();
    return this.loop.drain();
  }
}

/**
 * When an event's outbox row was written: its `time` (the commit of the change, in the same transaction), except
 * for a history replay, whose `time` is the original change's (null: such rows stay out of the relay lag).
 */
function outboxWrittenAt(event: ChangeEvent): number | null {
  return event.provenance.replay_id !== null && !event.snapshot ? null : Date.parse(event.time);
}
