import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { parseConfig } from '../../../src/config/app-config';
import { PoolMetrics, poolOf } from '../../../src/database/pool-metrics';
import { type PostgresNotifications } from '../../../src/database/postgres-notifications';
import { ChangeEventRelay } from '../../../src/events/change-event-relay';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import {
  type ChangeEventRepository,
  type ClaimedChangeEvent,
  type ClaimResult,
} from '../../../src/events/change-event.repository';
import { FetchTargetRelay } from '../../../src/outbox/fetch-target-relay';
import { type ClaimedTarget, type FetchTargetOutbox } from '../../../src/outbox/fetch-target-outbox';
import { type KafkaAdapter } from '../../../src/kafka/kafka-adapter';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { relayLagObserver } from '../../../src/outbox/relay-loop';
import { sampleRow } from '../events/support/event-fixtures';
import { sampleValue } from './monitoring-files';

const config = parseConfig({
  DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x_test',
  KAFKA_BROKERS: '127.0.0.1:1',
  WEBHOOK_SECRETS: 's',
});

const kafka = {
  isConnected: true,
  topicName: (suffix: string) => `unit.${suffix}`,
  ensureTopics: () => Promise.resolve(),
  send: () => Promise.resolve(),
} as unknown as KafkaAdapter;

function dataSourceWith(initialised: boolean, master: unknown): DataSource {
  return { isInitialized: initialised, driver: { master } } as unknown as DataSource;
}

describe('tango_sync_db_pool_connections', () => {
  it("reads the pg Pool behind TypeORM's DataSource", async () => {
    const metrics = new MetricsService();
    new PoolMetrics(dataSourceWith(true, { totalCount: 5, idleCount: 2, waitingCount: 1 }), metrics);
    const text = await metrics.registry.getSingleMetricAsString('tango_sync_db_pool_connections');
    expect(sampleValue(text, 'tango_sync_db_pool_connections', { state: 'total' })).toBe(5);
    expect(sampleValue(text, 'tango_sync_db_pool_connections', { state: 'idle' })).toBe(2);
    expect(sampleValue(text, 'tango_sync_db_pool_connections', { state: 'waiting' })).toBe(1);
  });

  it('is left out while there is no pool (not initialised, or a driver without one)', async () => {
    expect(poolOf(dataSourceWith(false, { totalCount: 1, idleCount: 1, waitingCount: 0 }))).toBeNull();
    expect(poolOf(dataSourceWith(true, undefined))).toBeNull();
    const metrics = new MetricsService();
    new PoolMetrics(dataSourceWith(false, undefined), metrics);
    const text = await metrics.registry.getSingleMetricAsString('tango_sync_db_pool_connections');
    expect(sampleValue(text, 'tango_sync_db_pool_connections')).toBeUndefined();
  });
});

describe('tango_sync_relay_lag_seconds', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const count = async (metrics: MetricsService, relay: string): Promise<number | undefined> =>
    sampleValue(await metrics.registry.metrics(), 'tango_sync_relay_lag_seconds_count', { relay });

  it('is one histogram for every relay, present at 0 from the start', async () => {
    const metrics = new MetricsService();
    relayLagObserver(metrics, 'a');
    const observe = relayLagObserver(metrics, 'b');
    expect(await count(metrics, 'a')).toBe(0);
    observe([1_000, 2_000], 4_000);
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'tango_sync_relay_lag_seconds_count', { relay: 'b' })).toBe(2);
    expect(sampleValue(text, 'tango_sync_relay_lag_seconds_sum', { relay: 'b' })).toBe(5);
  });

  it('measures change events from their outbox row, leaving out history replays (their time is the original)', async () => {
    const metrics = new MetricsService();
    const now = new Date();
    const live = buildChangeEvent(sampleRow({ id: '1', occurredAt: now }));
    const replayed = buildChangeEvent(
      sampleRow({
        id: '2',
        eventId: '0b4e7c1e-9d2f-4a51-8d3e-5f7a6b8c9d02',
        occurredAt: new Date('2020-01-01T00:00:00Z'),
        provenance: { replayId: 'r-1' },
      }),
    );
    const batch: ClaimedChangeEvent[] = [live, replayed].map((event, index) => ({
      rowId: String(index + 1),
      lane: 1,
      resource: event.resource,
      event,
    }));
    const repository = {
      claimAndPublish: async (
        _limit: number,
        _leaseMs: number,
        publish: (events: readonly ClaimedChangeEvent[]) => Promise<void>,
      ): Promise<ClaimResult> => {
        await publish(batch);
        return { published: batch.length, lanes: [1], blocked: [] };
      },
    } as unknown as ChangeEventRepository;
    const relay = new ChangeEventRelay(repository, kafka, {} as PostgresNotifications, config, metrics);
    await relay.relayBatch();
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'tango_sync_relay_lag_seconds_count', { relay: 'change-events' })).toBe(1);
    expect(sampleValue(text, 'tango_sync_relay_lag_seconds_sum', { relay: 'change-events' })).toBeLessThan(
      60,
    );
  });

  it('measures fetch targets from their latest hint, leaving out retries (they wait for their backoff)', async () => {
    const metrics = new MetricsService();
    const target = (attempt: number, hintedAt: Date): ClaimedTarget => ({
      key: `contracts:C${attempt}`,
      request: {
        schema: 'tango-sync.fetch-request.v1',
        targetId: String(attempt),
        resource: 'contracts',
        recordId: `C${attempt}`,
        idKind: 'key',
        kind: 'record',
        priority: 'live',
        reason: 'test',
        hintedAt: hintedAt.toISOString(),
        hintCount: 1,
        attempt,
        deliveryIds: [],
        sweep: null,
      },
    });
    const claimed = [target(0, new Date()), target(2, new Date(Date.now() - 3_600_000))];
    const repository = {
      claimAndPublish: async (
        _limit: number,
        _leaseMs: number,
        publish: (targets: readonly ClaimedTarget[]) => Promise<void>,
      ) => {
        await publish(claimed);
        return claimed.length;
      },
    } as unknown as FetchTargetOutbox;
    const relay = new FetchTargetRelay(repository, kafka, {} as PostgresNotifications, config, metrics);
    await relay.relayBatch();
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'tango_sync_relay_lag_seconds_count', { relay: 'fetch-targets' })).toBe(1);
    expect(sampleValue(text, 'tango_sync_relay_lag_seconds_sum', { relay: 'fetch-targets' })).toBeLessThan(
      60,
    );
  });
});
