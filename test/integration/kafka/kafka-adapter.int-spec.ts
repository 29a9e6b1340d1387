import { Logger } from '@nestjs/common';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { KafkaAdapter } from '../../../src/kafka/kafka-adapter';
import { type IncomingMessage } from '../../../src/kafka/kafka.types';
import { requireEnv, testConfig, uniqueSuffix } from '../../support/test-config';

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = new Kafka({
    brokers: requireEnv('TEST_KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((result?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

async function topicConfig(topic: string, name: string): Promise<string | undefined> {
  const admin = new Kafka({
    brokers: requireEnv('TEST_KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }],
    });
    return described.resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
  } finally {
    await admin.disconnect();
  }
}

describe('KafkaAdapter against a real broker', () => {
  const config = testConfig();
  let adapter: KafkaAdapter;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    adapter = new KafkaAdapter(config);
    await adapter.onModuleInit();
    await adapter.whenConnected();
  });

  afterAll(async () => {
    await adapter.onApplicationShutdown();
  });

  it('creates prefixed topics with the configured partitions, idempotently', async () => {
    const topic = adapter.topicName(`created.${uniqueSuffix()}`);
    expect(topic.startsWith(`${config.kafka.topicPrefix}.`)).toBe(true);
    await adapter.ensureTopics([{ name: topic }]);
    await adapter.ensureTopics([{ name: topic }]);
    expect(await adapter.partitionCount(topic)).toBe(config.kafka.topicPartitions);
    const custom = adapter.topicName(`custom.${uniqueSuffix()}`);
    await adapter.ensureTopics([{ name: custom, partitions: 1 }]);
    expect(await adapter.partitionCount(custom)).toBe(1);
  });

  it('creates a topic with its config and another topic’s partition count; leaves an existing topic’s config, logging the difference', async () => {
    const source = adapter.topicName(`follow-source.${uniqueSuffix()}`);
    const follower = adapter.topicName(`follow-compacted.${uniqueSuffix()}`);
    await adapter.ensureTopics([{ name: source, partitions: 3 }]);
    await adapter.ensureTopics([
      { name: follower, partitionsOf: source, configEntries: { 'cleanup.policy': 'compact' } },
    ]);
    expect(await adapter.partitionCount(follower)).toBe(3);
    expect(await topicConfig(follower, 'cleanup.policy')).toBe('compact');

    // A second process (a fresh adapter) finds the topic existing with another config than it asks for.
    const warnings: unknown[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(message);
    });
    const other = new KafkaAdapter(config);
    try {
      await other.onModuleInit();
      await other.whenConnected();
      await other.ensureTopics([{ name: follower, configEntries: { 'cleanup.policy': 'delete' } }]);
    } finally {
      warn.mockRestore();
      await other.onApplicationShutdown();
    }
    expect(await topicConfig(follower, 'cleanup.policy')).toBe('compact');
    expect(warnings).toContainEqual({
      topic: follower,
      differences: [{ name: 'cleanup.policy', wanted: 'delete', actual: 'compact' }],
    });
  });

  it('produces and consumes through a consumer group, keeping per-key order and committing what was processed', async () => {
    const topic = adapter.topicName(`roundtrip.${uniqueSuffix()}`);
    await adapter.ensureTopics([{ name: topic }]);
    const groupId = `group-${uniqueSuffix()}`;
    const received: IncomingMessage[] = [];
    const consumer = adapter.createConsumer({ groupId, topics: [topic], fromBeginning: true });
    await consumer.run(async (batch, context) => {
      for (const message of batch.messages) {
        received.push(message);
        context.markProcessed(message);
      }
      await context.heartbeat();
    });
    const keys = ['a', 'b', 'c'];
    const messages = keys.flatMap((key) =>
      Array.from({ length: 5 }, (_, i) => ({
        key,
        value: JSON.stringify({ key, seq: i }),
        headers: { 'x-seq': String(i) },
      })),
    );
    await adapter.send(topic, messages);
    await waitFor(() => received.length >= messages.length, 20_000, 'all messages');
    await consumer.stop();

    expect(received).toHaveLength(messages.length);
    for (const key of keys) {
      const sequence = received
        .filter((message) => message.key === key)
        .map((message) => (JSON.parse(message.value?.toString('utf8') ?? '{}') as { seq: number }).seq);
      expect(sequence).toEqual([0, 1, 2, 3, 4]);
      const partitions = new Set(
        received.filter((message) => message.key === key).map((message) => message.partition),
      );
      expect(partitions.size).toBe(1);
    }
    expect(received[0]?.headers['x-seq']).toBeDefined();
    const offsets = await committedOffsets(groupId, topic);
    const committedTotal = Object.values(offsets).reduce(
      (sum, offset) => sum + Math.max(0, Number(offset)),
      0,
    );
    expect(committedTotal).toBe(messages.length);
  });

  it('places messages by partition slot, then by partition key, keeping their own key on the wire', async () => {
    const topic = adapter.topicName(`partition-key.${uniqueSuffix()}`);
    await adapter.ensureTopics([{ name: topic, partitions: 6 }]);
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
    const messages = [
      ...ids.map((id) => ({ key: `contracts:${id}`, partitionKey: 'contracts', value: 'grouped' })),
      ...ids.map((id) => ({ key: `grants:${id}`, partitionKey: 'grants', value: 'grouped' })),
      ...ids.map((id) => ({ key: `entities:${id}`, value: 'by-key' })),
      // Slots 1 and 7 are partition 1 of 6; slot 2 is partition 2, whatever the keys hash to.
      ...ids.map((id) => ({ key: `idvs:${id}`, partitionSlot: 1, partitionKey: 'ignored', value: 'slot' })),
      ...ids.map((id) => ({ key: `otidvs:${id}`, partitionSlot: 7, value: 'slot' })),
      ...ids.map((id) => ({ key: `otas:${id}`, partitionSlot: 2, value: 'slot' })),
      // Where a plain message keyed by the partition key goes: the grouped messages must go there too.
      { key: 'contracts', value: 'reference' },
      { key: 'grants', value: 'reference' },
    ];
    await adapter.send(topic, messages);
    const received: IncomingMessage[] = [];
    const consumer = adapter.createConsumer({
      groupId: `group-${uniqueSuffix()}`,
      topics: [topic],
      fromBeginning: true,
    });
    await consumer.run(async (batch, context) => {
      for (const message of batch.messages) {
        received.push(message);
        context.markProcessed(message);
      }
      await Promise.resolve();
    });
    await waitFor(() => received.length >= messages.length, 20_000, 'all messages');
    await consumer.stop();

    const partitionsOf = (prefix: string, value: string): Set<number> =>
      new Set(
        received
          .filter((message) => message.key?.startsWith(prefix) && message.value?.toString('utf8') === value)
          .map((message) => message.partition),
      );
    for (const family of ['contracts', 'grants']) {
      expect(partitionsOf(`${family}:`, 'grouped')).toEqual(partitionsOf(family, 'reference'));
      expect(partitionsOf(family, 'reference').size).toBe(1);
    }
    expect(partitionsOf('entities:', 'by-key').size).toBeGreaterThan(1);
    expect(partitionsOf('idvs:', 'slot')).toEqual(new Set([1]));
    expect(partitionsOf('otidvs:', 'slot')).toEqual(new Set([1]));
    expect(partitionsOf('otas:', 'slot')).toEqual(new Set([2]));
    expect(new Set(received.map((message) => message.key))).toEqual(
      new Set(messages.map((message) => message.key)),
    );
  });

  it('redelivers to the group whatever a consumer did not mark as processed', async () => {
    const topic = adapter.topicName(`partial.${uniqueSuffix()}`);
    await adapter.ensureTopics([{ name: topic, partitions: 1 }]);
    const groupId = `group-${uniqueSuffix()}`;
    await adapter.send(
      topic,
      Array.from({ length: 6 }, (_, i) => ({ key: 'k', value: String(i) })),
    );

    const firstSeen: string[] = [];
    const first = adapter.createConsumer({ groupId, topics: [topic], fromBeginning: true });
    await first.run(async (batch, context) => {
      for (const message of batch.messages) {
        firstSeen.push(message.value?.toString('utf8') ?? '');
        if (Number(message.offset) < 3) {
          context.markProcessed(message);
        }
      }
      await Promise.resolve();
    });
    await waitFor(() => firstSeen.length >= 6, 20_000, 'the first consumer to see all six');
    await first.stop();

    const secondSeen: string[] = [];
    const second = adapter.createConsumer({ groupId, topics: [topic], fromBeginning: true });
    await second.run(async (batch, context) => {
      for (const message of batch.messages) {
        secondSeen.push(message.value?.toString('utf8') ?? '');
        context.markProcessed(message);
      }
      await Promise.resolve();
    });
    await waitFor(() => secondSeen.length >= 3, 20_000, 'the redelivered messages');
    await second.stop();
    expect(secondSeen).toEqual(['3', '4', '5']);
  });

  it('answers a ping while the broker is up and fails it within the timeout when it is not', async () => {
    Logger.overrideLogger(false);
    await expect(adapter.ping(2_000)).resolves.toBeUndefined();
    const unreachable = new KafkaAdapter(
      testConfig({ KAFKA_BROKERS: '127.0.0.1:1', KAFKA_CONNECTION_TIMEOUT_MS: '300' }),
    );
    const started = Date.now();
    await expect(unreachable.ping(1_000)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await unreachable.onApplicationShutdown();
  });
});
