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

/**
 * Publishes the change-event outbox to one topic per family (`<prefix>.<family>.changes.v1`), keyed by record id.
 * Any number of replicas may run it: lanes keep each record's events in order (see ChangeEventOutbox).
 */
@Injectable()
export class ChangeEventRelay extends OutboxRelay {
  private readonly topics: Readonly<Record<ResourceFamily, string>>;
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

  /** The change topics of the resources turned on (a resource turned on later gets its topic at that start). */
  protected topicSpecs(): TopicSpec[] {
    return this.mirrored.map((family) => ({ name: this.topics[family] }));
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
   * Sends claimed events, grouped by topic in claim order (so per lane, hence per record, in id order); resolves
   * once the broker acknowledged every one of them.
   */
  async publish(events: readonly ClaimedChangeEvent[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const { resource, event } of events) {
      const topic = this.topics[resource];
      const messages = byTopic.get(topic) ?? [];
      messages.push(changeEventMessage(event));
      byTopic.set(topic, messages);
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
}

/**
 * When an event's outbox row was written: its `time` (the commit of the change, in the same transaction), except
 * for a history replay, whose `time` is the original change's (null: such rows stay out of the relay lag).
 */
function outboxWrittenAt(event: ChangeEvent): number | null {
  return event.provenance.replay_id !== null && !event.snapshot ? null : Date.parse(event.time);
}
