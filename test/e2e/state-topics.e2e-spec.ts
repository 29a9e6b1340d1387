import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { type Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { FAMILIES } from '../../src/common/tango/families';
import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { type AppConfig } from '../../src/config/app-config';
import { APP_CONFIG } from '../../src/config/config.module';
import { ChangeEventRelay } from '../../src/events/change-event-relay';
import { stateMessageSchemaFileName } from '../../src/events/state-message.json-schema';
import { REPO_ROOT } from '../unit/events/support/event-fixtures';
import { type JsonSchema, validate } from '../unit/events/support/json-schema-subset';
import { SMALL_SIZES, startPipeline, waitForMirror, type Pipeline } from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';
import { requireEnv, uniqueSuffix } from '../support/test-config';

interface Versioned {
  readonly version: number;
  readonly hash: string;
}

interface TopicRead {
  /** The topic folded by key, as compaction leaves it: the last value per key; a tombstone removes the key. */
  readonly folded: Map<string, Versioned>;
  /** Partition of each key (its last message). */
  readonly partitionOf: Map<string, number>;
  /** Messages read from the beginning, before folding. */
  readonly raw: number;
}

/** Makes the broker's log cleaner eligible to compact the topic soon (segments roll fast, any dirt is cleanable). */
async function forceCompaction(admin: Admin, topics: readonly string[]): Promise<void> {
  await admin.alterConfigs({
    validateOnly: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      // alterConfigs replaces the topic's whole config: cleanup.policy is restated.
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.ms', value: '100' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
        { name: 'delete.retention.ms', value: '100' },
        { name: 'min.compaction.lag.ms', value: '0' },
      ],
    })),
  });
}

