import { Logger } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../../src/common/tango/resource-family';
import { canonicalJson } from '../../src/mirror/content-hash';
import { committedSchema } from '../unit/events/support/event-fixtures';
import { validate } from '../unit/events/support/json-schema-subset';
import { type Pipeline, startPipeline, waitForMirror } from '../support/pipeline-harness';
import { simulatorSizes } from '../support/simulator-suite';
import { requireEnv, uniqueSuffix } from '../support/test-config';

interface ChangeEvent {
  id: string;
  resource: string;
  change: string;
  subject: string;
  version: number;
  changed_fields: string[];
  previous_hash: string | null;
  hash: string | null;
  data: Record<string, unknown> | null;
}

const SIZES = simulatorSizes({ contracts: 40 });

/** The family of an event, as its schema file names it. */
function familyOf(event: ChangeEvent): ResourceFamily {
  const family = RESOURCE_FAMILIES.find((candidate) => candidate === event.resource);
  if (family === undefined) {
    throw new Error(`event ${event.id} names no family: ${event.resource}`);
  }
  return family;
}

describe('change events on Kafka, end to end (simulator → mirror → relay → topic)', () => {
  let pipeline: Pipeline;
  const received: ChangeEvent[] = [];
  const headersOf = new Map<string, Record<string, string>>();
  let consumer: ReturnType<Kafka['consumer']>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const prefix = `events-${uniqueSuffix()}`;
    pipeline = await startPipeline({ sizes: SIZES, seed: 31 }, { KAFKA_TOPIC_PREFIX: prefix });
    const kafka = new Kafka({
      clientId: 'e2e-events',
      brokers: requireEnv('TEST_KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });
    consumer = kafka.consumer({ groupId: `e2e-events-${prefix}` });
    await consumer.connect();
    await consumer.subscribe({
      topics: ['contracts', 'entities', 'idvs'].map((family) => `${prefix}.${family}.changes.v1`),
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const event = JSON.parse(message.value?.toString('utf8') ?? 'null') as ChangeEvent;
        received.push(event);
        headersOf.set(
          event.id,
          Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
          ),
        );
        await Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await consumer.disconnect();
    await pipeline.close();
  });

  async function eventsFor(key: string, count: number, timeoutMs = 30_000): Promise<ChangeEvent[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const mine = received.filter((event) => event.subject === key);
      if (mine.length >= count || Date.now() > deadline) {
        return mine;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function hint(key: string, resource = 'contracts', idKind = 'key'): Promise<void> {
    await pipeline.db.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason) VALUES ($2, $1, $3, 'record', 'e2e-hint')
       ON CONFLICT (resource, record_id) WHERE status = 'pending' DO NOTHING`,
      [key, resource, idKind],
    );
    await pipeline.db.query(`SELECT pg_notify('fetch_targets', '1')`);
  }

  it('emits exactly created, updated, nothing, deleted for a create, a modify, a no-op re-fetch and a deletion', async () => {
    const created = pipeline.sim.control.createRecord('contracts');
    const key = created.key as string;
    await pipeline.sim.control.flush();
    const [first] = await eventsFor(key, 1);
    expect(first).toMatchObject({ change: 'created', version: 1, previous_hash: null });
    expect(canonicalJson(first?.data)).toBe(canonicalJson(pipeline.sim.control.getRecord('contracts', key)));

    const before = pipeline.sim.control.getRecord('contracts', key) ?? {};
    const after = pipeline.sim.control.modifyRecord('contracts', key) ?? {};
    await pipeline.sim.control.flush();
    const [, second] = await eventsFor(key, 2);
    const expectedFields = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((field) => canonicalJson(before[field]) !== canonicalJson(after[field]))
      .sort();
    expect(second).toMatchObject({ change: 'updated', version: 2, previous_hash: first?.hash });
    expect(second?.changed_fields).toEqual(expectedFields);
    expect(expectedFields.length).toBeGreaterThan(0);

    // A re-fetch of unchanged content: the mirror records the fetch, and no event is emitted.
    const fetchedBefore = await pipeline.db.query<{ fetched_at: Date }>(
      'SELECT fetched_at FROM contracts WHERE key = $1',
      [key],
    );
    await hint(key);
    for (let i = 0; i < 100; i += 1) {
      const now = await pipeline.db.query<{ fetched_at: Date }>(
        'SELECT fetched_at FROM contracts WHERE key = $1',
        [key],
      );
      if ((now.rows[0]?.fetched_at.getTime() ?? 0) > (fetchedBefore.rows[0]?.fetched_at.getTime() ?? 0)) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(received.filter((event) => event.subject === key)).toHaveLength(2);

    // Tango sends nothing for a deletion: the next fetch (here a hint) finds the 404, twice, and tombstones it.
    pipeline.sim.control.deleteRecord('contracts', key);
    await hint(key);
    const events = await eventsFor(key, 3);
    expect(events.map((event) => [event.change, event.version])).toEqual([
      ['created', 1],
      ['updated', 2],
      ['deleted', 3],
    ]);
    expect(events[2]).toMatchObject({ data: null, hash: null, previous_hash: second?.hash });
    await waitForMirror(pipeline.db, 'contracts', new Map([[key, 'deleted']]));
  });

  it.each([
    // Fields the hand-picked shapes of earlier releases never asked for: whole records see them change.
    ['entities', 'uei', 'description', 'Precision optics for the Navy; now also lidar.'],
    ['idvs', 'key', 'who_can_use', 'All federal agencies (amended)'],
  ] as const)(
    'mirrors a %s record whose only change is a field outside the old hand-picked shape, as one updated event naming it',
    async (family, idField, field, value) => {
      const created = pipeline.sim.control.createRecord(family);
      const id = created[idField];
      if (typeof id !== 'string') {
        throw new Error(`the simulator created a ${family} record without a text ${idField}`);
      }
      await hint(id, family, idField);
      const [first] = await eventsFor(id, 1);
      expect(first).toMatchObject({ change: 'created', version: 1 });
      expect(first?.data?.[field]).toEqual(created[field]);

      pipeline.sim.control.modifyRecord(family, id, { [field]: value });
      await hint(id, family, idField);
      const events = await eventsFor(id, 2);
      expect(events.map((event) => [event.change, event.version, event.changed_fields])).toEqual([
        ['created', 1, first?.changed_fields],
        ['updated', 2, [field]],
      ]);
      expect(events[1]?.data?.[field]).toBe(value);
      const mirrored = await pipeline.db.query<{ value: unknown }>(
        `SELECT record -> $2::text AS value FROM ${family} WHERE ${idField}::text = $1`,
        [id, field],
      );
      expect(mirrored.rows[0]?.value).toBe(value);
    },
  );

  it('publishes every event valid against the committed JSON Schema, with routing headers', () => {
    expect(received.length).toBeGreaterThan(0);
    for (const event of received) {
      const schema = committedSchema(familyOf(event));
      expect(validate(schema, event)).toEqual([]);
      expect(headersOf.get(event.id)).toMatchObject({
        ce_id: event.id,
        ce_subject: event.subject,
        'tango-sync-change': event.change,
      });
    }
  });
});
