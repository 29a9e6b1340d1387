import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DESCRIBED_FAMILIES, type DescribedFamily } from '../../../src/common/tango/resource-family';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { ChangeEventRelay } from '../../../src/events/change-event-relay';
import { type ClaimedChangeEvent } from '../../../src/events/change-event.repository';
import { ScratchDatabase } from '../../support/scratch-database';
import { uniqueSuffix } from '../../support/test-config';
import { committedSchema } from '../../unit/events/support/event-fixtures';
import { validate } from '../../unit/events/support/json-schema-subset';
import {
  insertOutboxRow,
  type OutboxRow,
  type ReceivedEvent,
  type Replica,
  sleep,
  startReplica,
  TopicCollector,
  waitFor,
} from './support/event-harness';

/** Lanes being published right now, by relay: two relays must never hold the same lane at once. */
const lanesInFlight = new Map<number, string>();
const laneViolations: string[] = [];

/** A relay that takes its time publishing (so two replicas overlap) and records which lanes it holds. */
class InstrumentedRelay extends ChangeEventRelay {
  label = 'relay';
  publishedEvents = 0;

  override async publish(events: readonly ClaimedChangeEvent[]): Promise<void> {
    const lanes = [...new Set(events.map((event) => event.lane))];
    for (const lane of lanes) {
      const holder = lanesInFlight.get(lane);
      if (holder !== undefined) {
        laneViolations.push(`lane ${lane} published by ${this.label} while ${holder} held it`);
      }
      lanesInFlight.set(lane, this.label);
    }
    try {
      await sleep(Math.floor(Math.random() * 25));
      await super.publish(events);
      this.publishedEvents += events.length;
    } finally {
      for (const lane of lanes) {
        lanesInFlight.delete(lane);
      }
    }
  }
}

function expectValidAgainstCommittedSchema(received: readonly ReceivedEvent[]): void {
  const schemas = new Map(DESCRIBED_FAMILIES.map((family) => [family, committedSchema(family)]));
  for (const { topic, key, event, headers } of received) {
    const family = topic.split('.').at(-3) as DescribedFamily;
    expect({ id: event.id, errors: validate(schemas.get(family)!, event) }).toEqual({
      id: event.id,
      errors: [],
    });
    expect(key).toBe(event.subject);
    expect(headers).toMatchObject({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: event.type,
      ce_source: event.source,
      ce_subject: event.subject,
      ce_time: event.time,
      'content-type': 'application/json',
      'tango-sync-resource': family,
      'tango-sync-change': event.change,
      'tango-sync-version': String(event.version),
    });
  }
}

function versionsBySubject(received: readonly ReceivedEvent[]): Map<string, number[]> {
  const bySubject = new Map<string, number[]>();
  for (const { event } of received) {
    bySubject.set(event.subject, [...(bySubject.get(event.subject) ?? []), event.version]);
  }
  return bySubject;
}

