import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type DataSource } from 'typeorm';
import { CliModule } from '../../../src/cli/cli.module';
import { FAMILIES } from '../../../src/common/tango/families';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';
import { ResourceRefreshRepository } from '../../../src/resources/resource-refresh.repository';
import { type RefreshRun, ResourceRefreshService } from '../../../src/resources/resource-refresh.service';
import { type RunningSimulator, startSimulator } from '../../../simulator';
import { ScratchDatabase } from '../../support/scratch-database';
import { testConfig } from '../../support/test-config';

const ok = (run: RefreshRun): Extract<RefreshRun, { ok: true }> => {
  if (!run.ok) {
    throw new Error(`refresh failed: ${run.error}`);
  }
  return run;
};

describe('contract resource refreshes against the simulator', () => {
  let sim: RunningSimulator;
  let app: INestApplicationContext;
  let service: ResourceRefreshService;
  let db: DataSource;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('refresh');
    db = database.dataSource;
    closeDatabase = database.close;
    sim = await startSimulator({
      port: 0,
      seed: 7,
      // Lists of several pages (100 a page) for offices and DIBBS RFQs; one page for the static NAICS.
      resourceSizes: { offices: 230, dibbs_rfqs: 250, naics: 150, exclusions: 120 },
      webhooks: { schedule: false },
    });
    const config = testConfig({
      DATABASE_URL: database.scratch.url,
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: 'sim-key',
      TANGO_RESOURCES: 'default',
      TANGO_BACKOFF_BASE_MS: '20',
      TANGO_BACKOFF_MAX_MS: '100',
    });
    app = await NestFactory.createApplicationContext(CliModule.forConfig(config), { logger: false });
    service = app.get(ResourceRefreshService);
  });

  afterAll(async () => {
    await app.close();
    await sim.close();
    await closeDatabase();
  });

  async function live(resource: ResourceFamily): Promise<Map<string, string>> {
    const spec = FAMILIES[resource];
    const rows = await db.query<{ id: string; content_hash: string }[]>(
      `SELECT ${spec.idField}::text AS id, content_hash FROM ${spec.table} WHERE deleted_at IS NULL`,
    );
    return new Map(rows.map((row) => [row.id, row.content_hash]));
  }

  it('deletes what a one-page walk no longer sees at once', async () => {
    expect(ok(await service.refresh('naics', 'full'))).toMatchObject({ pages: 1, records: 150, deleted: 0 });
    const [gone = ''] = sim.control.ids('naics');
    sim.control.deleteRecord('naics', gone);
    // NAICS has a detail route Tango names: the 404 confirms the deletion too.
    expect(ok(await service.refresh('naics', 'full'))).toMatchObject({ deleted: 1, pendingDeletions: 0 });
    expect(await live('naics')).toEqual(sim.control.groundTruth('naics'));
  });

  it('deletes what a longer walk no longer sees only once the walk before missed it too', async () => {
    expect(ok(await service.refresh('offices', 'full'))).toMatchObject({ pages: 3, records: 230 });
    const [gone = ''] = sim.control.ids('offices');
    sim.control.deleteRecord('offices', gone);
    const first = ok(await service.refresh('offices', 'full'));
    expect(first).toMatchObject({ deleted: 0, pendingDeletions: 1 });
    expect((await live('offices')).has(gone)).toBe(true);
    const second = ok(await service.refresh('offices', 'full'));
    expect(second).toMatchObject({ deleted: 1, pendingDeletions: 0 });
    expect(await live('offices')).toEqual(sim.control.groundTruth('offices'));
    const events = await db.query<{ change_type: string }[]>(
      `SELECT change_type FROM change_events WHERE resource = 'offices' AND record_id = $1 ORDER BY id`,
      [gone],
    );
    expect(events.map((row) => row.change_type)).toEqual(['created', 'deleted']);
  });

  it('polls by the since filter from the last walk’s day, and sees what changed', async () => {
    ok(await service.refresh('exclusions', 'full'));
    const [changed = ''] = sim.control.ids('exclusions');
    sim.control.modifyRecord('exclusions', changed, { exclusion_type: 'Reciprocal' });
    const added = sim.control.createRecord('exclusions');
    const poll = ok(await service.refresh('exclusions', 'poll'));
    expect(poll).toMatchObject({ kind: 'poll', changes: 2 });
    expect(poll.polledSince).toBe(new Date(Date.now() - 86_400_000).toISOString().slice(0, 10));
    // Only records changed since that day were read, not the whole list.
    expect(poll.records).toBeLessThan(sim.control.ids('exclusions').length);
    expect(await live('exclusions')).toEqual(sim.control.groundTruth('exclusions'));
    const addedKey = typeof added.exclusion_key === 'string' ? added.exclusion_key : '';
    expect((await live('exclusions')).has(addedKey)).toBe(true);
    const state = await app.get(ResourceRefreshRepository).state('exclusions');
    expect(state.pollCompletedAt).not.toBeNull();
  });

  it('polls newest first until a page brings no change', async () => {
    ok(await service.refresh('dibbs_rfqs', 'full'));
    const [changed = ''] = sim.control.ids('dibbs_rfqs');
    sim.control.modifyRecord('dibbs_rfqs', changed, { nsn: '5340-01-999-0001' });
    const poll = ok(await service.refresh('dibbs_rfqs', 'poll'));
    // Page 1 (newest first) holds the change; page 2 holds none, so the poll stops there, short of page 3.
    expect(poll).toMatchObject({ kind: 'poll', changes: 1, pages: 2 });
    expect(await live('dibbs_rfqs')).toEqual(sim.control.groundTruth('dibbs_rfqs'));
  });

  it('runs only what is due, and says on the state what failed', async () => {
    const due = await service.refreshDue();
    // Every resource of the default set that had no complete walk yet gets its first one; the rest wait.
    expect(Object.keys(due).sort()).toEqual(
      [
        'agencies',
        'assistance_listings',
        'business_types',
        'departments',
        'dibbs_rfps',
        'mas_sins',
        'organizations',
        'psc',
      ].sort(),
    );
    expect(await service.refreshDue()).toEqual({});
    sim.control.setFaults({ serverErrorRate: 1 });
    try {
      const failed = await service.refresh('agencies', 'full');
      expect(failed).toMatchObject({ ok: false, kind: 'full' });
      const state = await app.get(ResourceRefreshRepository).state('agencies');
      expect(state.lastError).toMatch(/500|503|Tango/);
    } finally {
      sim.control.resetFaults();
    }
    expect(ok(await service.refresh('agencies', 'full')).ok).toBe(true);
    expect((await app.get(ResourceRefreshRepository).state('agencies')).lastError).toBeNull();
  });
});
