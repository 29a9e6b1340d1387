import { Logger } from '@nestjs/common';
import {
  DESCRIBED_FAMILIES as RESOURCE_FAMILIES,
  type DescribedFamily as ResourceFamily,
} from '../../src/common/tango/resource-family';
import {
  mirrorHashes,
  PIPELINE_SECRET,
  type Pipeline,
  startPipeline,
  waitForMirror,
} from '../support/pipeline-harness';
import { tangoSignature } from '../support/webhook-client';

const SIZES = {
  contracts: 300,
  idvs: 50,
  otas: 30,
  otidvs: 30,
  opportunities: 60,
  notices: 60,
  entities: 80,
  grants: 60,
  forecasts: 60,
};
const FAMILIES = RESOURCE_FAMILIES;

describe('webhook → outbox → Kafka → fetcher → mirror, against the simulator', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    // Every award family's alerts are delivered: the recipe-documented catalog (idv, ota, otidv alert types).
    pipeline = await startPipeline({ sizes: SIZES, seed: 7, eventCatalog: 'recipe' });
  });

  afterAll(async () => {
    await pipeline.close();
  });

  /** Ground truth for the given ids (the simulator's content hash of each current record). */
  function truth(family: ResourceFamily, ids: readonly string[]): Map<string, string> {
    const all = pipeline.sim.control.groundTruth(family);
    return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
  }

  it('mirrors every hinted record of every family exactly as Tango has it', async () => {
    const touched = new Map<ResourceFamily, string[]>();
    for (const family of FAMILIES.filter((name) => name !== 'notices')) {
      const ids = pipeline.sim.control.ids(family).slice(0, 5);
      for (const id of ids) {
        pipeline.sim.control.modifyRecord(family, id);
      }
      touched.set(family, ids);
    }
    // Tango has no notice alerts: new notices reach the worker through their opportunity's latest_notice_id.
    const notices = Array.from(
      { length: 3 },
      () => pipeline.sim.control.createRecord('notices').notice_id as string,
    );
    touched.set('notices', notices);
    await pipeline.sim.control.flush();
    const deadline = Date.now() + 60_000;
    const mismatches: Record<string, Record<string, string | undefined>> = {};
    for (const family of FAMILIES) {
      const expected = truth(family, touched.get(family) ?? []);
      const actual = await waitForMirror(
        pipeline.db,
        family,
        expected,
        Math.max(1_000, deadline - Date.now()),
      );
      for (const [id, hash] of expected) {
        if (actual.get(id) !== hash) {
          mismatches[family] = { ...mismatches[family], [id]: actual.get(id) ?? 'missing' };
        }
      }
    }
    expect(mismatches).toEqual({});
  }, 120_000);

  it('raises the version by exactly one on a modification and emits one updated event', async () => {
    const id = pipeline.sim.control.ids('contracts')[20]!;
    pipeline.sim.control.modifyRecord('contracts', id);
    await pipeline.sim.control.flush();
    await waitForMirror(pipeline.db, 'contracts', truth('contracts', [id]));
    const before = await pipeline.db.query<{ version: number }>(
      'SELECT version FROM contracts WHERE key = $1',
      [id],
    );
    pipeline.sim.control.modifyRecord('contracts', id);
    await pipeline.sim.control.flush();
    await waitForMirror(pipeline.db, 'contracts', truth('contracts', [id]));
    const after = await pipeline.db.query<{ version: number }>(
      'SELECT version FROM contracts WHERE key = $1',
      [id],
    );
    expect(after.rows[0]?.version).toBe((before.rows[0]?.version ?? 0) + 1);
    const events = await pipeline.db.query<{ change_type: string; version: number }>(
      `SELECT change_type, version FROM change_events WHERE resource = 'contracts' AND record_id = $1 ORDER BY version`,
      [id],
    );
    expect(events.rows.map((row) => row.version)).toEqual(events.rows.map((_, index) => index + 1));
    expect(events.rows.at(-1)).toEqual({ change_type: 'updated', version: after.rows[0]?.version });
  });

  it('turns a deletion followed by a hint into a tombstone', async () => {
    const [deleted, hinted] = pipeline.sim.control.ids('grants').slice(30, 32) as [string, string];
    pipeline.sim.control.modifyRecord('grants', deleted);
    await pipeline.sim.control.flush();
    await waitForMirror(pipeline.db, 'grants', truth('grants', [deleted]));
    // Tango sends nothing for a deletion; the next hint for the record (here: a replayed one) finds it gone.
    pipeline.sim.control.deleteRecord('grants', deleted);
    await pipeline.db.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason) VALUES ('grants', $1, 'integer', 'record', 'test-hint')`,
      [deleted],
    );
    await pipeline.db.query(`SELECT pg_notify('fetch_targets', '1')`);
    pipeline.sim.control.modifyRecord('grants', hinted);
    await pipeline.sim.control.flush();
    const actual = await waitForMirror(
      pipeline.db,
      'grants',
      new Map([[deleted, 'deleted'], ...truth('grants', [hinted])]),
    );
    expect(actual.get(deleted)).toBe('deleted');
    const events = await pipeline.db.query<{ change_type: string }>(
      `SELECT change_type FROM change_events WHERE resource = 'grants' AND record_id = $1 ORDER BY version`,
      [deleted],
    );
    expect(events.rows.at(-1)?.change_type).toBe('deleted');
  });

  it('spends no API call on a duplicate delivery or on a record already fetched after its hint', async () => {
    const ids = pipeline.sim.control.ids('contracts').slice(40, 45);
    ids.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
    await pipeline.sim.control.flush();
    await waitForMirror(pipeline.db, 'contracts', truth('contracts', ids));
    const apiRequests = (): number =>
      Object.entries(pipeline.sim.control.counters().requestsByRoute)
        .filter(([route]) => route.includes('/api/') && !route.includes('/api/webhooks/'))
        .reduce((sum, [, value]) => sum + value, 0);
    const totalBefore = apiRequests();
    // Replay the last delivery byte for byte, as Tango's at-least-once delivery would.
    const last = pipeline.sim.control.deliveries().at(-1);
    expect(last).toBeDefined();
    const replay = await fetch(`${pipeline.app.baseUrl}/tango/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-tango-signature': tangoSignature(last?.body ?? '', PIPELINE_SECRET),
      },
      body: last?.body,
    });
    expect(replay.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(apiRequests()).toBe(totalBefore);
    const mirrored = await mirrorHashes(pipeline.db, 'contracts', ids);
    expect(mirrored.size).toBe(ids.length);
  });
});
