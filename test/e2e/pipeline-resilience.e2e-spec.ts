import { Logger } from '@nestjs/common';
import { type DescribedFamily as ResourceFamily } from '../../src/common/tango/resource-family';
import { type Pipeline, startPipeline, waitForMirror } from '../support/pipeline-harness';
import { startTestApp, type RunningTestApp } from '../support/test-app';
import { fetchRequestPartitionSlot } from '../../src/outbox/fetch-request';
import { FetchTargetRelay } from '../../src/outbox/fetch-target-relay';
import { ScratchDatabase } from '../support/scratch-database';
import { testConfig, uniqueSuffix } from '../support/test-config';

const SIZES = {
  contracts: 200,
  idvs: 40,
  otas: 20,
  otidvs: 20,
  opportunities: 40,
  notices: 40,
  entities: 60,
  grants: 40,
  forecasts: 40,
};
const FAMILIES: readonly ResourceFamily[] = [
  'contracts',
  'idvs',
  'otas',
  'otidvs',
  'opportunities',
  'entities',
  'grants',
  'forecasts',
];

function truth(pipeline: Pipeline, family: ResourceFamily, ids: readonly string[]): Map<string, string> {
  const all = pipeline.sim.control.groundTruth(family);
  return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
}

/** Modifies `perFamily` records of every family, flushes the alerts, and returns what was touched. */
async function burst(
  pipeline: Pipeline,
  offset: number,
  perFamily: number,
): Promise<Map<ResourceFamily, string[]>> {
  const touched = new Map<ResourceFamily, string[]>();
  for (const family of FAMILIES) {
    const ids = pipeline.sim.control.ids(family).slice(offset, offset + perFamily);
    ids.forEach((id) => pipeline.sim.control.modifyRecord(family, id));
    touched.set(family, ids);
  }
  await pipeline.sim.control.flush();
  return touched;
}

async function expectConverged(
  pipeline: Pipeline,
  touched: Map<ResourceFamily, string[]>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const mismatches: Record<string, string[]> = {};
  for (const [family, ids] of touched) {
    const expected = truth(pipeline, family, ids);
    const actual = await waitForMirror(pipeline.db, family, expected, Math.max(1_000, deadline - Date.now()));
    const wrong = [...expected].filter(([id, hash]) => actual.get(id) !== hash).map(([id]) => id);
    if (wrong.length > 0) {
      mismatches[family] = wrong;
    }
  }
  expect(mismatches).toEqual({});
}

function apiRequests(pipeline: Pipeline): number {
  return Object.entries(pipeline.sim.control.counters().requestsByRoute)
    .filter(([route]) => route.includes('/api/') && !route.includes('/api/webhooks/'))
    .reduce((sum, [, value]) => sum + value, 0);
}

describe('the pipeline converges with faults switched on', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    // A 429 storm answers with Burst-Remaining 0, and the worker honours the burst window's reset: keep it short.
    pipeline = await startPipeline({
      // Alerts for every award family: the recipe-documented catalog.
      eventCatalog: 'recipe',
      sizes: SIZES,
      seed: 11,
      rateLimits: { burstLimit: 1000, burstWindowSeconds: 5 },
    });
  });

  afterAll(async () => {
    await pipeline.close();
  });

  // A 200 carrying an error is final (as in Tango's SDKs): it dead-letters its record at once, so it is not among
  // the faults the pipeline must ride out (test/e2e/tango-contract.e2e-spec.ts covers it).
  it('mirrors every hinted record despite 5xx, timeouts, dropped connections, truncated bodies and 429 storms', async () => {
    pipeline.sim.control.setFaults({
      serverErrorRate: 0.15,
      timeoutRate: 0.03,
      dropRate: 0.05,
      truncateRate: 0.1,
      rateLimitStormRate: 0.05,
    });
    const touched = await burst(pipeline, 0, 6);
    await expectConverged(pipeline, touched, 60_000);
    const faults = pipeline.sim.control.counters().faultsInjected;
    expect(Object.values(faults).reduce((sum, value) => sum + value, 0)).toBeGreaterThan(0);
    pipeline.sim.control.resetFaults();
  }, 120_000);
});

