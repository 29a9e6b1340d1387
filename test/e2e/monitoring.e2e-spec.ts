import { Logger } from '@nestjs/common';
import {
  familiesWithSamples,
  familyOf,
  metricNames,
  monitoringExpressions,
} from '../unit/monitoring/monitoring-files';
import {
  PIPELINE_SECRET,
  type Pipeline,
  SMALL_SIZES,
  startPipeline,
  waitForMirror,
} from '../support/pipeline-harness';
import { postDelivery } from '../support/webhook-client';

const OPERATOR_TOKEN = 'monitoring-operator-token';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Metric families the dashboard and the alert rules use, with where each is used. */
function referencedFamilies(known: ReadonlySet<string>): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const { where, expr } of monitoringExpressions()) {
    for (const name of metricNames(expr)) {
      const family = familyOf(name, known);
      used.set(family, [...(used.get(family) ?? []), where]);
    }
  }
  return used;
}

/** The referenced families without a sample on /metrics, with where they are used. */
async function missingFamilies(baseUrl: string): Promise<string[]> {
  const exposition = await (await fetch(`${baseUrl}/metrics`)).text();
  const declared = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] ?? ''));
  const present = familiesWithSamples(exposition);
  return [...referencedFamilies(declared)]
    .filter(([family]) => !present.has(family))
    .map(([family, where]) => `${family} (${where.join('; ')})`);
}

/**
 * The ready-made monitoring matches the code: after a short run of the whole pipeline (deliveries, fetches, change
 * events, a refused delivery, a small backfill), every metric the Grafana dashboard and the Prometheus alert rules
 * query has samples on /metrics.
 */
describe('monitoring/ against a running worker', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    pipeline = await startPipeline(
      { sizes: SMALL_SIZES, seed: 17 },
      { CONSOLE_TOKEN: OPERATOR_TOKEN, BACKFILL_POLL_INTERVAL_MS: '200' },
    );
  }, 60_000);

  afterAll(async () => {
    await pipeline.close();
  });

  it('finds every metric the dashboard and the alert rules use on /metrics', async () => {
    const { sim, app, db } = pipeline;
    // Deliveries → fetch targets → Kafka → fetcher → mirror → change events → Kafka.
    const ids = sim.control.ids('contracts').slice(0, 3);
    for (const id of ids) {
      sim.control.modifyRecord('contracts', id);
    }
    await sim.control.flush();
    const truth = sim.control.groundTruth('contracts');
    await waitForMirror(db, 'contracts', new Map(ids.map((id) => [id, truth.get(id) ?? 'deleted'])));

    // A delivery signed with the wrong secret is refused (and counted as a rejection).
    const refused = await postDelivery(`${app.baseUrl}/tango/webhooks`, '{"events":[]}', {
      secret: `not-${PIPELINE_SECRET}`,
    });
    expect(refused.status).toBe(401);

    // A small backfill, so the backfill counters have samples.
    const started = await fetch(`${app.baseUrl}/backfills`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR_TOKEN}` },
      body: JSON.stringify({ families: ['grants'] }),
    });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: string };
    let state = 'running';
    for (let waited = 0; state !== 'done' && state !== 'failed' && waited < 60_000; waited += 250) {
      await sleep(250);
      state = ((await (await fetch(`${app.baseUrl}/backfills/${id}`)).json()) as { state: string }).state;
    }
    expect(state).toBe('done');

    // Scrape-time figures (consumer lag, quota) may need a scrape or two to appear.
    let missing = await missingFamilies(app.baseUrl);
    for (let waited = 0; missing.length > 0 && waited < 30_000; waited += 1_000) {
      await sleep(1_000);
      missing = await missingFamilies(app.baseUrl);
    }
    expect(missing).toEqual([]);
  }, 180_000);
});
