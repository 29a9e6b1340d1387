import { Inject, Injectable } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PostgresNotifications } from '../database/postgres-notifications';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { type OutgoingMessage, type TopicSpec } from '../kafka/kafka.types';
import { MetricsService } from '../metrics/metrics.service';
import { OUTBOX_CHANNELS } from '../outbox/channels';
import { OutboxRelay } from '../outbox/outbox-relay';
import { changeEventMessage } from './change-event.envelope';
import { ChangeEventRepository, type ClaimedChangeEvent } from './change-event.repository';
import { type ChangeEvent, changeTopicSuffix } from './change-event.schema';
import { latestStateEvents, stateMessage } from './state-message';
import { STATE_TOPIC_CONFIG, stateTopicSuffix } from './state-message.schema';

/**
 * Publishes the change-event outbox to one topic per family (`<prefix>.<family>.changes.v1`), keyed by record id,
 * and each record's resulting state to the family's compacted state topic (`<prefix>.<family>.state.v1`, same key).
 * Any number of replicas may run it: lanes keep each record's events in order (see ChangeEventOutbox), and a batch
 * is marked published only once both topics acknowledged it.
 */
@Injectable()
export class ChangeEventRelay extends OutboxRelay {
  private readonly topics: Readonly<Record<ResourceFamily, string>>;
  private readonly stateTopics: Readonly<Record<ResourceFamily, string>>;
  private readonly mirrored: readonly ResourceFamily[];
  private readonly published: Counter<'resource' | 'change'>;
  private readonly blocked: Counter<'lane'>;

  constructor(
    private readonly repository: ChangeEventRepository,
    kafka: KafkaAdapter,
    notifications: PostgresNotifications,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    super('change-events', OUTBOX_CHANNELS.changeEvents, kafka, notifications, config.relay, metrics);
    this.topics = Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [family, kafka.topicName(changeTopicSuffix(family))]),
    ) as Record<ResourceFamily, string>;
    this.stateTopics = Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [family, kafka.topicName(stateTopicSuffix(family))]),
    ) as Record<ResourceFamily, string>;
    this.mirrored = config.tango.resources;
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
  }

  /** The topic of a family's change events. */
  topicFor(family: ResourceFamily): string {
    return this.topics[family];
  }

  /** The compacted topic of a family's current state. */
  stateTopicFor(family: ResourceFamily): string {
    return this.stateTopics[family];
  }

  /**
   * The change and state topics of the resources turned on (a resource turned on later gets its topics at that
   * start). A state topic is compacted and has its change topic's partition count, so a key has the same partition
   * in both.
   */
  protected topicSpecs(): TopicSpec[] {
    return [
      ...this.mirrored.map((family) => ({ name: this.topics[family] })),
      ...this.mirrored.map((family) => ({
        name: this.stateTopics[family],
        partitionsOf: this.topics[family],
        configEntries: STATE_TOPIC_CONFIG,
      })),
    ];
  }

  protected async publishBatch(): Promise<number> {
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
   * Sends claimed events, grouped by topic in claim order (so per lane, hence per record, in id order), then the
   * state each record is left in (its batch's last state-writing event) to the state topics; resolves once the
   * broker acknowledged every one of them. Either send failing fails the batch, so its rows stay pending and both
   * are sent again (state messages are idempotent by key and version). A state message is sent only after the
   * change events of its batch, and a lane's next batch only after this one is marked, so a record's state message
   * is never older than a change event already published for it.
   */
  async publish(events: readonly ClaimedChangeEvent[]): Promise<void> {
    const changes = events.map(({ event }) => event);
    await this.sendByTopic(changes.map((event) => [this.topics[event.resource], changeEventMessage(event)]));
    await this.sendByTopic(
      latestStateEvents(changes).map((event) => [this.stateTopics[event.resource], stateMessage(event)]),
    );
    for (const event of changes) {
      this.published.inc({ resource: event.resource, change: event.change });
    }
    this.observeLag(changes.flatMap((event) => outboxWrittenAt(event) ?? []));
  }

  /** Sends messages grouped by topic, keeping their order within each topic; throws if any topic's send failed. */
  private async sendByTopic(messages: readonly (readonly [string, OutgoingMessage])[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const [topic, message] of messages) {
      const list = byTopic.get(topic) ?? [];
      list.push(message);
      byTopic.set(topic, list);
    }
    // Topics in parallel (a record lives in one topic), but wait for all before failing, so a retry of this batch
    // never races a send still in flight.
    const results = await Promise.allSettled(
      [...byTopic].map(([topic, list]) => this.kafka.send(topic, list)),
    );
    for (const result of results) {
      if (result.status === 'rejected') {
        throw result.reason instanceof Error ? result.reason : new Error(String(result.reason));
      }
    }
  }
}

/**
 * When an event's outbox row was written: its `time` (the commit of the change, in the same transaction), except
 * for a history replay, whose `time` is the original change's (null: such rows stay out of the relay lag).
 */
function outboxWrittenAt(event: ChangeEvent): number | null {
  return event.provenance.replay_id !== null && !event.snapshot ? null : Date.parse(event.time);
}