describe('the pipeline on the legacy envelope and on counts-only alerts', () => {
  it('mirrors what legacy subject-based deliveries name (bare PIIDs included)', async () => {
    Logger.overrideLogger(false);
    const pipeline = await startPipeline(
      { sizes: SIZES, seed: 12, webhooks: { legacyAwardKeys: 'mixed' } },
      {},
      { format: 'legacy' },
    );
    try {
      const touched = await burst(pipeline, 3, 4);
      await expectConverged(pipeline, touched, 60_000);
    } finally {
      await pipeline.close();
    }
  }, 120_000);

  it('sweeps the alert when a match carries only counts', async () => {
    Logger.overrideLogger(false);
    const small = {
      contracts: 30,
      idvs: 10,
      otas: 10,
      otidvs: 10,
      opportunities: 10,
      notices: 10,
      entities: 10,
      grants: 10,
      forecasts: 10,
    };
    const pipeline = await startPipeline(
      { sizes: small, seed: 13, eventCatalog: 'recipe' },
      {},
      { countsOnly: true },
    );
    try {
      const touched = await burst(pipeline, 1, 2);
      await expectConverged(pipeline, touched, 60_000);
      const sweeps = await pipeline.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM fetch_targets WHERE kind = 'sweep'`,
      );
      expect(sweeps.rows[0]?.n).toBeGreaterThan(0);
    } finally {
      await pipeline.close();
    }
  }, 120_000);
});

/** List calls per family (`GET /api/<family>/`) the simulator answered so far. */
function listCallsByFamily(pipeline: Pipeline): Map<ResourceFamily, number> {
  const routes = pipeline.sim.control.counters().requestsByRoute;
  return new Map(FAMILIES.map((family) => [family, routes[`GET /api/${family}/`] ?? 0]));
}

interface BurstCost {
  /** Every API call the burst cost. */
  readonly calls: number;
  readonly listCalls: ReadonlyMap<ResourceFamily, number>;
}

/** Bursts 10 changes per family, publishes every target in one relay batch, waits for convergence. */
async function measuredBurst(pipeline: Pipeline): Promise<BurstCost> {
  const callsBefore = apiRequests(pipeline);
  const listBefore = listCallsByFamily(pipeline);
  const touched = await burst(pipeline, 0, 10);
  await pipeline.app.app.get(FetchTargetRelay).drain();
  await expectConverged(pipeline, touched, 60_000);
  const listAfter = listCallsByFamily(pipeline);
  return {
    calls: apiRequests(pipeline) - callsBefore,
    listCalls: new Map(
      FAMILIES.map((family) => [family, (listAfter.get(family) ?? 0) - (listBefore.get(family) ?? 0)]),
    ),
  };
}

describe('two fetcher processes in one consumer group', () => {
  it('converge as one does, with at most 5% more API calls', async () => {
    Logger.overrideLogger(false);
    // Relays are driven by hand: every delivery is stored before one relay batch publishes all targets, so both
    // runs see the same batches and the comparison measures the consumer group, not relay timing. Each run has a
    // database of its own: on a shared one the second run's relay also publishes what the first left pending
    // (the notices its opportunities name) and counts those calls as its own.
    const soloDatabase = await ScratchDatabase.create('solo_fetcher');
    const pairDatabase = await ScratchDatabase.create('pair_fetcher');
    try {
      // One process.
      const single = await startPipeline(
        { sizes: SIZES, seed: 21, eventCatalog: 'recipe' },
        { FETCHER_GROUP_ID: `solo-${uniqueSuffix()}`, RELAY_ENABLED: 'false' },
        {},
        soloDatabase.url,
      );
      let solo: BurstCost;
      try {
        solo = await measuredBurst(single);
      } finally {
        await single.close();
      }
      // Two processes sharing the group, same dataset and the same changes.
      const prefix = `pair-${uniqueSuffix()}`;
      const shared = {
        FETCHER_GROUP_ID: `pair-${prefix}`,
        KAFKA_TOPIC_PREFIX: prefix,
        RELAY_ENABLED: 'false',
      };
      const pair = await startPipeline(
        { sizes: SIZES, seed: 21, eventCatalog: 'recipe' },
        shared,
        {},
        pairDatabase.url,
      );
      let second: RunningTestApp | undefined;
      let paired: BurstCost;
      try {
        second = await startTestApp(
          testConfig({
            ...shared,
            DATABASE_URL: pairDatabase.url,
            WEBHOOK_SECRETS: 'unused-second-secret',
            TANGO_BASE_URL: pair.sim.baseUrl,
            TANGO_API_KEY: 'sim-key',
          }),
        );
        // Let the group settle with both members before any work arrives (a rebalance mid-batch re-delivers work).
        await new Promise((resolve) => setTimeout(resolve, 8_000));
        paired = await measuredBurst(pair);
      } finally {
        await second?.close();
        await pair.close();
      }
      process.stdout.write(
        `two fetchers: ${solo.calls} API calls with one process, ${paired.calls} with two ` +
          `(list calls ${JSON.stringify(Object.fromEntries(solo.listCalls))} / ${JSON.stringify(Object.fromEntries(paired.listCalls))})\n`,
      );
      // Issue 5: at most 1.05 times the calls of one process for the same burst. And batching does not depend on
      // the partition layout: an id-list family's requests share one partition, so its 10 ids are one list call
      // in either run (with requests spread by id they were one call per partition holding some).
      expect(paired.calls).toBeLessThanOrEqual(solo.calls * 1.05);
      for (const family of FAMILIES.filter((name) => fetchRequestPartitionSlot(name) !== undefined)) {
        expect({ family, solo: solo.listCalls.get(family), pair: paired.listCalls.get(family) }).toEqual({
          family,
          solo: 1,
          pair: 1,
        });
      }
    } finally {
      await soloDatabase.drop();
      await pairDatabase.drop();
    }
  }, 240_000);
});
