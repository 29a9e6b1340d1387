import { familyReport } from '../support/health-report';
import { Logger } from '@nestjs/common';
import { type DescribedFamily as ResourceFamily } from '../../src/common/tango/resource-family';
import { type HealthReport } from '../../src/health/health-report.service';
import { EventTypeCatalog } from '../../src/reconcile/event-type-catalog';
import { ReconcileScheduler } from '../../src/reconcile/reconcile.scheduler';
import { Reconciler } from '../../src/reconcile/reconciler.service';
import { type EventCatalog } from '../../simulator/options';
import {
  mirrorHashes,
  SMALL_SIZES,
  startPipeline,
  waitForMirror,
  type Pipeline,
} from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';

/** Families the SDK catalog has no alert type for (notices have no query type in either catalog). */
const POLLED_UNDER_SDK: readonly ResourceFamily[] = ['idvs', 'otas', 'otidvs', 'notices'];
const NO_ALERT_TYPES = ['alerts.idv.match', 'alerts.ota.match', 'alerts.otidv.match'];
/** Test-sized: a family whose least recently verified record is older than this is degraded. */
const VERIFICATION_BOUND_SECONDS = 4;

describe.each<[EventCatalog]>([['sdk'], ['recipe']])(
  'freshness by what Tango sends (the simulator’s %s event-type catalog)',
  (catalog) => {
    let pipeline: Pipeline;
    let scheduler: ReconcileScheduler;
    let reconciler: Reconciler;
    let closeDatabase: () => Promise<void>;
    const created = new Map<ResourceFamily, string>();

    beforeAll(async () => {
      Logger.overrideLogger(false);
      const database = await ScratchDatabase.migrated(`freshness_${catalog}`);
      closeDatabase = database.close;
      pipeline = await startPipeline(
        { sizes: SMALL_SIZES, seed: 31, eventCatalog: catalog },
        {
          // The test runs every job itself (forced ticks); the timers stay out of its way.
          HEALTH_ALERT_POLL_INTERVAL_MS: '0',
          HEALTH_RECONCILE_INTERVAL_MS: '300000',
          HEALTH_NEWEST_POLL_INTERVAL_SECONDS: '0',
          HEALTH_NEWEST_POLL_LOOKBACK_DAYS: '2',
          HEALTH_MODIFIED_SINCE_PROBE_INTERVAL_SECONDS: '0',
          HEALTH_VERIFICATION_DEGRADED_SECONDS: String(VERIFICATION_BOUND_SECONDS),
        },
        {},
        database.scratch.url,
      );
      scheduler = pipeline.app.app.get(ReconcileScheduler);
      reconciler = pipeline.app.app.get(Reconciler);
      await pipeline.app.app.get(EventTypeCatalog).refresh();
    });

    afterAll(async () => {
      await pipeline.close();
      await closeDatabase();
    });

    async function health(): Promise<HealthReport> {
      return (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
    }

    function truth(family: ResourceFamily, ids: readonly string[]): Map<string, string> {
      const all = pipeline.sim.control.groundTruth(family);
      return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
    }

    function idOf(family: ResourceFamily): string {
      const id = created.get(family);
      if (id === undefined) {
        throw new Error(`no ${family} record created`);
      }
      return id;
    }

    it('decides each family’s source from the live catalog and says so on /health', async () => {
      const report = await health();
      const sources = Object.fromEntries(
        Object.entries(report.families).map(([family, entry]) => [family, entry.freshness.source]),
      );
      const polled: readonly string[] = catalog === 'sdk' ? POLLED_UNDER_SDK : ['notices'];
      for (const [family, source] of Object.entries(sources)) {
        expect([family, source]).toEqual([family, polled.includes(family) ? 'newest-poll' : 'alerts']);
      }
      const registered = pipeline.sim.control.alerts().map((alert) => alert.query_type);
      expect(registered.some((type) => ['idv', 'ota', 'otidv'].includes(type))).toBe(catalog === 'recipe');
      expect(report.families.idvs?.freshness.learnedBy.deleted).toEqual(['re-verification']);
    });

    it('mirrors new IDVs, OTAs, OTIDVs and notices: by the newest-first poll without alerts, by alerts with them', async () => {
      for (const family of POLLED_UNDER_SDK) {
        const record = pipeline.sim.control.createRecord(family);
        const id = family === 'notices' ? record.notice_id : record.key;
        if (typeof id !== 'string') {
          throw new Error(`created ${family} record has no id`);
        }
        created.set(family, id);
      }
      const deliveries = await pipeline.sim.control.flush();
      const sent = deliveries.flatMap((delivery) => delivery.event_types);
      if (catalog === 'sdk') {
        expect(sent.filter((type) => NO_ALERT_TYPES.includes(type))).toEqual([]);
      } else {
        expect(sent).toEqual(expect.arrayContaining(NO_ALERT_TYPES));
      }
      const poll = await scheduler.newestPollTick({ force: true });
      expect(poll.ran).toBe(true);
      for (const family of POLLED_UNDER_SDK) {
        const expected = truth(family, [idOf(family)]);
        expect(await waitForMirror(pipeline.db, family, expected, 20_000)).toEqual(expected);
      }
    });

    it('finds a modified IDV and a deleted OTA by re-verification within one cycle', async () => {
      const idv = idOf('idvs');
      const ota = idOf('otas');
      pipeline.sim.control.modifyRecord('idvs', idv, { description: `changed under ${catalog}` });
      expect(pipeline.sim.control.deleteRecord('otas', ota)).toBe(true);
      if (catalog === 'sdk') {
        // No webhook at all tells the worker: the mirror still holds the old IDV and the live OTA.
        const deliveries = await pipeline.sim.control.flush();
        expect(deliveries.flatMap((delivery) => delivery.event_types)).toEqual([]);
        const stale = await mirrorHashes(pipeline.db, 'idvs', [idv]);
        expect(stale.get(idv)).not.toBe(truth('idvs', [idv]).get(idv));
      }
      const run = await reconciler.reconcile();
      expect(run.reverified).toBeGreaterThan(0);
      const idvs = truth('idvs', [idv]);
      expect(await waitForMirror(pipeline.db, 'idvs', idvs, 20_000)).toEqual(idvs);
      const otas = new Map([[ota, 'deleted']]);
      expect(await waitForMirror(pipeline.db, 'otas', otas, 20_000)).toEqual(otas);
    });

    it('shows the oldest verification’s age and degrades a family past its bound until re-verified', async () => {
      await new Promise((resolve) => setTimeout(resolve, (VERIFICATION_BOUND_SECONDS + 1) * 1000));
      const stale = await health();
      const idvs = familyReport(stale, 'idvs').freshness;
      expect(idvs.mirrored).toBeGreaterThan(0);
      expect(idvs.oldestVerificationAgeSeconds).toBeGreaterThan(VERIFICATION_BOUND_SECONDS);
      expect(idvs.cycleEstimateSeconds).toEqual(expect.any(Number));
      expect(stale.families.idvs?.status).not.toBe('ok');
      expect(stale.families.idvs?.reasons).toEqual(
        expect.arrayContaining([expect.stringContaining('least recently verified record is')]),
      );
      const metrics = await (await fetch(`${pipeline.app.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^tango_sync_oldest_verification_age_seconds\{resource="idvs"[^}]*\} \d+/m);
      // The deleted OTA was the only one mirrored: no live OTA, no sample (never a sentinel).
      expect(metrics).not.toMatch(/^tango_sync_oldest_verification_age_seconds\{resource="otas"/m);

      const before = Date.parse(idvs.oldestVerifiedAt ?? '');
      await reconciler.reconcile();
      const deadline = Date.now() + 20_000;
      let fresh = await health();
      while (
        Date.parse(fresh.families.idvs?.freshness.oldestVerifiedAt ?? '') <= before &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        fresh = await health();
      }
      expect(fresh.families.idvs?.freshness.oldestVerificationAgeSeconds).toBeLessThanOrEqual(
        VERIFICATION_BOUND_SECONDS,
      );
      expect(fresh.families.idvs?.freshness.problem).toBeNull();
    });

    it('probes modified_after on award lists and finds it ignored (it is not in their contract)', async () => {
      const tick = await scheduler.modifiedSinceProbeTick({ force: true });
      expect(tick.ran).toBe(true);
      const report = await health();
      expect(report.families.contracts?.freshness.modifiedSince).toMatchObject({
        honoured: false,
        detail: expect.stringMatching(
          /^ignored: modified_after=2999-01-01 still lists \d+ of \d+$/,
        ) as unknown,
      });
      expect(report.families.contracts?.freshness.learnedBy.modified).not.toContain('modified-since poll');
      expect(report.families.grants?.freshness.modifiedSince).toBeNull();
    });
  },
);
