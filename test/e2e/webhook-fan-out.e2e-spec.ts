import { Logger } from '@nestjs/common';
import { type HealthReport } from '../../src/health/health-report.service';
import { GapDetector } from '../../src/reconcile/gap-detector';
import { Reconciler } from '../../src/reconcile/reconciler.service';
import {
  PIPELINE_SECRET,
  SMALL_SIZES,
  startPipeline,
  waitForMirror,
  type Pipeline,
} from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';
import { postDelivery } from '../support/webhook-client';

/** Far enough ahead that every alert check is past the grace period for in-flight retries. */
const AFTER_GRACE = (): Date => new Date(Date.now() + 3_600_000);
const NAMED = 20_000;
/** WEBHOOK_MAX_IDS_PER_EVENT's default. */
const LIMIT = 1_000;

/**
 * One signed delivery naming 20,000 records must not become 20,000 fetch targets: at most the per-event limit
 * (WEBHOOK_MAX_IDS_PER_EVENT, 1,000 by default) is fetched by id, the rest is recorded on the event and becomes a
 * gap that `/health` shows and a sweep repairs.
 */
describe('webhook fan-out limits: a delivery naming 20,000 records (simulator)', () => {
  let pipeline: Pipeline;
  let detector: GapDetector;
  let reconciler: Reconciler;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('webhook_fan_out');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      {
        sizes: { ...SMALL_SIZES, contracts: LIMIT + 6 },
        seed: 13,
        webhooks: { retryBaseDelaySeconds: 0, maxAttemptsNetwork: 1 },
      },
      // Room for the body: the fan-out limits, not the body limit, are under test.
      { WEBHOOK_MAX_BODY_BYTES: String(4 * 1024 * 1024) },
      {},
      database.scratch.url,
    );
    detector = pipeline.app.app.get(GapDetector);
    reconciler = pipeline.app.app.get(Reconciler);
    await detector.pollAlerts(AFTER_GRACE());
  }, 120_000);

  afterAll(async () => {
    await pipeline.close();
    await closeDatabase();
  });

  async function health(): Promise<HealthReport> {
    const response = await fetch(`${pipeline.app.baseUrl}/health`);
    return (await response.json()) as HealthReport;
  }

  function truth(ids: readonly string[]): Map<string, string> {
    const all = pipeline.sim.control.groundTruth('contracts');
    return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
  }

  it('fetches at most the limit by id, opens a gap that /health shows, and a sweep brings in the rest', async () => {
    const alert = pipeline.sim.control.alerts().find((a) => a.query_type === 'contract');
    if (alert === undefined) {
      throw new Error('no contract alert');
    }
    // The first LIMIT ids are real records (fetched by id), then ids past the limit that are never fetched, and
    // last six real changes whose own deliveries Tango loses (the endpoint is unreachable while it flushes): only
    // the sweep of the gap can bring them in.
    const real = pipeline.sim.control.ids('contracts');
    const changed = real.slice(LIMIT, LIMIT + 6);
    const pastLimit = Array.from(
      { length: NAMED - LIMIT - changed.length },
      (_, n) => `CONT_AWD_PAST${n}_9700_-NONE-_-NONE-`,
    );
    const named = [...real.slice(0, LIMIT), ...pastLimit, ...changed];
    expect(named).toHaveLength(NAMED);
    const endpoint = pipeline.sim.control.endpoints()[0];
    if (endpoint === undefined) {
      throw new Error('no endpoint registered');
    }
    const callbackUrl = endpoint.callback_url;
    endpoint.callback_url = 'http://127.0.0.1:9/unreachable';
    changed.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
    await pipeline.sim.control.flush();
    endpoint.callback_url = callbackUrl;

    const body = JSON.stringify({
      delivery_id: 'fan-out-20000',
      timestamp: new Date().toISOString(),
      events: [
        {
          event_type: 'alerts.contract.match',
          alert_id: alert.alert_id,
          query_type: 'contract',
          matches: { new_count: 0, modified_count: named.length, new_ids: [], modified_ids: named },
        },
      ],
    });
    const answer = await postDelivery(`${pipeline.app.baseUrl}/tango/webhooks`, body, {
      secret: PIPELINE_SECRET,
    });
    expect(answer.status).toBe(202);

    const targets = await pipeline.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fetch_targets WHERE resource = 'contracts'`,
    );
    expect(targets.rows[0]?.n).toBe(LIMIT);
    const events = await pipeline.db.query<{ ids_dropped: number }>(
      `SELECT e.ids_dropped FROM webhook_events e JOIN webhook_deliveries d ON d.id = e.delivery_pk
        WHERE d.delivery_id = 'fan-out-20000'`,
    );
    expect(events.rows).toEqual([{ ids_dropped: NAMED - LIMIT }]);

    expect(await detector.detectOverLimits()).toBe(1);
    // Each over-limit event opens (or widens) a gap once.
    expect(await detector.detectOverLimits()).toBe(0);
    const degraded = await health();
    expect(degraded.families.contracts?.status).toBe('degraded');
    expect(degraded.families.contracts?.reasons).toContain('open gap (delivery_over_limits)');
    expect(degraded.families.contracts?.openGaps).toEqual([
      expect.objectContaining({
        cause: 'delivery_over_limits',
        alertId: alert.alert_id,
        detail: expect.objectContaining({ idsDropped: NAMED - LIMIT, events: 1 }) as unknown,
      }),
    ]);

    const run = await reconciler.reconcile({ drift: false });
    expect(run.gaps).toEqual([expect.objectContaining({ closed: true })]);
    expect(await waitForMirror(pipeline.db, 'contracts', truth(changed), 60_000)).toEqual(truth(changed));
    const healed = await health();
    expect(healed.families.contracts?.openGaps).toEqual([]);
  }, 180_000);
});
