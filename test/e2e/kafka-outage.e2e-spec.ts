import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { type ReadinessReport } from '../../src/health/readiness';
import {
  PIPELINE_SECRET,
  type Pipeline,
  SMALL_SIZES,
  startPipeline,
  waitForMirror,
} from '../support/pipeline-harness';
import { type PrivateKafka, startPrivateKafka } from '../support/private-services';
import { ScratchDatabase } from '../support/scratch-database';
import { postDelivery } from '../support/webhook-client';

const SIZES = { ...SMALL_SIZES, contracts: 200 };

/** A signed alerts delivery naming contracts, as Tango sends it. */
function contractAlert(keys: readonly string[]): string {
  return JSON.stringify({
    delivery_id: randomUUID(),
    timestamp: new Date().toISOString(),
    events: [
      {
        event_type: 'alerts.contract.match',
        alert_id: 'kafka-outage-alert',
        query_type: 'contract',
        checked_at: new Date().toISOString(),
        matches: { new_count: keys.length, modified_count: 0, new_ids: keys, modified_ids: [] },
      },
    ],
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * Webhook acknowledgements never wait on Kafka: with the broker down at boot, or frozen while deliveries keep
 * arriving (some naming records whose fetch targets a relay has claimed and is trying to publish), deliveries are
 * stored and answered at once, and the mirror catches up when the broker answers again. A private broker, so the
 * shared one is never disturbed.
 */
describe('webhooks while Kafka is down or frozen (private broker)', () => {
  let kafka: PrivateKafka;
  let pipeline: Pipeline;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    kafka = await startPrivateKafka();
    const database = await ScratchDatabase.migrated('kafka_outage');
    closeDatabase = database.close;
    // The broker is down before the worker starts.
    await kafka.stop();
    pipeline = await startPipeline(
      { sizes: SIZES, seed: 51 },
      { KAFKA_BROKERS: kafka.brokers.join(','), KAFKA_REQUEST_TIMEOUT_MS: '5000' },
      {},
      database.scratch.url,
    );
  }, 180_000);

  afterAll(async () => {
    kafka.resume();
    await pipeline.close();
    await kafka.destroy();
    await closeDatabase();
  }, 120_000);

  async function readiness(
    path: 'ready' | 'operational',
  ): Promise<{ status: number; body: ReadinessReport }> {
    const response = await fetch(`${pipeline.app.baseUrl}/health/${path}`);
    return { status: response.status, body: (await response.json()) as ReadinessReport };
  }

  function truth(ids: readonly string[]): Map<string, string> {
    const all = pipeline.sim.control.groundTruth('contracts');
    return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
  }

  async function deliver(keys: readonly string[]): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    const answer = await postDelivery(`${pipeline.app.baseUrl}/tango/webhooks`, contractAlert(keys), {
      secret: PIPELINE_SECRET,
    });
    return { status: answer.status, ms: performance.now() - started };
  }

  it('starts without Kafka, acknowledges and stores webhooks, and catches up when Kafka starts', async () => {
    const ready = await readiness('ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ canIngest: true, fullyOperational: false, status: 'degraded' });
    expect(ready.body.error).toMatchObject({ kafka: { status: 'down' } });
    expect((await readiness('operational')).status).toBe(503);

    const ids = pipeline.sim.control.ids('contracts').slice(0, 20);
    ids.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
    const answers = await Promise.all([deliver(ids.slice(0, 10)), deliver(ids.slice(10))]);
    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    const stored = await pipeline.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fetch_targets WHERE record_id = ANY($1) AND status = 'pending'`,
      [ids],
    );
    expect(stored.rows[0]?.n).toBe(20);

    await kafka.start();
    expect(await waitForMirror(pipeline.db, 'contracts', truth(ids), 90_000)).toEqual(truth(ids));
    const operational = await readiness('operational');
    expect(operational.status).toBe(200);
    expect(operational.body.fullyOperational).toBe(true);
  }, 180_000);

  it('acknowledges every delivery at once while the broker is frozen for 60 s, then mirrors them all', async () => {
    const ids = pipeline.sim.control.ids('contracts').slice(20, 140);
    kafka.freeze();
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const freezeEnds = Date.now() + 60_000;
    let round = 0;
    while (Date.now() < freezeEnds) {
      // Each record changes and is hinted again and again: most deliveries name records whose targets are
      // pending, claimed by a relay that is waiting on the frozen broker.
      const batch = ids.slice((round * 7) % ids.length, ((round * 7) % ids.length) + 12);
      batch.forEach((id) => pipeline.sim.control.modifyRecord('contracts', id));
      const answers = await Promise.all([deliver(batch), deliver(batch.slice(0, 4))]);
      for (const answer of answers) {
        latencies.push(answer.ms);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      }
      round += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const readyWhileFrozen = await readiness('ready');
    kafka.resume();

    const sorted = [...latencies].sort((a, b) => a - b);
    const summary = {
      deliveries: latencies.length,
      statuses: Object.fromEntries(statuses),
      p50: Math.round(percentile(sorted, 50)),
      p99: Math.round(percentile(sorted, 99)),
      max: Math.round(sorted.at(-1) ?? 0),
    };
    // For the record (the closing note): what acks looked like with the broker frozen.
    process.stdout.write(`kafka frozen 60 s: ${JSON.stringify(summary)}\n`);
    expect([...statuses.keys()].every((status) => status === 202 || status === 200)).toBe(true);
    expect(summary.p99).toBeLessThan(100);
    expect(readyWhileFrozen.status).toBe(200);
    expect(readyWhileFrozen.body.canIngest).toBe(true);

    expect(await waitForMirror(pipeline.db, 'contracts', truth(ids), 150_000)).toEqual(truth(ids));
  }, 300_000);
});