/** Reads a topic from the beginning to its high watermark (as at the call) and folds it by key. */
async function readToHighWatermark(kafka: Kafka, admin: Admin, topic: string): Promise<TopicRead> {
  const ends = await admin.fetchTopicOffsets(topic);
  const pending = new Map(
    ends.filter((end) => BigInt(end.high) > BigInt(end.low)).map((end) => [end.partition, BigInt(end.high)]),
  );
  const read: TopicRead = { folded: new Map(), partitionOf: new Map(), raw: 0 };
  if (pending.size === 0) {
    return read;
  }
  const consumer = kafka.consumer({ groupId: `state-e2e-${uniqueSuffix()}` });
  let counted = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${topic}: not read to its high watermark in 30 s`));
      }, 30_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const high = pending.get(partition);
          if (high === undefined || BigInt(message.offset) >= high) {
            return;
          }
          counted += 1;
          foldMessage(read, partition, message.key?.toString('utf8') ?? '', message.value);
          if (BigInt(message.offset) + 1n >= high) {
            pending.delete(partition);
          }
          if (pending.size === 0) {
            clearTimeout(timer);
            resolve();
          }
          await Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return { ...read, raw: counted };
}

function foldMessage(read: TopicRead, partition: number, key: string, value: Buffer | null): void {
  read.partitionOf.set(key, partition);
  if (value === null) {
    read.folded.delete(key);
    return;
  }
  const state = JSON.parse(value.toString('utf8')) as { id: string; version: number; hash: string };
  expect(state.id).toBe(key);
  read.folded.set(key, { version: state.version, hash: state.hash });
}

/**
 * The state topics' config is set so the broker's log cleaner may compact them within the test (segments roll
 * after 100 ms, any dirt is cleanable, tombstones are kept 100 ms), but the cleaner never touches a partition's
 * active segment and runs on its own schedule (log.cleaner.backoff.ms), so whether it has run by the time the
 * topic is read is not up to the test. The test therefore reads each topic from the beginning and folds it by key
 * (last value wins, a tombstone removes the key): exactly what compaction guarantees a reader ends up with, whether
 * or not the cleaner ran.
 */
describe('compacted state topics, end to end (issue 25: simulator → mirror → relay → state topic)', () => {
  let pipeline: Pipeline;
  let closeDatabase: () => Promise<void>;
  let kafka: Kafka;
  let admin: Admin;
  let relay: ChangeEventRelay;
  let resources: readonly ResourceFamily[];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('state');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      { sizes: SMALL_SIZES, seed: 25 },
      { KAFKA_TOPIC_PREFIX: `state-${uniqueSuffix()}` },
      {},
      database.scratch.url,
    );
    relay = pipeline.app.app.get(ChangeEventRelay);
    resources = pipeline.app.app.get<AppConfig>(APP_CONFIG).tango.resources;
    kafka = new Kafka({
      clientId: 'e2e-state',
      brokers: requireEnv('TEST_KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });
    admin = kafka.admin();
    await admin.connect();
    await relay.ensureTopics();
    await forceCompaction(
      admin,
      resources.map((resource) => relay.stateTopicFor(resource)),
    );
  });

  afterAll(async () => {
    await admin.disconnect();
    await pipeline.close();
    await closeDatabase();
  });

  async function liveRows(resource: ResourceFamily): Promise<Map<string, Versioned>> {
    const spec = FAMILIES[resource];
    const rows = await pipeline.db.query<{ id: string; version: number; content_hash: string }>(
      `SELECT ${spec.idField}::text AS id, version, content_hash FROM ${spec.table} WHERE deleted_at IS NULL`,
    );
    return new Map(rows.rows.map((row) => [row.id, { version: row.version, hash: row.content_hash }]));
  }

  async function hint(key: string): Promise<void> {
    await pipeline.db.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason) VALUES ('contracts', $1, 'key', 'record', 'e2e-hint')
       ON CONFLICT (resource, record_id) WHERE status = 'pending' DO NOTHING`,
      [key],
    );
    await pipeline.db.query(`SELECT pg_notify('fetch_targets', '1')`);
  }

  async function outboxDrained(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await pipeline.db.query<{ pending: number }>(
        `SELECT count(*)::int AS pending FROM change_events WHERE status = 'pending'`,
      );
      if ((rows[0]?.pending ?? 0) === 0 || Date.now() > deadline) {
        expect(rows[0]?.pending).toBe(0);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('creates one compacted state topic per resource turned on, with its change topic’s partition count', async () => {
    for (const resource of resources) {
      const state = relay.stateTopicFor(resource);
      const [stateMeta, changeMeta] = await Promise.all(
        [state, relay.topicFor(resource)].map(async (topic) => admin.fetchTopicMetadata({ topics: [topic] })),
      );
      expect({ resource, partitions: stateMeta?.topics[0]?.partitions.length }).toEqual({
        resource,
        partitions: changeMeta?.topics[0]?.partitions.length,
      });
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: state, configNames: ['cleanup.policy'] }],
      });
      expect(described.resources[0]?.configEntries[0]?.configValue).toBe('compact');
    }
  });

  it('after creates, updates and deletes, each state topic read from the beginning is exactly the mirror’s live rows', async () => {
    const created = Array.from({ length: 8 }, () => pipeline.sim.control.createRecord('contracts'));
    const keys = created.map((record) => (typeof record.key === 'string' ? record.key : ''));
    await pipeline.sim.control.flush();
    await mirrorHolds(keys);

    const modified = keys.slice(0, 5);
    for (const key of modified) {
      pipeline.sim.control.modifyRecord('contracts', key);
    }
    pipeline.sim.control.modifyRecord('contracts', keys[0] ?? '');
    await pipeline.sim.control.flush();
    await waitForVersionsAbove(modified, 1);
    const deleted = [keys[1] ?? '', keys[6] ?? ''];
    for (const key of deleted) {
      pipeline.sim.control.deleteRecord('contracts', key);
      await hint(key);
    }
    const gone = await waitForMirror(
      pipeline.db,
      'contracts',
      new Map(deleted.map((key) => [key, 'deleted'])),
    );
    expect([...gone.values()]).toEqual(['deleted', 'deleted']);
    await outboxDrained();

    const schema = JSON.parse(
      readFileSync(join(REPO_ROOT, 'docs', 'events', stateMessageSchemaFileName('contracts')), 'utf8'),
    ) as JsonSchema;
    for (const resource of resources) {
      const read = await readToHighWatermark(kafka, admin, relay.stateTopicFor(resource));
      const live = await liveRows(resource);
      expect({ resource, state: Object.fromEntries(read.folded) }).toEqual({
        resource,
        state: Object.fromEntries(live),
      });
      if (resource === 'contracts') {
        expect(live.size).toBeGreaterThanOrEqual(6);
        for (const key of deleted) {
          expect(read.folded.has(key)).toBe(false);
        }
        expect(read.raw).toBeGreaterThanOrEqual(read.folded.size);
        await stateValuesValid(schema);
      }
    }
  });

  async function mirrorHolds(keys: readonly string[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const live = await liveRows('contracts');
      if (keys.every((key) => live.has(key)) || Date.now() > deadline) {
        expect(keys.filter((key) => !live.has(key))).toEqual([]);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async function waitForVersionsAbove(keys: readonly string[], version: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const live = await liveRows('contracts');
      const behind = keys.filter((key) => (live.get(key)?.version ?? 0) <= version);
      if (behind.length === 0 || Date.now() > deadline) {
        expect(behind).toEqual([]);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Every state value on the contracts topic matches the committed schema (tombstones have none). */
  async function stateValuesValid(schema: JsonSchema): Promise<void> {
    const topic = relay.stateTopicFor('contracts');
    const consumer = kafka.consumer({ groupId: `state-e2e-values-${uniqueSuffix()}` });
    const values: unknown[] = [];
    const ends = await admin.fetchTopicOffsets(topic);
    const total = ends.reduce((sum, end) => sum + Number(BigInt(end.high) - BigInt(end.low)), 0);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen += 1;
        if (message.value !== null) {
          values.push(JSON.parse(message.value.toString('utf8')));
        }
        await Promise.resolve();
      },
    });
    const deadline = Date.now() + 20_000;
    while (seen < total && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await consumer.disconnect();
    expect(values.length).toBeGreaterThan(0);
    for (const value of values) {
      expect(validate(schema, value)).toEqual([]);
    }
  }
});
