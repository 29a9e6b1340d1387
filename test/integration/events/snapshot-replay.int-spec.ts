import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { ChangeEventRelay } from '../../../src/events/change-event-relay';
import { ChangeEventOutbox } from '../../../src/outbox/change-event-outbox';
import { ChangeEventRepository } from '../../../src/events/change-event.repository';
import { SnapshotReplayService } from '../../../src/events/snapshot-replay.service';
import { contentHash } from '../../../src/mirror/content-hash';
import { type JsonRecord } from '../../../src/common/json';
import { MirrorRepository, type Provenance } from '../../../src/mirror/mirror.repository';
import { ScratchDatabase } from '../../support/scratch-database';
import { uniqueSuffix } from '../../support/test-config';
import { committedSchema } from '../../unit/events/support/event-fixtures';
import { validate } from '../../unit/events/support/json-schema-subset';
import { type Replica, sleep, startReplica, TopicCollector, waitFor } from './support/event-harness';

const provenance: Provenance = {
  deliveryIds: ['d-1'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['a-1'],
  reasons: ['new'],
};

function contract(key: string, obligated: number): JsonRecord {
  return { key, piid: 'W15QKN24C1234', obligated, recipient: { uei: 'ABCDEFGH1234' } };
}

interface OutboxRow {
  id: string;
  event_id: string;
  record_id: string;
  change_type: string;
  version: number;
  hash: string | null;
  previous_hash: string | null;
  changed_fields: string[];
  record: JsonRecord | null;
  provenance: Record<string, unknown>;
  lane: number;
}

describe('snapshot replay from the mirror', () => {
  const topicPrefix = `test-${uniqueSuffix()}`;
  const collector = new TopicCollector();
  let scratch: ScratchDatabase;
  let db: DataSource;
  let mirror: MirrorRepository;
  let replays: SnapshotReplayService;
  let replica: Replica;

  async function outbox(keys: readonly string[]): Promise<OutboxRow[]> {
    return db.query(
      `SELECT id::text AS id, event_id::text AS event_id, record_id, change_type, version, hash, previous_hash,
              changed_fields, record, provenance, lane
         FROM change_events WHERE resource = 'contracts' AND record_id = ANY($1::text[]) ORDER BY id`,
      [keys],
    );
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    scratch = await ScratchDatabase.create('replay');
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
    mirror = new MirrorRepository(db);
    replays = new SnapshotReplayService(new ChangeEventRepository(db, new ChangeEventOutbox(db)));
    replica = await startReplica(
      { databaseUrl: scratch.url, topicPrefix, applicationName: `replay-relay-${uniqueSuffix()}` },
      ChangeEventRelay,
    );
    await replica.relay.ensureTopics();
    await collector.start(topicPrefix, `replay-int-${uniqueSuffix()}`);
  });

  afterAll(async () => {
    await collector.stop();
    await replica.close();
    await db.destroy();
    await scratch.drop();
  });

  it('re-emits live records as snapshot events in their lanes, skips deleted ones, and honours --since', async () => {
    const run = uniqueSuffix();
    const [a, b, c] = ['a', 'b', 'c'].map((name) => `CONT_AWD_replay-${run}-${name}`) as [
      string,
      string,
      string,
    ];
    const fetchedAt = new Date('2026-11-01T00:00:00Z');
    await mirror.upsert(
      'contracts',
      [a, b, c].map((key) => ({ record: contract(key, 1), fetchedAt, provenance })),
    );
    await mirror.upsert('contracts', [
      { record: contract(a, 2), fetchedAt: new Date('2026-11-02T00:00:00Z'), provenance },
    ]);
    await mirror.markDeleted('contracts', [c], new Date('2026-11-03T00:00:00Z'), provenance);
    await db.query(`UPDATE contracts SET changed_at = '2020-01-01T00:00:00Z' WHERE key = $1`, [b]);
    const live = await outbox([a, b, c]);

    const first = await replays.replay('contracts', { batchSize: 1 });
    expect(first).toMatchObject({
      family: 'contracts',
      emitted: 2,
      examined: 2,
      skippedDeleted: 1,
      since: null,
    });
    expect(first.batches).toBe(2);
    const snapshots = (await outbox([a, b, c])).filter((row) => row.change_type === 'snapshot');
    expect(snapshots.map((row) => [row.record_id, row.version])).toEqual([
      [a, 2],
      [b, 1],
    ]);
    for (const snapshot of snapshots) {
      const original = live.find((row) => row.record_id === snapshot.record_id)!;
      // Same lane as the record's live events, so one relay publishes both in order.
      expect(snapshot.lane).toBe(original.lane);
      expect(snapshot.record).toEqual(contract(snapshot.record_id, snapshot.record_id === a ? 2 : 1));
      expect(snapshot.hash).toBe(contentHash(snapshot.record));
      expect(snapshot).toMatchObject({ previous_hash: null, changed_fields: [] });
      expect(snapshot.provenance).toMatchObject({
        reasons: ['snapshot'],
        snapshot: true,
        replayId: first.replayId,
      });
    }

    // The same run again (resuming it) adds nothing; a new run adds distinct events; --since narrows.
    await expect(replays.replay('contracts', { replayId: first.replayId })).resolves.toMatchObject({
      emitted: 0,
    });
    const second = await replays.replay('contracts');
    expect(second.emitted).toBe(2);
    expect(second.replayId).not.toBe(first.replayId);
    const since = await replays.replay('contracts', { since: new Date('2025-01-01T00:00:00Z') });
    expect(since).toMatchObject({ emitted: 1, skippedDeleted: 1 });
    const allSnapshots = (await outbox([a, b, c])).filter((row) => row.change_type === 'snapshot');
    expect(allSnapshots).toHaveLength(5);
    expect(new Set(allSnapshots.map((row) => row.event_id)).size).toBe(5);

    // The relay publishes them after each record's live events, valid against the committed schema.
    await replica.relay.drain();
    const subjects = new Set([a, b, c]);
    const total = live.length + allSnapshots.length;
    await waitFor(() => collector.of(subjects).length >= total, 20_000, `${total} events`);
    const received = collector.of(subjects);
    const changes = (key: string): string[] =>
      received
        .filter((item) => item.event.subject === key)
        .map((item) => `${item.event.change}@${item.event.version}`);
    expect(changes(a)).toEqual(['created@1', 'updated@2', 'snapshot@2', 'snapshot@2', 'snapshot@2']);
    expect(changes(b)).toEqual(['created@1', 'snapshot@1', 'snapshot@1']);
    expect(changes(c)).toEqual(['created@1', 'deleted@2']);
    const schema = committedSchema('contracts');
    for (const { event } of received) {
      expect(validate(schema, event)).toEqual([]);
    }
    const snapshotEvent = received.find(
      (item) => item.event.change === 'snapshot' && item.event.subject === a,
    )!;
    expect(snapshotEvent.event).toMatchObject({
      type: 'com.makegov.tango.contracts.snapshot',
      snapshot: true,
      data: contract(a, 2),
      provenance: { reasons: ['snapshot'], replay_id: first.replayId, delivery_ids: [] },
    });
    expect(snapshotEvent.headers['tango-sync-change']).toBe('snapshot');
  });

  it('never lets a snapshot overtake a concurrent change of its record', async () => {
    const key = `CONT_AWD_replay-race-${uniqueSuffix()}`;
    await mirror.upsert('contracts', [
      { record: contract(key, 1), fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    const since = new Date(Date.now() - 60_000);

    const writer = db.createQueryRunner();
    await writer.connect();
    await writer.startTransaction();
    let replayed: Awaited<ReturnType<SnapshotReplayService['replay']>> | undefined;
    try {
      await mirror.upsert(
        'contracts',
        [{ record: contract(key, 2), fetchedAt: new Date('2026-11-02T00:00:00Z'), provenance }],
        writer.manager,
      );
      const replay = replays.replay('contracts', { since }).then((summary) => {
        replayed = summary;
        return summary;
      });
      await sleep(500);
      // The replay waits for the uncommitted change of the record instead of snapshotting the old version.
      expect(replayed).toBeUndefined();
      await writer.commitTransaction();
      await replay;
    } finally {
      await writer.release();
    }
    const rows = await outbox([key]);
    expect(rows.map((row) => `${row.change_type}@${row.version}`)).toEqual([
      'created@1',
      'updated@2',
      'snapshot@2',
    ]);
  });
});
