import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type JsonRecord } from '../../../src/common/json';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import { type RawChangeEventRow, toRow } from '../../../src/outbox/change-event-outbox';
import { HistoryReplayService } from '../../../src/history/history-replay.service';
import { HistoryRepository } from '../../../src/history/history.repository';
import { MirrorRepository, type Provenance } from '../../../src/mirror/mirror.repository';
import { requireEnv } from '../../support/test-config';

const provenance: Provenance = {
  deliveryIds: ['d-1'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['a-1'],
  reasons: ['modified'],
};

function contract(key: string, obligated: number, extra: Partial<JsonRecord> = {}): JsonRecord {
  return {
    key,
    piid: 'W15QKN24C1234',
    award_date: '2026-08-13',
    fiscal_year: 2026,
    obligated,
    recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA' },
    ...extra,
  };
}

/** Database times: before the first version, after each of the four fetches, after the deletion. */
type Marks = [Date, Date, Date, Date, Date, Date];

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('record history against Postgres', () => {
  let dataSource: DataSource;
  let mirror: MirrorRepository;
  let history: HistoryRepository;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    dataSource = new DataSource(
      buildDataSourceOptions({
        url: requireEnv('TEST_DATABASE_URL'),
        poolSize: 3,
        statementTimeoutMs: 30_000,
        migrationsRun: false,
      }),
    );
    await dataSource.initialize();
    mirror = new MirrorRepository(dataSource);
    history = new HistoryRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  async function now(): Promise<Date> {
    const [row] = await dataSource.query<{ now: Date }[]>('SELECT clock_timestamp() AS now');
    if (row === undefined) {
      throw new Error('no time');
    }
    return row.now;
  }

  /**
   * The database time after a change, at least a millisecond later: a Date keeps milliseconds, Postgres keeps
   * microseconds, so a mark read in the same millisecond as the change would fall before it.
   */
  async function markAfter(): Promise<Date> {
    await pause(2);
    return now();
  }

  /** Mirrors three versions of one contract and a deletion, noting the database time between each. */
  async function threeVersionsAndADeletion(key: string): Promise<Marks> {
    const marks: Date[] = [await now()];
    let fetchedAt = Date.parse('2026-11-01T00:00:00Z');
    for (const obligated of [100, 250, 250, 400]) {
      await pause(5);
      fetchedAt += 60_000;
      await mirror.upsert('contracts', [
        { record: contract(key, obligated), fetchedAt: new Date(fetchedAt), provenance },
      ]);
      marks.push(await markAfter());
    }
    await pause(5);
    await mirror.markDeleted('contracts', [key], new Date(fetchedAt + 60_000), {
      ...provenance,
      reasons: ['not_found'],
    });
    marks.push(await markAfter());
    return marks as Marks;
  }

  it('keeps every version in record_history, written with the mirror row, and none for an unchanged fetch', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await threeVersionsAndADeletion(key);
    const versions = await history.timeline('contracts', key);
    expect(versions.map((v) => [v.version, v.changeType])).toEqual([
      [1, 'created'],
      [2, 'updated'],
      [3, 'updated'],
      [4, 'deleted'],
    ]);
    expect(versions[1]?.changedFields).toEqual(['obligated']);
    expect(versions[1]?.record?.obligated).toBe(250);
    expect(versions[3]?.record).toBeNull();
    // valid_to is the next version's valid_from; the last one is current.
    expect(versions[0]?.validTo).toEqual(versions[1]?.validFrom);
    expect(versions[3]?.validTo).toBeNull();
    // Each version carries the event id and time of its change event.
    const events = await dataSource.query<{ event_id: string; version: number; occurred_at: Date }[]>(
      `SELECT event_id::text AS event_id, version, occurred_at FROM change_events
        WHERE resource = 'contracts' AND record_id = $1 ORDER BY version`,
      [key],
    );
    expect(events.map((e) => [e.version, e.event_id, e.occurred_at.getTime()])).toEqual(
      versions.map((v) => [v.version, v.eventId, v.validFrom.getTime()]),
    );
    // The mirror row's changed_at is the current version's valid_from.
    const [row] = await dataSource.query<{ changed_at: Date; version: number }[]>(
      'SELECT changed_at, version FROM contracts WHERE key = $1',
      [key],
    );
    expect(row).toEqual({ changed_at: versions[3]?.validFrom, version: 4 });
  });

  it('answers "as of" a time with the version valid then, and nothing before creation or after deletion', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const marks = await threeVersionsAndADeletion(key);
    const asOf = async (at: Date): Promise<unknown> => {
      const rows = await dataSource.query<{ version: number; obligated: number }[]>(
        `SELECT version, (record->>'obligated')::numeric::float8 AS obligated FROM contracts_as_of($1) WHERE record_id = $2`,
        [at, key],
      );
      return rows[0] ?? null;
    };
    expect(await asOf(marks[0])).toBeNull();
    expect(await asOf(marks[1])).toEqual({ version: 1, obligated: 100 });
    expect(await asOf(marks[2])).toEqual({ version: 2, obligated: 250 });
    // The third fetch was unchanged: still version 2.
    expect(await asOf(marks[3])).toEqual({ version: 2, obligated: 250 });
    expect(await asOf(marks[4])).toEqual({ version: 3, obligated: 400 });
    expect(await asOf(marks[5])).toBeNull();
    // The generic function answers the same.
    const generic = await dataSource.query<{ version: number }[]>(
      `SELECT version FROM tango_record_as_of('contracts', $1) WHERE record_id = $2`,
      [marks[2], key],
    );
    expect(generic).toEqual([{ version: 2 }]);
  });

  it('stores patches, and rebuilds every version exactly, across removed fields, a deletion and a re-creation', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    let fetchedAt = Date.parse('2026-11-01T00:00:00Z');
    const next = (): Date => new Date((fetchedAt += 60_000));
    const written: JsonRecord[] = [];
    const write = async (record: JsonRecord): Promise<void> => {
      await mirror.upsert('contracts', [{ record, fetchedAt: next(), provenance }]);
      written.push(record);
    };
    await write(contract(key, 1, { description: 'first', extra: 'x' }));
    for (let round = 2; round <= 20; round += 1) {
      // Some rounds drop `extra`, some add it back, all change `obligated`.
      await write(
        contract(
          key,
          round,
          round % 3 === 0 ? { description: 'first' } : { description: 'first', extra: `x${round}` },
        ),
      );
    }
    await mirror.markDeleted('contracts', [key], next(), provenance);
    await write(contract(key, 99, { description: 'back' }));

    const rows = await dataSource.query<
      { version: number; is_full: boolean; patch: JsonRecord | null; removed_fields: string[] }[]
    >(
      `SELECT version, is_full, patch, removed_fields FROM record_history
        WHERE resource = 'contracts' AND record_id = $1 ORDER BY version`,
      [key],
    );
    expect(rows).toHaveLength(22);
    // Whole records: created, every 16th version, and the first after the deletion (and the deletion itself).
    expect(rows.filter((row) => row.is_full).map((row) => row.version)).toEqual([1, 17, 21, 22]);
    const patch = rows.find((row) => row.version === 3);
    expect(patch).toEqual({ version: 3, is_full: false, patch: { obligated: 3 }, removed_fields: ['extra'] });

    const timeline = await history.timeline('contracts', key);
    const expected = [...written.slice(0, 20), null, written[20]];
    expect(timeline.map((v) => v.record)).toEqual(expected);
    const [mirrored] = await dataSource.query<{ record: JsonRecord }[]>(
      'SELECT record FROM contracts WHERE key = $1',
      [key],
    );
    expect(timeline[timeline.length - 1]?.record).toEqual(mirrored?.record);
  });

  it('answers "when did the obligated amount change" from the timeline view', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await threeVersionsAndADeletion(key);
    const rows = await dataSource.query<{ version: number; obligated: string }[]>(
      `SELECT version, record->>'obligated' AS obligated FROM record_timeline
        WHERE resource = 'contracts' AND record_id = $1 AND change_type = 'updated' AND 'obligated' = ANY(changed_fields)
        ORDER BY version`,
      [key],
    );
    expect(rows).toEqual([
      { version: 2, obligated: '250' },
      { version: 3, obligated: '400' },
    ]);
  });

  it('re-publishes a window from history with the original event ids, versions and provenance, once per replay id', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const marks = await threeVersionsAndADeletion(key);
    // The outbox rows are gone (published and pruned): only history has them.
    await dataSource.query(`DELETE FROM change_events WHERE resource = 'contracts' AND record_id = $1`, [
      key,
    ]);
    const replay = new HistoryReplayService(history);
    const replayId = randomUUID();
    // The window holds versions 2 and 3 only.
    const summary = await replay.replay('contracts', {
      from: marks[1],
      to: marks[4],
      replayId,
      batchSize: 1,
    });
    expect(summary).toMatchObject({ emitted: expect.any(Number) });
    const rows = await dataSource.query<(RawChangeEventRow & { replay_key: string })[]>(
      `SELECT id::text AS id, event_id::text AS event_id, resource, record_id, change_type, version, previous_hash, hash,
              changed_fields, record, previous_values, provenance, occurred_at, lane, replay_key
         FROM change_events WHERE resource = 'contracts' AND record_id = $1 ORDER BY id`,
      [key],
    );
    const versions = await history.timeline('contracts', key);
    expect(rows.map((r) => r.version)).toEqual([2, 3]);
    for (const row of rows) {
      const original = versions.find((v) => v.version === row.version);
      expect(row.event_id).toBe(original?.eventId);
      expect(row.occurred_at).toEqual(original?.validFrom);
      expect(row.replay_key).toBe(replayId);
      // The old values the live event carried, rebuilt from the version before.
      const before = versions.find((v) => v.version === row.version - 1)?.record ?? {};
      expect(row.previous_values).toEqual(
        Object.fromEntries(row.changed_fields.filter((f) => f in before).map((f) => [f, before[f]])),
      );
      const event = buildChangeEvent(toRow(row));
      expect(event).toMatchObject({
        id: original?.eventId,
        change: 'updated',
        version: row.version,
        provenance: {
          delivery_ids: ['d-1'],
          event_types: ['alerts.contract.match'],
          reasons: ['modified'],
          replay_id: replayId,
        },
      });
    }
    // Resuming the same replay writes nothing twice; a new replay id writes the window again.
    const again = await replay.replay('contracts', {
      from: marks[1],
      to: marks[4],
      replayId,
    });
    expect(again.emitted).toBe(0);
    const other = await replay.replay('contracts', { from: marks[1], to: marks[4] });
    expect(other.emitted).toBeGreaterThanOrEqual(2);
  });

  it('refuses an empty or invalid window', async () => {
    const replay = new HistoryReplayService(history);
    const at = new Date('2026-11-01T00:00:00Z');
    await expect(replay.replay('contracts', { from: at, to: at })).rejects.toMatchObject({
      code: 'HISTORY.REPLAY_INVALID',
    });
    await expect(replay.replay('contracts', { from: new Date('nope'), to: at })).rejects.toMatchObject({
      code: 'HISTORY.REPLAY_INVALID',
    });
  });
});
