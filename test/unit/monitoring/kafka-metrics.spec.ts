import { Logger } from '@nestjs/common';
import { parseConfig } from '../../../src/config/app-config';
import { type KafkaAdapter, partitionLag } from '../../../src/kafka/kafka-adapter';
import { KafkaMetrics, LAG_CACHE_MS, topicKind } from '../../../src/kafka/kafka-metrics';
import { type PartitionLag, type SendObserver } from '../../../src/kafka/kafka.types';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { sampleValue } from './monitoring-files';

const config = parseConfig({
  DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x_test',
  KAFKA_BROKERS: '127.0.0.1:1',
  WEBHOOK_SECRETS: 's',
  KAFKA_TOPIC_PREFIX: 'tango',
});

class FakeKafka {
  observer: SendObserver | undefined;
  lagCalls = 0;
  lag: () => Promise<PartitionLag[]> = () => Promise.resolve([]);

  observeSends(observer: SendObserver): void {
    this.observer = observer;
  }

  consumerGroupLag(): Promise<PartitionLag[]> {
    this.lagCalls += 1;
    return this.lag();
  }
}

function kafkaMetrics(): { kafka: FakeKafka; metrics: MetricsService } {
  const kafka = new FakeKafka();
  const metrics = new MetricsService();
  new KafkaMetrics(kafka as unknown as KafkaAdapter, config, metrics);
  return { kafka, metrics };
}

describe('topic kinds', () => {
  it('drop the prefix, the version and the family of per-family topics', () => {
    expect(topicKind('tango.contracts.changes.v1', 'tango')).toBe('changes');
    expect(topicKind('tango.grants.changes.v1', 'tango')).toBe('changes');
    expect(topicKind('tango.fetch.requests.v1', 'tango')).toBe('fetch.requests');
    expect(topicKind('tango.fetch.dead-letter.v1', 'tango')).toBe('fetch.dead-letter');
    expect(topicKind('elsewhere.topic', 'tango')).toBe('other');
  });
});

describe('partition lag', () => {
  it('is the end offset minus the committed one, never negative', () => {
    expect(partitionLag({ high: '120', low: '0' }, '100', true)).toBe(20);
    expect(partitionLag({ high: '120', low: '0' }, '120', true)).toBe(0);
    expect(partitionLag({ high: '5', low: '0' }, '9', true)).toBe(0);
  });

  it('with nothing committed, is the retained log when the group starts from the beginning, else nothing', () => {
    expect(partitionLag({ high: '120', low: '30' }, '-1', true)).toBe(90);
    expect(partitionLag({ high: '120', low: '30' }, '-1', false)).toBe(0);
  });
});

describe('Kafka metrics', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('observes produce latency by topic kind', async () => {
    const { kafka, metrics } = kafkaMetrics();
    kafka.observer?.('tango.contracts.changes.v1', 0.004);
    kafka.observer?.('tango.entities.changes.v1', 0.2);
    kafka.observer?.('tango.fetch.requests.v1', 0.002);
    const text = await metrics.registry.getSingleMetricAsString('tango_sync_kafka_produce_seconds');
    const count = (topicKind: string): number | undefined =>
      sampleValue(text, 'tango_sync_kafka_produce_seconds_count', { topic_kind: topicKind });
    expect(count('changes')).toBe(2);
    expect(count('fetch.requests')).toBe(1);
  });

  it("exports the broker's lag under kafka-exporter's name and labels", async () => {
    const { kafka, metrics } = kafkaMetrics();
    kafka.lag = () =>
      Promise.resolve([
        { group: 'tango-sync-fetcher', topic: 'tango.fetch.requests.v1', partition: 0, lag: 7 },
        { group: 'tango-sync-fetcher', topic: 'tango.fetch.requests.v1', partition: 1, lag: 0 },
      ]);
    const text = await metrics.registry.getSingleMetricAsString('kafka_consumergroup_lag');
    const lag = (partition: string): number | undefined =>
      sampleValue(text, 'kafka_consumergroup_lag', {
        service: 'tango-sync',
        consumergroup: 'tango-sync-fetcher',
        topic: 'tango.fetch.requests.v1',
        partition,
      });
    expect(lag('0')).toBe(7);
    expect(lag('1')).toBe(0);
  });

  it('reads the broker at most once per cache period, and leaves the lag out while the broker fails', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const { kafka, metrics } = kafkaMetrics();
    kafka.lag = () => Promise.resolve([{ group: 'g', topic: 't', partition: 0, lag: 3 }]);
    await metrics.registry.metrics();
    await metrics.registry.metrics();
    expect(kafka.lagCalls).toBe(1);
    kafka.lag = () => Promise.reject(new Error('no answer within 2000 ms'));
    jest.advanceTimersByTime(LAG_CACHE_MS + 1);
    const text = await metrics.registry.metrics();
    expect(kafka.lagCalls).toBe(2);
    expect(text).not.toMatch(/^kafka_consumergroup_lag\{/m);
  });
});
