import { Logger } from '@nestjs/common';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';
import { parseConfig } from '../../../src/config/app-config';
import { type PostgresNotifications } from '../../../src/database/postgres-notifications';
import { fetchRequestPartitionSlot } from '../../../src/outbox/fetch-request';
import { FetchTargetRelay } from '../../../src/outbox/fetch-target-relay';
import { type ClaimedTarget, type FetchTargetOutbox } from '../../../src/outbox/fetch-target-outbox';
import { type KafkaAdapter } from '../../../src/kafka/kafka-adapter';
import { type OutgoingMessage } from '../../../src/kafka/kafka.types';
import { MetricsService } from '../../../src/metrics/metrics.service';

function target(resource: ResourceFamily, recordId: string): ClaimedTarget {
  return {
    key: `${resource}:${recordId}`,
    request: {
      schema: 'tango-sync.fetch-request.v1',
      targetId: '1',
      resource,
      recordId,
      idKind: 'key',
      kind: 'record',
      priority: 'live',
      reason: 'test',
      hintedAt: new Date().toISOString(),
      hintCount: 1,
      attempt: 0,
      deliveryIds: [],
      sweep: null,
    },
  };
}

describe('fetch-request partitioning', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('gives each id-list family a slot of its own, largest first, and spreads the detail families by record', () => {
    const slots = (
      ['contracts', 'idvs', 'grants', 'opportunities', 'forecasts', 'otas', 'otidvs'] as const
    ).map((family) => fetchRequestPartitionSlot(family));
    expect(slots).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // With the default six partitions the six largest families never share one.
    expect(new Set(slots.slice(0, 6).map((slot) => (slot ?? -1) % 6)).size).toBe(6);
    expect(fetchRequestPartitionSlot('entities')).toBeUndefined();
    expect(fetchRequestPartitionSlot('notices')).toBeUndefined();
  });

  it('publishes every target keyed resource:id, with a partition slot for id-list families', async () => {
    const sent: OutgoingMessage[] = [];
    const kafka = {
      isConnected: true,
      ensureTopics: () => Promise.resolve(),
      topicName: (suffix: string) => `unit.${suffix}`,
      send: (_topic: string, messages: readonly OutgoingMessage[]) => {
        sent.push(...messages);
        return Promise.resolve();
      },
    };
    const claimed = [target('contracts', 'C1'), target('entities', 'UEI1'), target('grants', '7')];
    const repository = {
      claimAndPublish: async (
        _limit: number,
        _leaseMs: number,
        publish: (targets: readonly ClaimedTarget[]) => Promise<void>,
      ) => {
        await publish(claimed);
        return claimed.length;
      },
    };
    const relay = new FetchTargetRelay(
      repository as unknown as FetchTargetOutbox,
      kafka as unknown as KafkaAdapter,
      {} as PostgresNotifications,
      parseConfig({
        DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x_test',
        KAFKA_BROKERS: '127.0.0.1:1',
        WEBHOOK_SECRETS: 's',
      }),
      new MetricsService(),
    );
    await expect(relay.relayBatch()).resolves.toBe(3);
    expect(sent.map((message) => [message.key, message.partitionSlot])).toEqual([
      ['contracts:C1', 0],
      ['entities:UEI1', undefined],
      ['grants:7', 2],
    ]);
  });
});
