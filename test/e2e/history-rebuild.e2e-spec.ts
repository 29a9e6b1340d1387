import { Logger } from '@nestjs/common';
import { MirrorRebuildService } from '../../src/history/mirror-rebuild.service';
import { type HealthReport } from '../../src/health/health-report.types';
import { ReconcileScheduler } from '../../src/reconcile/reconcile.scheduler';
import { familyReport } from '../support/health-report';
import { SMALL_SIZES, startPipeline, waitForMirror, type Pipeline } from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';

describe('the log the mirror can be rebuilt from (issue 25)', () => {
  let pipeline: Pipeline;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('rebuild_e2e');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      { sizes: SMALL_SIZES, seed: 25, eventCatalog: 'recipe' },
      { HEALTH_HISTORY_CHECK_SAMPLE: '1000' },
      {},
      database.scratch.url,
    );
  });

  afterAll(async () => {
    await pipeline.close();
    await closeDatabase();
  });

  it('rebuilds a table equal to the mirror after a run of creates and updates (deletions: the integration test), and reports a row altered by hand', async () => {
    const { control } = pipeline.sim;
    const ids = control.ids('contracts').slice(0, 8);
    ids.slice(0, 5).forEach((id) => control.modifyRecord('contracts', id));
    const created = [control.createRecord('contracts'), control.createRecord('contracts')].map((record) =>
      typeof record.key === 'string' ? record.key : '',
    );
    ids.slice(0, 2).forEach((id) => control.modifyRecord('contracts', id));
    await control.flush();
    const expected = control.groundTruth('contracts');
    const touched = [...ids.slice(0, 5), ...created];
    await waitForMirror(
      pipeline.db,
      'contracts',
      new Map(touched.map((id) => [id, expected.get(id) ?? 'missing'])),
    );

    const rebuilds = pipeline.app.app.get(MirrorRebuildService);
    const compared = await rebuilds.rebuild('contracts', { swap: false });
    expect(compared.compared).toBeGreaterThanOrEqual(touched.length);
    expect(compared).toMatchObject({ equal: compared.compared, differences: {} });

    const altered = ids[3] ?? '';
    await pipeline.db.query(
      `UPDATE contracts SET record = jsonb_set(record, '{description}', '"altered by hand"') WHERE key = $1`,
      [altered],
    );
    await pipeline.app.app.get(ReconcileScheduler).historyCheckTick({ force: true });
    const report = (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
    expect(familyReport(report, 'contracts').reasons).toContain(
      'history check: 1 record(s) differ from the fold of their history (tango-sync rebuild contracts)',
    );
    const metrics = await (await fetch(`${pipeline.app.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tango_sync_history_mismatches\{resource="contracts"[^}]*\} 1$/m);

    expect(await rebuilds.rebuild('contracts', { swap: true })).toMatchObject({ rewritten: 1 });
    await pipeline.app.app.get(ReconcileScheduler).historyCheckTick({ force: true });
    const healed = (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
    expect(
      familyReport(healed, 'contracts').reasons.filter((reason) => reason.startsWith('history check')),
    ).toEqual([]);
  });
});
