import { familyReport } from '../support/health-report';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { FAMILIES } from '../../src/common/tango/families';
import { type DescribedFamily as ResourceFamily } from '../../src/common/tango/resource-family';
import { canonicalJson } from '../../src/mirror/content-hash';
import { FetchFailureRepository } from '../../src/sync-state/fetch-failure.repository';
import { type FamilyReport, type HealthReport } from '../../src/health/health-report.service';
import { ReconcileScheduler } from '../../src/reconcile/reconcile.scheduler';
import { Reconciler } from '../../src/reconcile/reconciler.service';
import { startPipeline, type Pipeline, waitForMirror } from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';
import { simulatorSizes } from '../support/simulator-suite';
import { requireEnv, uniqueSuffix } from '../support/test-config';

const SIZES = simulatorSizes({ contracts: 60, idvs: 10, entities: 20, grants: 40, forecasts: 10 });

/**
 * The worker against a simulator that obeys Tango's contract: drift in the contract heals itself, answers Tango
 * will not change are final and show, counts-only alerts never become unfiltered scans, missing ids are cheap.
 */
describe("the worker when Tango's contract moves or refuses (simulator)", () => {
  let pipeline: Pipeline;
  let prefix: string;
  let deadLetters: { resource: string; recordId: string; status: number | null; error: string }[];
  let consumer: ReturnType<Kafka['consumer']>;
  let closeDatabase: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    prefix = `contract-${uniqueSuffix()}`;
    // Its own database: the failing families and gaps it provokes must not leak into other suites' /health.
    const database = await ScratchDatabase.migrated('tango_contract');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      { sizes: SIZES, seed: 41 },
      { KAFKA_TOPIC_PREFIX: prefix },
      {},
      database.scratch.url,
    );
    deadLetters = [];
    const kafka = new Kafka({
      clientId: 'e2e-contract',
      brokers: requireEnv('TEST_KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });
    consumer = kafka.consumer({ groupId: `e2e-contract-${prefix}` });
    await consumer.connect();
    await consumer.subscribe({ topic: `${prefix}.fetch.dead-letter.v1`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        deadLetters.push(JSON.parse(message.value?.toString('utf8') ?? '{}') as (typeof deadLetters)[number]);
        await Promise.resolve();
      },
    });
  });

  afterAll(async () => {
    await consumer.disconnect();
    await pipeline.close();
    await closeDatabase();
  });

  async function health(): Promise<HealthReport> {
    return (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
  }

  async function familyHealthWhen(
    family: ResourceFamily,
    done: (report: FamilyReport) => boolean,
    timeoutMs = 30_000,
  ): Promise<FamilyReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const report = familyReport(await health(), family);
      if (done(report) || Date.now() > deadline) {
        return report;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  function truth(family: ResourceFamily, ids: readonly string[]): Map<string, string> {
    const all = pipeline.sim.control.groundTruth(family);
    return new Map(ids.map((id) => [id, all.get(id) ?? 'deleted']));
  }

  async function mirrored(
    family: ResourceFamily,
    ids: readonly string[],
  ): Promise<Map<string, { record: Record<string, unknown>; version: number }>> {
    const spec = FAMILIES[family];
    const rows = await pipeline.db.query<{ id: string; record: Record<string, unknown>; version: number }>(
      `SELECT ${spec.idField}::text AS id, record, version FROM ${spec.table} WHERE ${spec.idField}::text = ANY($1)`,
      [ids],
    );
    return new Map(rows.rows.map((row) => [row.id, { record: row.record, version: row.version }]));
  }

  function requests(route: string): number {
    return pipeline.sim.control.counters().requestsByRoute[route] ?? 0;
  }

  it('keeps mirroring a family while Tango drops a field from its contract, names it, and heals when it returns', async () => {
    const ids = pipeline.sim.control.ids('grants').slice(0, 20);
    const [first, second] = [ids.slice(0, 10), ids.slice(10)];
    // Mirrored with the full shape before the drift.
    first.forEach((id) => pipeline.sim.control.modifyRecord('grants', id));
    await pipeline.sim.control.flush();
    expect(await waitForMirror(pipeline.db, 'grants', truth('grants', first), 30_000)).toEqual(
      truth('grants', first),
    );
    const before = await mirrored('grants', first);

    // Tango drops `synopsis` while changes of the family are being fetched.
    second.forEach((id) => pipeline.sim.control.modifyRecord('grants', id));
    const flushing = pipeline.sim.control.flush();
    pipeline.sim.control.removeContractField('grants', 'synopsis');
    await flushing;
    // Re-hinting the records mirrored before the drift, unchanged: no change may be reported for them.
    await pipeline.sim.control.sendEvent({ queryType: 'grant', newIds: [], modifiedIds: first.map(Number) });

    const degraded = await familyHealthWhen('grants', (report) => report.shape.status === 'reduced');
    expect(degraded.shape.dropped).toEqual([
      expect.objectContaining({ path: 'synopsis', reason: 'unknown_field' }),
    ]);
    expect(degraded.status).toBe('degraded');
    expect(degraded.reasons.join(' ')).toMatch(/synopsis/);

    // 0 records lost: every modified grant is mirrored with Tango's current content (synopsis carried over).
    const deadline = Date.now() + 30_000;
    let rows = await mirrored('grants', second);
    while (Date.now() < deadline) {
      rows = await mirrored('grants', second);
      const done = second.every((id) => {
        const served = pipeline.sim.control.getRecord('grants', id);
        const row = rows.get(id);
        if (row === undefined || served === undefined) {
          return false;
        }
        const { synopsis: _carried, ...rest } = row.record;
        return canonicalJson(rest) === canonicalJson(served);
      });
      if (done) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const id of second) {
      const { synopsis: _carried, ...rest } = rows.get(id)?.record ?? {};
      expect({ id, record: rest }).toEqual({ id, record: pipeline.sim.control.getRecord('grants', id) });
    }
    // The records re-fetched under the reduced shape were not reported as changed.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await mirrored('grants', first);
    for (const id of first) {
      expect({ id, version: after.get(id)?.version }).toEqual({ id, version: before.get(id)?.version });
      expect(after.get(id)?.record.synopsis).toEqual(before.get(id)?.record.synopsis);
    }

    // Tango has the field again: the probe restores the full shape and the family is ok.
    pipeline.sim.control.restoreContractField('grants', 'synopsis');
    await pipeline.app.app.get(ReconcileScheduler).shapeProbeTick({ force: true });
    const healed = await familyHealthWhen('grants', (report) => report.status === 'ok');
    expect(healed.shape).toMatchObject({
      status: 'full',
      dropped: [],
      lastProbeOutcome: expect.stringMatching(/probe/),
    });
    expect(healed.status).toBe('ok');
    const next = ids.slice(0, 3);
    next.forEach((id) => pipeline.sim.control.modifyRecord('grants', id));
    await pipeline.sim.control.flush();
    expect(await waitForMirror(pipeline.db, 'grants', truth('grants', next), 30_000)).toEqual(
      truth('grants', next),
    );
  }, 120_000);

  it('shows a family failing within one fetch when Tango refuses it for good, with the record dead-lettered', async () => {
    // Tango no longer knows the forecast id: no shape naming it can be healed by dropping items.
    pipeline.sim.control.removeContractField('forecasts', 'id');
    const id = pipeline.sim.control.ids('forecasts')[0]!;
    await pipeline.sim.control.sendEvent({ queryType: 'forecast', newIds: [Number(id)], modifiedIds: [] });
    const failing = await familyHealthWhen('forecasts', (report) => report.status === 'failing');
    expect(failing.status).toBe('failing');
    expect(failing.rejectedFetches).toMatchObject({ count: 1, lastStatus: 400 });
    expect(failing.reasons[0]).toMatch(/Tango refused 1 fetch\(es\) for good .*400 .*Invalid shape/);
    const deadline = Date.now() + 15_000;
    while (!deadLetters.some((letter) => letter.resource === 'forecasts') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(deadLetters).toContainEqual(
      expect.objectContaining({ resource: 'forecasts', recordId: id, status: 400 }),
    );
    // Only other families are unaffected.
    expect((await health()).families.contracts?.status).not.toBe('failing');

    // Once Tango serves it again, a redrive mirrors it and the family is no longer failing.
    pipeline.sim.control.restoreContractField('forecasts', 'id');
    await pipeline.app.app.get(FetchFailureRepository).redrive({ resource: 'forecasts', includeOpen: false });
    expect(await waitForMirror(pipeline.db, 'forecasts', truth('forecasts', [id]), 30_000)).toEqual(
      truth('forecasts', [id]),
    );
    const recovered = await familyHealthWhen('forecasts', (report) => report.status !== 'failing');
    expect(recovered.rejectedFetches.count).toBe(0);
  }, 90_000);

  it('treats a 200 carrying an error as final: dead-lettered at once, the family failing until redriven', async () => {
    const id = pipeline.sim.control.ids('entities')[3]!;
    pipeline.sim.control.setFaults({ errorIn200Rate: 1, pathPattern: '^/api/entities/' });
    const detailsBefore = requests('GET /api/entities/:id/');
    await pipeline.sim.control.sendEvent({ queryType: 'entity', newIds: [id], modifiedIds: [] });
    const failing = await familyHealthWhen('entities', (report) => report.status === 'failing');
    pipeline.sim.control.resetFaults();
    expect(failing.rejectedFetches).toMatchObject({ count: 1, lastStatus: 200 });
    // Not retried: one request, not FETCHER_MAX_ATTEMPTS of them.
    expect(requests('GET /api/entities/:id/') - detailsBefore).toBe(1);
    await pipeline.app.app.get(FetchFailureRepository).redrive({ resource: 'entities', includeOpen: false });
    expect(await waitForMirror(pipeline.db, 'entities', truth('entities', [id]), 30_000)).toEqual(
      truth('entities', [id]),
    );
    expect((await familyHealthWhen('entities', (report) => report.status !== 'failing')).status).not.toBe(
      'failing',
    );
  }, 60_000);

  it('never turns a counts-only alert whose filters Tango would ignore into an unfiltered list request', async () => {
    const alert = pipeline.sim.control.createAlert({
      name: 'contracts with a filter Tango lacks',
      query_type: 'contract',
      filters: { naics: '541512', not_a_tango_filter: 'x' },
      counts_only: true,
    });
    const counters = pipeline.sim.control.counters();
    const unfilteredBefore = counters.unfilteredListRequests.contracts ?? 0;
    const ignoredBefore = JSON.stringify(counters.ignoredListParams.contracts ?? {});
    const definitionsBefore = requests('GET /api/webhooks/alerts/:id/');
    await pipeline.sim.control.sendEvent({
      queryType: 'contract',
      alertId: alert.alert_id,
      filters: alert.filters,
      countsOnly: true,
      fields: { matches: { new_count: 2, modified_count: 1 } },
    });
    const report = await familyHealthWhen('contracts', (family) =>
      family.openGaps.some((gap) => gap.cause === 'alert_filters_unsupported'),
    );
    const gap = report.openGaps.find((candidate) => candidate.cause === 'alert_filters_unsupported');
    expect(gap?.detail).toMatchObject({ unknownFilters: ['not_a_tango_filter'] });
    expect(String(gap?.detail.why)).toMatch(/not_a_tango_filter/);
    // It read the alert's definition once, and sent no list request Tango would answer unfiltered.
    expect(requests('GET /api/webhooks/alerts/:id/') - definitionsBefore).toBe(1);
    const after = pipeline.sim.control.counters();
    expect(after.unfilteredListRequests.contracts ?? 0).toBe(unfilteredBefore);
    expect(JSON.stringify(after.ignoredListParams.contracts ?? {})).toBe(ignoredBefore);

    // The reconciler repairs the gap with the family's date window, still without an unfiltered request.
    const run = await pipeline.app.app.get(Reconciler).reconcile({ drift: false });
    expect(run.gaps).toContainEqual(expect.objectContaining({ gapId: gap?.id, closed: true }));
    expect(pipeline.sim.control.counters().unfilteredListRequests.contracts ?? 0).toBe(unfilteredBefore);
  }, 60_000);

  it('spends at most one list request and one detail request each on 100 hinted ids that do not exist', async () => {
    const ids = Array.from(
      { length: 100 },
      (_, n) => `CONT_AWD_NOSUCH${String(n).padStart(4, '0')}_9700_-NONE-_-NONE-`,
    );
    const lists = requests('GET /api/contracts/');
    const details = requests('GET /api/contracts/:id/');
    await pipeline.sim.control.sendEvent({ queryType: 'contract', newIds: ids, modifiedIds: [] });
    const deadline = Date.now() + 30_000;
    while (requests('GET /api/contracts/:id/') - details < 100 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(requests('GET /api/contracts/') - lists).toBe(1);
    expect(requests('GET /api/contracts/:id/') - details).toBe(100);
    // Ids Tango does not have are recorded, not tombstoned, and do not fail the family.
    const failures = await pipeline.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fetch_failures WHERE kind = 'not_found' AND record_id = ANY($1)`,
      [ids],
    );
    expect(failures.rows[0]?.n).toBe(100);
    expect((await health()).families.contracts?.status).not.toBe('failing');
  }, 60_000);

  it('stores alerts of families it does not mirror as not mirrored, and shows event types it does not know', async () => {
    const [delivery] = await pipeline.sim.control.sendEvent({
      eventType: 'alerts.exclusion.match',
      countsOnly: true,
    });
    expect(delivery?.outcome).toBe('acknowledged');
    const stored = await pipeline.db.query<{ status: string }>(
      `SELECT status FROM webhook_deliveries ORDER BY id DESC LIMIT 1`,
    );
    expect(stored.rows[0]?.status).toBe('not_mirrored');

    pipeline.sim.control.addEventType('protests.filed', 'A bid protest was filed');
    await pipeline.app.app.get(ReconcileScheduler).pollTick({ force: true });
    const report = await health();
    expect(report.eventTypes.listed).toEqual(
      expect.arrayContaining(['alerts.exclusion.match', 'protests.filed']),
    );
    expect(report.eventTypes.unknown).toEqual(['protests.filed']);
    expect(report.problems.join(' ')).toMatch(/protests\.filed/);
    expect(report.jobs).toContainEqual(expect.objectContaining({ job: 'alert-poll', status: 'ok' }));
  }, 60_000);

  it('shows the API version Tango answers with beside the contract, and a newer one as a warning only', async () => {
    await pipeline.app.app.get(ReconcileScheduler).pollTick({ force: true });
    const current = await health();
    expect(current.tango).toMatchObject({ liveVersion: '4.25.1', contractVersion: '4.25.1', warning: null });
    expect(current.tango.liveSeenAt).not.toBeNull();
    const metrics = await (await fetch(`${pipeline.app.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /^tango_sync_tango_api_version_info\{[^}]*live="4\.25\.1",vendored="4\.25\.1"[^}]*\} 1$/m,
    );

    // Tango moved on (the simulator answers its contract's version only: the row is what a newer answer writes).
    await pipeline.db.query(`UPDATE tango_api_version SET version = '4.26.0', version_parts = '{4,26,0}'`);
    const deadline = Date.now() + 10_000;
    let report = await health();
    while (report.tango.liveVersion !== '4.26.0' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      report = await health();
    }
    expect(report.tango.liveVersion).toBe('4.26.0');
    expect(report.tango.warning).toMatch(/4\.26\.0.*scripts\/refresh-tango-contract\.sh/);
    // A later 4.25.1 answer does not move it back, and a newer Tango never fails readiness.
    await pipeline.app.app.get(ReconcileScheduler).pollTick({ force: true });
    expect((await health()).tango.liveVersion).toBe('4.26.0');
    expect((await fetch(`${pipeline.app.baseUrl}/health/ready`)).status).toBe(200);
  }, 60_000);
});
