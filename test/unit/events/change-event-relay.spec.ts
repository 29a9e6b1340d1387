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
import { publishUnderLease } from '../../../src/outbox/leased-publish';
import { rowsOfEveryChange, sampleRow } from './support/event-fixtures';

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

function relayWith(
  kafka: FakeKafka,
  claim: ClaimResult,
  batch: readonly ClaimedChangeEvent[] = [],
  claimingRepository?: ChangeEventRepository,
) {
  const repository =
    claimingRepository ??
    ({
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
    } as unknown as ChangeEventRepository);
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
    // One send per change topic, then one per state topic.
    expect(kafka.sent.map((send) => send.topic).slice(2)).toEqual(
      expect.arrayContaining(['unit.contracts.state.v1', 'unit.grants.state.v1']),
    );
    expect(kafka.sent).toHaveLength(4);
  });

  it('creates the change topic of every resource turned on (the default set: families, alerted resources, dimensions)', async () => {
    const kafka = new FakeKafka();
    await relayWith(kafka, { published: 0, lanes: [], blocked: [] }).ensureTopics();
    const changeTopics = kafka.ensured[0]?.filter((spec) => spec.name.endsWith('.changes.v1'));
    expect(changeTopics?.map((spec) => spec.name)).toEqual([
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

  it('creates a compacted state topic per resource turned on, with its change topic’s partition count', async () => {
    const kafka = new FakeKafka();
    await relayWith(kafka, { published: 0, lanes: [], blocked: [] }).ensureTopics();
    const specs = kafka.ensured[0] ?? [];
    const changeTopics = specs.filter((spec) => spec.name.endsWith('.changes.v1')).map((spec) => spec.name);
    const stateTopics = specs.filter((spec) => spec.name.endsWith('.state.v1'));
    expect(stateTopics.map((spec) => spec.name)).toEqual(
      changeTopics.map((name) => name.replace(/\.changes\.v1$/, '.state.v1')),
    );
    expect(specs).toHaveLength(changeTopics.length * 2);
    for (const spec of stateTopics) {
      expect(spec).toEqual({
        name: spec.name,
        partitionsOf: spec.name.replace(/\.state\.v1$/, '.changes.v1'),
        configEntries: { 'cleanup.policy': 'compact' },
      });
    }
  });

  describe('state topic', () => {
    const claimedRow = (overrides: Parameters<typeof sampleRow>[0], rowId: string): ClaimedChangeEvent => {
      const event = buildChangeEvent(sampleRow({ ...overrides, id: rowId }));
      return { rowId, lane: 3, resource: event.resource, event };
    };

    it.each(rowsOfEveryChange('contracts').map((row) => [row.changeType, row] as const))(
      'maps %s to the record’s new state (a tombstone for deleted), under the change event’s key',
      async (change, row) => {
        const kafka = new FakeKafka();
        const batch = [claimedRow(row, '21')];
        await relayWith(kafka, { published: 1, lanes: [3], blocked: [] }, batch).relayBatch();
        expect(kafka.sent.map((send) => send.topic)).toEqual([
          'unit.contracts.changes.v1',
          'unit.contracts.state.v1',
        ]);
        const [changeMessage] = kafka.sent[0]?.messages ?? [];
        const [stateMessage] = kafka.sent[1]?.messages ?? [];
        expect(stateMessage?.key).toBe(changeMessage?.key);
        expect(stateMessage?.key).toBe('contracts-1');
        expect(stateMessage?.headers).toMatchObject({
          'tango-sync-change': change,
          'tango-sync-version': String(row.version),
        });
        if (change === 'deleted') {
          expect(stateMessage?.value).toBeNull();
        } else {
          expect(JSON.parse(String(stateMessage?.value))).toEqual({
            resource: 'contracts',
            id: 'contracts-1',
            version: row.version,
            hash: row.hash,
            time: row.occurredAt.toISOString(),
            data: row.record,
          });
        }
      },
    );

    it('sends each record’s last state of the batch, after all the batch’s change events', async () => {
      const kafka = new FakeKafka();
      const [created, updated, , deleted] = rowsOfEveryChange('contracts');
      const batch = [
        claimedRow({ ...created, recordId: 'a' }, '31'),
        claimedRow({ ...created, recordId: 'b' }, '32'),
        claimedRow({ ...updated, recordId: 'a' }, '33'),
        claimedRow({ ...deleted, recordId: 'b' }, '34'),
      ];
      await relayWith(kafka, { published: 4, lanes: [3], blocked: [] }, batch).relayBatch();
      expect(kafka.sent.map((send) => send.topic)).toEqual([
        'unit.contracts.changes.v1',
        'unit.contracts.state.v1',
      ]);
      expect(kafka.sent[0]?.messages.map((message) => message.key)).toEqual(['a', 'b', 'a', 'b']);
      expect(
        kafka.sent[1]?.messages.map((message) => [
          message.key,
          message.headers?.['tango-sync-version'],
          message.value === null,
        ]),
      ).toEqual([
        ['a', '2', false],
        ['b', '4', true],
      ]);
    });

    it('writes no state for a history replay of a past change (it would overwrite a newer state)', async () => {
      const kafka = new FakeKafka();
      const [, updated] = rowsOfEveryChange('contracts');
      const replayed = claimedRow(
        { ...updated, provenance: { reasons: ['changed'], replayId: 'history-1' } },
        '41',
      );
      await relayWith(kafka, { published: 1, lanes: [3], blocked: [] }, [replayed]).relayBatch();
      expect(kafka.sent.map((send) => send.topic)).toEqual(['unit.contracts.changes.v1']);
    });

    it('keeps the batch pending (released, never settled) when the state topic refuses it', async () => {
      const kafka = new FakeKafka();
      kafka.failTopic = 'unit.contracts.state.v1';
      const lease = { settled: 0, released: 0 };
      const batch = [claimed('51', 'contracts', 1)];
      const repository = {
        claimAndPublish: async (
          _limit: number,
          leaseMs: number,
          publish: (events: readonly ClaimedChangeEvent[]) => Promise<void>,
        ): Promise<ClaimResult> => {
          const published = await publishUnderLease(
            leaseMs,
            {
              items: batch,
              renew: () => Promise.resolve(),
              settle: () => Promise.resolve((lease.settled += batch.length)),
              release: () => Promise.resolve((lease.released += 1)),
              onRenewError: () => undefined,
            },
            publish,
          );
          return { published, lanes: [1], blocked: [] };
        },
      } as unknown as ChangeEventRepository;
      const relay = relayWith(kafka, { published: 0, lanes: [], blocked: [] }, [], repository);
      await expect(relay.relayBatch()).rejects.toThrow('broker refused unit.contracts.state.v1');
      expect(lease).toEqual({ settled: 0, released: 1 });
      // The change event had gone out: the retry sends it again (a duplicate by id), then the state.
      expect(kafka.sent.map((send) => send.topic)).toEqual(['unit.contracts.changes.v1']);

      kafka.failTopic = undefined;
      await expect(relay.relayBatch()).resolves.toBe(1);
      expect(lease).toEqual({ settled: 1, released: 1 });
      expect(kafka.sent.map((send) => send.topic)).toEqual([
        'unit.contracts.changes.v1',
        'unit.contracts.changes.v1',
        'unit.contracts.state.v1',
      ]);
    });
  });
});
