import { Logger } from '@nestjs/common';
import { type HealthReport } from '../../src/health/health-report.service';
import { GapDetector } from '../../src/reconcile/gap-detector';
import { Reconciler } from '../../src/reconcile/reconciler.service';
import { RejectionRecorder } from '../../src/webhook/rejection-recorder';
import {
  mirrorHashes,
  SMALL_SIZES,
  type Pipeline,
  startPipeline,
  waitForMirror,
} from '../support/pipeline-harness';
import { TcpProxy } from '../support/tcp-proxy';
import { ScratchDatabase } from '../support/scratch-database';

const SIZES = SMALL_SIZES;
const AFTER_GRACE = (): Date => new Date(Date.now() + 3_600_000);

describe('health: deliveries answered 503 during a Postgres outage are recorded and repaired', () => {
  let pipeline: Pipeline;
  let proxy: TcpProxy;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    // Its own database: what /health says must not depend on what other suites left in the shared one.
    const database = await ScratchDatabase.migrated('health_outage');
    closeDatabase = database.close;
    const databaseUrl = new URL(database.scratch.url);
    proxy = await TcpProxy.start(databaseUrl.hostname, Number(databaseUrl.port || 5432));
    databaseUrl.port = String(proxy.port);
    pipeline = await startPipeline(
      {
        sizes: SIZES,
        seed: 41,
        webhooks: { retryBaseDelaySeconds: 0, maxAttempts5xx: 2, maxAttemptsNetwork: 2, maxAttempts4xx: 1 },
      },
      { DATABASE_URL: databaseUrl.toString(), DATABASE_STATEMENT_TIMEOUT_MS: '3000' },
      {},
      database.scratch.url,
    );
    await pipeline.app.app.get(GapDetector).pollAlerts(AFTER_GRACE());
  });

  afterAll(async () => {
    proxy.restore();
    await pipeline.close();
    await proxy.close();
    await closeDatabase();
  });

  it('opens a gap from the recorded 503s, sweeps, mirrors the missed changes and returns to ok', async () => {
    const ids = pipeline.sim.control.ids('contracts').slice(0, 3);
    proxy.cut();
    ids.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
    const deliveries = await pipeline.sim.control.flush();
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.every((delivery) => delivery.outcome === 'given-up')).toBe(true);
    proxy.restore();

    // The 503s waited in memory while Postgres was away; they are written once it is back.
    const recorder = pipeline.app.app.get(RejectionRecorder);
    for (let attempt = 0; attempt < 50 && recorder.pending > 0; attempt += 1) {
      await recorder.flush();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const rejections = await pipeline.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM webhook_rejections WHERE http_status = 503 AND code = 'DATABASE.UNAVAILABLE'`,
    );
    expect(rejections.rows[0]?.n).toBeGreaterThanOrEqual(2);

    const detector = pipeline.app.app.get(GapDetector);
    expect(await detector.detectRejections()).toBeGreaterThanOrEqual(1);
    await detector.pollAlerts(AFTER_GRACE());
    const degraded = (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
    expect(degraded.families.contracts?.status).toBe('degraded');

    const expected = new Map(
      ids.map((id) => [id, pipeline.sim.control.groundTruth('contracts').get(id) ?? 'deleted']),
    );
    const before = await mirrorHashes(pipeline.db, 'contracts', ids);
    expect(ids.some((id) => before.get(id) === expected.get(id))).toBe(false);
    await pipeline.app.app.get(Reconciler).reconcile({ drift: false });
    expect(await waitForMirror(pipeline.db, 'contracts', expected, 20_000)).toEqual(expected);

    const healed = (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
    expect(healed.families.contracts?.openGaps).toEqual([]);
    expect(healed.families.contracts?.status).toBe('ok');
  }, 120_000);
});
