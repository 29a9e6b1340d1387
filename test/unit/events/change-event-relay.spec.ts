import { Logger } from '@nestjs/common';
import { parseConfig } from '../../../src/config/app-config';
import { type PostgresNotifications } from '../../../src/database/postgres-notifications';
import { ChangeEventRelay } from '../../../src/events/change-event-relay';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import {
  type ChangeEventRepository,
  type ClaimedChangeEvent,
  type ClaimResult,
} from '../../../src/events/change-event.repository';
import { type KafkaAdapter } from '../../../src/kafka/kafka-adapter';
import { type OutgoingMessage, type TopicSpec } from '../../../src/kafka/kafka.types';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { sampleRow } from './support/event-fixtures';

class FakeKafka {
  readonly sent: { topic: string; messages: readonly OutgoingMessage[] }[] = [];
  readonly ensured: TopicSpec[][] = [];
  failTopic: string | undefined;
  isConnected = true;

  topicName(suffix: string): string {
    return `unit.${suffix}`;
  }

  ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    this.ensured.push([...specs]);
    return Promise.resolve();
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, topic === this.failTopic ? 1 : 20));
    if (topic === this.failTopic) {
      throw new Error(`broker refused ${topic}`);
    }
    this.sent.push({ topic, messages });
  }
}

function claimed(rowId: string, resource: 'contracts' | 'grants', version: number): ClaimedChangeEvent {
  const event = buildChangeEvent(
    sampleRow({
      id: rowId,
      resource,
      recordId: `${resource}-r`,
      version,
      eventId: `00000000-0000-0000-0000-0000000000${rowId}`,
    }),
  );
  return { rowId, lane: 1, resource: event.resource, event };
}

function relayWith(kafka: FakeKafka, claim: ClaimResult, batch: readonly ClaimedChangeEvent[] = []) {
  const repository = {
    claimAndPublish: async (
      _limit: number,
      _leaseMs: number,
      publish: (events: readonly ClaimedChangeEvent[]) => Promise<void>,
    ): Promise<ClaimResult> => {
      if (batch.length > 0) {
        await publish(batch);
      }
      return claim;
    },
  } as unknown as ChangeEventRepository;
  const config = parseConfig({
    DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x_test',
    KAFKA_BROKERS: '127.0.0.1:1',
    WEBHOOK_SECRETS: 's',
    RELAY_BATCH_SIZE: '50',
  });
  return new ChangeEventRelay(
    repository,
    kafka as unknown as KafkaAdapter,
    {} as PostgresNotifications,
    config,
    new MetricsService(),
  );
}

describe('ChangeEventRelay', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('publishes to one topic per family, keyed by record id, in claim order within each topic', async () => {
    const kafka = new FakeKafka();
    const batch = [claimed('11', 'contracts', 1), claimed('12', 'grants', 1), claimed('13', 'contracts', 2)];
    const relay = relayWith(kafka, { published: 3, lanes: [1], blocked: [] }, batch);
    await expect(relay.relayBatch()).resolves.toBe(3);
    const contracts = kafka.sent.find((send) => send.topic === 'unit.contracts.changes.v1');
    const grants = kafka.sent.find((send) => send.topic === 'unit.grants.changes.v1');
    expect(contracts?.messages.map((message) => message.headers?.['tango-sync-version'])).toEqual(['1', '2']);
    expect(contracts?.messages.every((message) => message.key === 'contracts-r')).toBe(true);
    expect(grants?.messages).toHaveLength(1);
    expect(kafka.sent).toHaveLength(2);
  });

  it('creates the change topic of every resource turned on (the default set: families, alerted resources, dimensions)', async () => {
    const kafka = new FakeKafka();
    await relayWith(kafka, { published: 0, lanes: [], blocked: [] }).ensureTopics();
    expect(kafka.ensured[0]?.map((spec) => spec.name)).toEqual([
      'unit.contracts.changes.v1',
      'unit.idvs.changes.v1',
      'unit.otas.changes.v1',
      'unit.otidvs.changes.v1',
      'unit.opportunities.changes.v1',
      'unit.notices.changes.v1',
      'unit.entities.changes.v1',
      'unit.grants.changes.v1',
      'unit.forecasts.changes.v1',
      'unit.exclusions.changes.v1',
      'unit.dibbs_rfqs.changes.v1',
      'unit.dibbs_rfps.changes.v1',
      'unit.agencies.changes.v1',
      'unit.departments.changes.v1',
      'unit.offices.changes.v1',
      'unit.organizations.changes.v1',
      'unit.naics.changes.v1',
      'unit.psc.changes.v1',
      'unit.assistance_listings.changes.v1',
      'unit.business_types.changes.v1',
      'unit.mas_sins.changes.v1',
    ]);
  });

  it('claims nothing and sends nothing while Kafka is not connected', async () => {
    const kafka = new FakeKafka();
    kafka.isConnected = false;
    const relay = relayWith(kafka, { published: 1, lanes: [1], blocked: [] }, [
      claimed('11', 'contracts', 1),
    ]);
    await expect(relay.relayBatch()).resolves.toBe(0);
    expect(kafka.sent).toEqual([]);
    expect(kafka.ensured).toEqual([]);
  });

  it('fails the batch when any topic send fails, but only after the other sends have settled', async () => {
    const kafka = new FakeKafka();
    kafka.failTopic = 'unit.grants.changes.v1';
    const batch = [claimed('11', 'contracts', 1), claimed('12', 'grants', 1)];
    const relay = relayWith(kafka, { published: 2, lanes: [1], blocked: [] }, batch);
    await expect(relay.relayBatch()).rejects.toThrow('broker refused unit.grants.changes.v1');
    // The contracts send (slower than the failing one) had finished before the batch failed.
    expect(kafka.sent.map((send) => send.topic)).toEqual(['unit.contracts.changes.v1']);
  });
});