describe('change-event relay against Postgres and Kafka', () => {
  const topicPrefix = `test-${uniqueSuffix()}`;
  const collector = new TopicCollector();
  const replicas: Replica[] = [];
  let scratch: ScratchDatabase;
  let db: DataSource;

  async function replica<R extends ChangeEventRelay>(
    name: string,
    Relay: new (...args: ConstructorParameters<typeof ChangeEventRelay>) => R,
    env: Record<string, string> = {},
  ): Promise<Replica<R>> {
    const started = await startReplica(
      { databaseUrl: scratch.url, topicPrefix, applicationName: `${name}-${uniqueSuffix()}`, env },
      Relay,
    );
    replicas.push(started);
    return started;
  }

  async function pendingCount(subjects: readonly string[]): Promise<number> {
    const [row] = await db.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM change_events WHERE status = 'pending' AND record_id = ANY($1::text[])`,
      [subjects],
    );
    return row!.count;
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    // A database of our own: relays of other test files (and theirs of ours) must not take each other's rows.
    scratch = await ScratchDatabase.create('events');
    db = new DataSource(
      buildDataSourceOptions({
        url: scratch.url,
        poolSize: 4,
        statementTimeoutMs: 30_000,
        migrationsRun: false,
      }),
    );
    await db.initialize();
    await db.runMigrations({ transaction: 'each' });
    const first = await replica('topics', ChangeEventRelay);
    await first.relay.ensureTopics();
    await collector.start(topicPrefix, `events-int-${uniqueSuffix()}`);
  });

  afterAll(async () => {
    await collector.stop();
    await Promise.allSettled(replicas.map((started) => started.close()));
    await db.destroy();
    await scratch.drop();
  });

  it('publishes each record in version order, exactly once, with two relay replicas running', async () => {
    const run = uniqueSuffix();
    const records = DESCRIBED_FAMILIES.flatMap((family) =>
      Array.from({ length: 4 }, (_, index) => ({ resource: family, recordId: `${family}-${run}-${index}` })),
    );
    const versions = 6;
    const options = { RELAY_BATCH_SIZE: '7', RELAY_POLL_INTERVAL_MS: '30' };
    const a = await replica('relay-a', InstrumentedRelay, options);
    const b = await replica('relay-b', InstrumentedRelay, options);
    a.relay.label = 'relay-a';
    b.relay.label = 'relay-b';
    await a.relay.onApplicationBootstrap();
    await b.relay.onApplicationBootstrap();

    // The mirror commits each record's versions one after another, while both relays are publishing.
    const expected = new Set<string>();
    for (let version = 1; version <= versions; version += 1) {
      for (const record of records) {
        const changeType: OutboxRow['changeType'] =
          version === 1
            ? 'created'
            : version === versions && record.recordId.endsWith('-3')
              ? 'deleted'
              : 'updated';
        expected.add(await insertOutboxRow(db, { ...record, version, changeType }));
      }
      await sleep(40);
    }
    const subjects = new Set(records.map((record) => record.recordId));
    await waitFor(
      () => new Set(collector.of(subjects).map((received) => received.event.id)).size >= expected.size,
      45_000,
      `${expected.size} events`,
    );
    await a.relay.beforeApplicationShutdown();
    await b.relay.beforeApplicationShutdown();
    await sleep(1_000); // anything published twice would arrive by now

    const received = collector.of(subjects);
    expect(new Set(received.map((item) => item.event.id))).toEqual(expected);
    expect(received).toHaveLength(expected.size);
    expect(laneViolations).toEqual([]);
    // Both replicas did part of the work.
    expect(a.relay.publishedEvents).toBeGreaterThan(0);
    expect(b.relay.publishedEvents).toBeGreaterThan(0);
    expect(a.relay.publishedEvents + b.relay.publishedEvents).toBe(expected.size);
    for (const [subject, sequence] of versionsBySubject(received)) {
      expect({ subject, sequence }).toEqual({ subject, sequence: [1, 2, 3, 4, 5, 6] });
      const partitions = new Set(
        received.filter((item) => item.event.subject === subject).map((item) => item.partition),
      );
      expect(partitions.size).toBe(1);
    }
    expect(
      received.filter((item) => item.event.change === 'deleted').every((item) => item.event.data === null),
    ).toBe(true);
    expectValidAgainstCommittedSchema(received);
    expect(await pendingCount([...subjects])).toBe(0);
  });

  it('re-publishes with the same ids, and loses nothing, when a relay dies between publish and mark (after its lease)', async () => {
    const run = uniqueSuffix();
    const subjects = [`CONT_AWD_crash-${run}-a`, `CONT_AWD_crash-${run}-b`, `CONT_AWD_crash-${run}-c`];
    const expected: string[] = [];
    for (let version = 1; version <= 4; version += 1) {
      for (const recordId of subjects) {
        expected.push(
          await insertOutboxRow(db, {
            resource: 'contracts',
            recordId,
            version,
            changeType: version === 1 ? 'created' : 'updated',
          }),
        );
      }
    }
    const doomed = await replica('relay-doomed', ChangeEventRelay);
    let sentBeforeCrash = 0;
    const leaseMs = 1_000;
    const crash = doomed.repository.claimAndPublish(100, leaseMs, async (events) => {
      await doomed.relay.publish(events);
      sentBeforeCrash += events.length;
      // The process "dies" now: it never gets to mark the rows nor to give its lane leases back.
      await doomed.dataSource.destroy();
    });
    await expect(crash).rejects.toThrow();
    expect(sentBeforeCrash).toBe(expected.length);
    expect(await pendingCount(subjects)).toBe(expected.length);
    const subjectSet = new Set(subjects);
    await waitFor(() => collector.of(subjectSet).length >= expected.length, 20_000, 'the first publication');

    // While the dead relay's leases last, no other relay publishes its lanes; after them, the rows go out again.
    const survivor = await replica('relay-survivor', ChangeEventRelay);
    await expect(survivor.relay.drain()).resolves.toBe(0);
    await sleep(leaseMs + 200);
    await expect(survivor.relay.drain()).resolves.toBe(expected.length);
    expect(await pendingCount(subjects)).toBe(0);
    await waitFor(() => collector.of(subjectSet).length >= 2 * expected.length, 20_000, 'the re-publication');
    await sleep(500);

    const received = collector.of(subjectSet);
    expect(received).toHaveLength(2 * expected.length);
    // Every event arrived twice with the same id and the same body: a duplicate to drop, never a gap.
    for (const id of expected) {
      const copies = received.filter((item) => item.event.id === id);
      expect(copies).toHaveLength(2);
      expect(copies[0]!.raw).toBe(copies[1]!.raw);
    }
    for (const [subject, sequence] of versionsBySubject(received)) {
      expect({ subject, sequence }).toEqual({ subject, sequence: [1, 2, 3, 4, 1, 2, 3, 4] });
    }
    const seen = new Set<string>();
    const deduplicated = received.filter((item) => !seen.has(item.event.id) && seen.add(item.event.id));
    for (const [subject, sequence] of versionsBySubject(deduplicated)) {
      expect({ subject, sequence }).toEqual({ subject, sequence: [1, 2, 3, 4] });
    }
    expectValidAgainstCommittedSchema(received);
  });

  it('keeps the lanes of a relay whose broker hangs past the lease: the leases are renewed while it publishes', async () => {
    const run = uniqueSuffix();
    const subjects = [`CONT_AWD_hang-${run}-a`, `CONT_AWD_hang-${run}-b`];
    for (const recordId of subjects) {
      await insertOutboxRow(db, { resource: 'contracts', recordId, version: 1, changeType: 'created' });
    }
    const slow = await replica('relay-slow', ChangeEventRelay);
    const other = await replica('relay-other', ChangeEventRelay);
    const leaseMs = 300;
    let finish: () => void = () => undefined;
    let slowSent = 0;
    const hanging = slow.repository.claimAndPublish(100, leaseMs, async (events) => {
      slowSent += events.filter((event) => subjects.includes(event.event.subject)).length;
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    await sleep(4 * leaseMs);
    let otherSent = 0;
    await other.repository.claimAndPublish(100, leaseMs, (events) => {
      otherSent += events.filter((event) => subjects.includes(event.event.subject)).length;
      return Promise.resolve();
    });
    // Four leases later the lanes are still the slow relay's: it is alive, so nobody publishes them twice.
    expect(otherSent).toBe(0);
    finish();
    await hanging;
    expect(slowSent).toBe(subjects.length);
    expect(await pendingCount(subjects)).toBe(0);
  });

  it('stops a lane at a row that is not a valid event, keeps the other lanes moving, and resumes once repaired', async () => {
    const run = uniqueSuffix();
    const healthy = `CONT_AWD_healthy-${run}`;
    const healthyEvent = await insertOutboxRow(db, {
      resource: 'contracts',
      recordId: healthy,
      version: 1,
      changeType: 'created',
    });
    // A record in the same lane as a poisoned row, and one of its events queued behind it.
    const [poisoned] = await db.query<{ id: string; lane: number }[]>(
      `INSERT INTO change_events (event_id, resource, record_id, change_type, version, record, lane)
       VALUES (gen_random_uuid(), 'contract_appeals', $1, 'created', 1, '{}'::jsonb,
               (abs(hashtext('contracts:' || $2)) % 64 + 1) % 64)
       RETURNING id::text AS id, lane`,
      [`poison-${run}`, healthy],
    );
    const [sibling] = await db.query<{ record_id: string }[]>(
      `SELECT 'CONT_AWD_sibling-${run}-' || n AS record_id FROM generate_series(1, 5000) n
        WHERE abs(hashtext('contracts:CONT_AWD_sibling-${run}-' || n)) % 64 = $1 LIMIT 1`,
      [poisoned!.lane],
    );
    const blockedEvent = await insertOutboxRow(db, {
      resource: 'contracts',
      recordId: sibling!.record_id,
      version: 1,
      changeType: 'created',
    });
    const relay = await replica('relay-poison', ChangeEventRelay);
    const published: string[] = [];
    const result = await relay.repository.claimAndPublish(100, 60_000, async (events) => {
      published.push(...events.map((event) => event.event.id));
      await relay.relay.publish(events);
    });
    expect(published).toContain(healthyEvent);
    expect(published).not.toContain(blockedEvent);
    expect(result.blocked.map((blocked) => [blocked.lane, blocked.error.rowId])).toEqual([
      [poisoned!.lane, poisoned!.id],
    ]);
    expect(result.blocked[0]!.error.problems.join()).toMatch(/unknown resource "contract_appeals"/);

    await db.query('DELETE FROM change_events WHERE id = $1', [poisoned!.id]);
    await relay.relay.drain();
    expect(await pendingCount([sibling!.record_id])).toBe(0);
  });
});
