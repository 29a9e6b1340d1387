import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { type JsonRecord } from '../../../src/common/json';
import { MirrorFoldRepository } from '../../../src/history/mirror-fold.repository';
import { MirrorRebuildService } from '../../../src/history/mirror-rebuild.service';
import { MirrorRepository, type Provenance } from '../../../src/mirror/mirror.repository';
import { ScratchDatabase } from '../../support/scratch-database';

const provenance: Provenance = { deliveryIds: [], eventTypes: [], alertIds: [], reasons: ['test'] };

function contract(key: string, obligated: number, extra: Partial<JsonRecord> = {}): JsonRecord {
  return {
    key,
    piid: `P-${key}`,
    award_date: '2026-08-13',
    obligated,
    naics_code: '541512',
    recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA' },
    ...extra,
  };
}

describe('the mirror against the fold of its history', () => {
  let db: DataSource;
  let close: () => Promise<void>;
  let mirror: MirrorRepository;
  let rebuilds: MirrorRebuildService;
  const keys = Array.from({ length: 12 }, (_, index) => `CONT_AWD_REBUILD_${String(index).padStart(2, '0')}`);

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('rebuild');
    db = database.dataSource;
    close = database.close;
    mirror = new MirrorRepository(db);
    rebuilds = new MirrorRebuildService(new MirrorFoldRepository(db), db);
    const at = (seconds: number): Date => new Date(Date.UTC(2026, 11, 1, 0, 0, seconds));
    // A run of creates, updates (an expand that changes, a field that goes away) and deletes.
    await mirror.upsert(
      'contracts',
      keys.map((key, index) => ({ record: contract(key, index * 10), fetchedAt: at(1), provenance })),
    );
    await mirror.upsert(
      'contracts',
      keys.slice(0, 6).map((key, index) => ({
        record: contract(key, index * 10 + 5, { recipient: { uei: 'ZZZZZZZZ9999', display_name: 'OTHER' } }),
        fetchedAt: at(2),
        provenance,
      })),
    );
    await mirror.upsert(
      'contracts',
      keys.slice(0, 3).map((key) => {
        const { naics_code: _dropped, ...rest } = contract(key, 1);
        return { record: rest, fetchedAt: at(3), provenance };
      }),
    );
    await mirror.markDeleted('contracts', keys.slice(9), at(4), provenance);
  });

  afterAll(async () => {
    await close();
  });

  it('finds every row equal to its history after a run of creates, updates and deletes', async () => {
    const outcome = await rebuilds.rebuild('contracts', { swap: false });
    expect(outcome).toMatchObject({ compared: 12, equal: 12, differences: {}, rewritten: 0 });
  });

  it('reports a row altered by hand within one run of the check, and rebuilds it (typed columns too) on request', async () => {
    await db.query(
      `UPDATE contracts SET record = jsonb_set(record, '{obligated}', '999'), obligated = 999 WHERE key = $1`,
      [keys[4]],
    );
    await db.query(`UPDATE contracts SET content_hash = 'x' WHERE key = $1`, [keys[5]]);
    await db.query(`DELETE FROM contracts WHERE key = $1`, [keys[10]]);
    const run = await rebuilds.checkSample(['contracts'], 100, {});
    expect(run.checked).toBe(12);
    expect(run.mismatches).toEqual([
      { resource: 'contracts', id: keys[4], difference: 'record' },
      { resource: 'contracts', id: keys[5], difference: 'hash' },
      { resource: 'contracts', id: keys[10], difference: 'missing_in_mirror' },
    ]);
    // The whole list fit in one sample: the next run starts over.
    expect(run.cursors).toEqual({ contracts: '' });

    const before = await db.query<{ key: string; obligated: string; naics_code: string | null }[]>(
      `SELECT key, obligated::text, naics_code FROM contracts WHERE key = ANY($1) ORDER BY key`,
      [[keys[0], keys[4]]],
    );
    const swapped = await rebuilds.rebuild('contracts', { swap: true });
    expect(swapped).toMatchObject({
      compared: 12,
      equal: 9,
      differences: { record: 1, hash: 1, missing_in_mirror: 1 },
      rewritten: 3,
    });
    expect(await rebuilds.rebuild('contracts', { swap: false })).toMatchObject({ equal: 12 });
    const after = await db.query<{ key: string; obligated: string; deleted: boolean }[]>(
      `SELECT key, obligated::text, deleted_at IS NOT NULL AS deleted FROM contracts WHERE key = ANY($1) ORDER BY key`,
      [[keys[4], keys[10]]],
    );
    // Rebuilt from history: the typed column follows the record; the deleted record is back as deleted.
    expect(after).toEqual([
      { key: keys[4], obligated: '45', deleted: false },
      { key: keys[10], obligated: '100', deleted: true },
    ]);
    expect(before[0]?.naics_code).toBeNull();
  });

  it('walks a rotating sample: each run goes on where the last stopped', async () => {
    const first = await rebuilds.checkSample(['contracts'], 5, {});
    expect(first).toMatchObject({ checked: 5, cursors: { contracts: keys[4] } });
    const second = await rebuilds.checkSample(['contracts'], 5, first.cursors);
    expect(second).toMatchObject({ checked: 5, cursors: { contracts: keys[9] } });
    const third = await rebuilds.checkSample(['contracts'], 5, second.cursors);
    expect(third).toMatchObject({ checked: 2, mismatches: [], cursors: { contracts: '' } });
  });
});
