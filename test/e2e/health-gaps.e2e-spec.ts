import { Logger } from '@nestjs/common';
import { type HealthReport } from '../../src/health/health-report.service';
import { GapDetector } from '../../src/reconcile/gap-detector';
import { Reconciler } from '../../src/reconcile/reconciler.service';
import {
  mirrorHashes,
  SMALL_SIZES,
  startPipeline,
  waitForMirror,
  type Pipeline,
} from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';

const SIZES = SMALL_SIZES;

/** Far enough ahead that every alert check is past the grace period for in-flight retries. */
const AFTER_GRACE = (): Date => new Date(Date.now() + 3_600_000);

describe('health: gap detection, reconciliation and degraded signals (simulator)', () => {
  let pipeline: Pipeline;
  let detector: GapDetector;
  let reconciler: Reconciler;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    // Its own database: what /health says must not depend on what other suites left in the shared one.
    const database = await ScratchDatabase.migrated('health_gaps');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      {
        sizes: SIZES,
        seed: 11,
        webhooks: { retryBaseDelaySeconds: 0, maxAttemptsNetwork: 2, maxAttempts4xx: 1, maxAttempts5xx: 2 },
      },
      {},
      {},
      database.scratch.url,
    );
    detector = pipeline.app.app.get(GapDetector);
    reconciler = pipeline.app.app.get(Reconciler);
    // Baseline observation of every alert.
    await detector.pollAlerts(AFTER_GRACE());
  });

  afterAll(async () => {
    await pipeline.close();
    await closeDatabase();
  });

  async function health(): Promise<{ status: number; body: HealthReport }> {
    const response = await fetch(`${pipeline.app.baseUrl}/health`);
    return { status: response.status, body: (await response.json()) as HealthReport };
  }

  /** Tango's deliveries fail (connection refused) until the returned function restores the endpoint. */
  function breakEndpoint(): () => void {
    const endpoint = pipeline.sim.control.endpoints()[0];
    if (endpoint === undefined) {
      throw new Error('no endpoint registered');
    }
    const url = endpoint.callback_url;
    endpoint.callback_url = 'http://127.0.0.1:9/unreachable';
    return () => {
      endpoint.callback_url = url;
    };
  }

  function truth(ids: readonly string[]): Map<string, string> {
    const all = pipeline.sim.control.groundTruth('contracts');
    return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
  }

  it('reports ok with coverage per family before anything went wrong', async () => {
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.families.contracts?.coverage.detects).toEqual(['new']);
    expect(body.families.contracts?.coverage.onlyBySampling).toEqual(['modified', 'deleted']);
    expect(body.families.forecasts?.coverage.detects).toEqual(['new', 'modified']);
    // One per alert the simulator registered: the query types its (SDK) catalog lists.
    expect(body.alerts.length).toBeGreaterThanOrEqual(pipeline.sim.control.alerts().length);
    expect(pipeline.sim.control.alerts().length).toBe(5);
  });

  it('sees a dropped delivery through match_count, sweeps, mirrors the missed changes and returns to ok', async () => {
    const ids = pipeline.sim.control.ids('contracts').slice(0, 3);
    const restore = breakEndpoint();
    ids.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
    const deliveries = await pipeline.sim.control.flush();
    restore();
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((d) => d.outcome === 'given-up')).toBe(true);

    const expected = truth(ids);
    const before = await mirrorHashes(pipeline.db, 'contracts', ids);
    expect(ids.every((id) => before.get(id) !== expected.get(id))).toBe(true);

    const poll = await detector.pollAlerts(AFTER_GRACE());
    expect(poll.gapsOpened).toBe(1);
    const degraded = await health();
    expect(degraded.body.families.contracts?.status).toBe('degraded');
    expect(degraded.body.families.contracts?.openGaps).toEqual([
      expect.objectContaining({ cause: 'alert_match_count', resource: 'contracts' }),
    ]);
    expect(degraded.body.families.contracts?.openGaps[0]?.detail).toMatchObject({ missingMatches: 3 });

    const run = await reconciler.reconcile({ drift: false });
    expect(run.gaps).toEqual([expect.objectContaining({ closed: true })]);
    const after = await waitForMirror(pipeline.db, 'contracts', expected, 10_000);
    expect(after).toEqual(expected);

    const healed = await health();
    expect(healed.body.families.contracts?.status).toBe('ok');
    expect(healed.body.families.contracts?.openGaps).toEqual([]);
    expect(healed.body.families.contracts?.reconciledThrough).not.toBeNull();
    expect(healed.body.gaps.recentlyClosed[0]).toMatchObject({ cause: 'alert_match_count' });
    expect(healed.body.status).toBe('ok');
  });

  it('does not open a gap when the deliveries arrived', async () => {
    const id = pipeline.sim.control.ids('contracts')[5]!;
    pipeline.sim.control.modifyRecord('contracts', id);
    await pipeline.sim.control.flush();
    await waitForMirror(pipeline.db, 'contracts', truth([id]), 30_000);
    const poll = await detector.pollAlerts(AFTER_GRACE());
    expect(poll.gapsOpened).toBe(0);
    expect((await health()).body.gaps.open).toEqual([]);
  });

  it('shows a paused alert as degraded, and ok again once it is active', async () => {
    const alert = pipeline.sim.control.alerts().find((a) => a.query_type === 'grant');
    if (alert === undefined) {
      throw new Error('no grant alert');
    }
    alert.status = 'paused';
    await detector.pollAlerts(AFTER_GRACE());
    const paused = await health();
    expect(paused.body.families.grants?.status).toBe('degraded');
    expect(paused.body.families.grants?.reasons).toContain(`alert ${alert.alert_id}: alert is paused`);
    expect(paused.body.families.contracts?.status).toBe('ok');
    expect(paused.body.alerts.find((a) => a.alertId === alert.alert_id)).toMatchObject({
      status: 'degraded',
      alertStatus: 'paused',
    });

    alert.status = 'active';
    await detector.pollAlerts(AFTER_GRACE());
    expect((await health()).body.families.grants?.status).toBe('ok');
  });

  it('shows quota exhaustion as degraded and pauses sweeps while live fetches go on', async () => {
    pipeline.sim.control.setRateLimits({ dailyLimit: 40 });
    // Each poll is one request; the headers of the answers tell the budget the new limit.
    for (let i = 0; i < 10; i += 1) {
      await detector.pollAlerts(AFTER_GRACE());
    }
    const report = await health();
    expect(report.body.quota.dailyLimit).toBe(40);
    expect(report.body.quota.sweepsPausedReason).toMatch(/daily quota/);
    expect(report.body.families.contracts?.status).toBe('degraded');
    expect(report.body.families.contracts?.reasons.some((r) => r.startsWith('sweeps paused'))).toBe(true);

    // A gap now stays open: the sweep does not spend the live share.
    const missed = pipeline.sim.control.ids('contracts').slice(10, 12);
    const restore = breakEndpoint();
    missed.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
    await pipeline.sim.control.flush();
    restore();
    await detector.pollAlerts(AFTER_GRACE());
    const listsBefore = pipeline.sim.control.counters().requestsByRoute['GET /api/contracts/'] ?? 0;
    const run = await reconciler.reconcile({ drift: false });
    expect(run.pausedReason).toMatch(/daily quota/);
    expect(run.gaps).toEqual([expect.objectContaining({ closed: false })]);
    expect(pipeline.sim.control.counters().requestsByRoute['GET /api/contracts/'] ?? 0).toBe(listsBefore);
    expect((await health()).body.gaps.open).toHaveLength(1);

    // Live fetches are not blocked.
    const live = pipeline.sim.control.ids('contracts')[20]!;
    pipeline.sim.control.modifyRecord('contracts', live);
    await pipeline.sim.control.flush();
    expect(await waitForMirror(pipeline.db, 'contracts', truth([live]), 30_000)).toEqual(truth([live]));
  });
});
