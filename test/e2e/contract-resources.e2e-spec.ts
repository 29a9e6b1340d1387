import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { BackfillEngine } from '../../src/backfill/backfill-engine';
import { BackfillService } from '../../src/backfill/backfill.service';
import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { type AppConfig } from '../../src/config/app-config';
import { APP_CONFIG } from '../../src/config/config.module';
import { type HealthReport } from '../../src/health/health-report.types';
import { ResourceRefreshService } from '../../src/resources/resource-refresh.service';
import { CONTRACT_RESOURCE_NAMES } from '../../src/tango-contract/resource-identity';
import { TopicCollector } from '../integration/events/support/event-harness';
import { familyReport } from '../support/health-report';
import {
  liveMirrorHashes,
  SMALL_SIZES,
  startPipeline,
  waitForMirror,
  type Pipeline,
} from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';
import { uniqueSuffix } from '../support/test-config';
import { committedSchema } from '../unit/events/support/event-fixtures';
import { validate } from '../unit/events/support/json-schema-subset';

/** The SQL under `<!-- query: name -->` in the README (the first ```sql block after it). */
function readmeQuery(name: string): string {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
  const start = readme.indexOf(`<!-- query: ${name} -->`);
  const match = /```sql\n([\s\S]*?)```/.exec(readme.slice(start));
  if (start < 0 || match?.[1] === undefined) {
    throw new Error(`README has no query ${name}`);
  }
  return match[1];
}

const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';

describe('every resource of Tango’s contract, by configuration (issue 24)', () => {
  let pipeline: Pipeline;
  let refresh: ResourceRefreshService;
  let closeDatabase: () => Promise<void>;
  const collector = new TopicCollector();

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('resources');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      { sizes: SMALL_SIZES, seed: 24, eventCatalog: 'sdk' },
      { TANGO_RESOURCES: 'all' },
      {},
      database.scratch.url,
    );
    refresh = pipeline.app.app.get(ResourceRefreshService);
    const config = pipeline.app.app.get<AppConfig>(APP_CONFIG);
    await collector.start(
      config.kafka.topicPrefix,
      `resources-e2e-${uniqueSuffix()}`,
      CONTRACT_RESOURCE_NAMES,
    );
  });

  afterAll(async () => {
    await collector.stop();
    await pipeline.close();
    await closeDatabase();
  });

  const mirrored = (resource: ResourceFamily): Promise<Map<string, string>> =>
    liveMirrorHashes(pipeline.db, resource);

  async function health(): Promise<HealthReport> {
    return (await (await fetch(`${pipeline.app.baseUrl}/health`)).json()) as HealthReport;
  }

  it('mirrors every contract resource exactly, lists it on /health with its freshness source, and publishes schema-valid events', async () => {
    for (const resource of CONTRACT_RESOURCE_NAMES) {
      const run = await refresh.refresh(resource, 'full');
      expect({ resource, ok: run.ok, complete: run.ok && run.complete }).toEqual({
        resource,
        ok: true,
        complete: true,
      });
      const truth = pipeline.sim.control.groundTruth(resource);
      expect(truth.size).toBeGreaterThan(0);
      expect({ resource, mirror: await mirrored(resource) }).toEqual({ resource, mirror: truth });
    }

    const report = await health();
    for (const resource of CONTRACT_RESOURCE_NAMES) {
      const freshness = familyReport(report, resource).freshness;
      expect({ resource, problem: freshness.problem }).toEqual({ resource, problem: null });
      expect(['alerts', 'incremental-poll', 'full-refresh']).toContain(freshness.source);
      expect(freshness.refresh).toMatchObject({ lastFullWalkAt: expect.any(String), lastError: null });
      expect(freshness.mirrored).toBe(pipeline.sim.control.groundTruth(resource).size);
    }
    expect(familyReport(report, 'exclusions').freshness).toMatchObject({
      source: 'alerts',
      refresh: { mode: 'since_filter', sinceFilter: 'update_date_after', idCertainty: 'unconfirmed' },
    });
    expect(familyReport(report, 'agencies').freshness).toMatchObject({
      source: 'full-refresh',
      refresh: { mode: 'full', dimension: true, detailRoute: true },
    });
    expect(familyReport(report, 'dibbs_awards').freshness.source).toBe('incremental-poll');

    const expected = CONTRACT_RESOURCE_NAMES.reduce(
      (sum, resource) => sum + pipeline.sim.control.groundTruth(resource).size,
      0,
    );
    const deadline = Date.now() + 60_000;
    while (collector.received.length < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(collector.received).toHaveLength(expected);
    const schemas = new Map(CONTRACT_RESOURCE_NAMES.map((resource) => [resource, committedSchema(resource)]));
    for (const { topic, event } of collector.received) {
      const resource = topic.split('.').at(-3) as (typeof CONTRACT_RESOURCE_NAMES)[number];
      expect({ topic, errors: validate(schemas.get(resource) ?? {}, event) }).toEqual({ topic, errors: [] });
      expect(event).toMatchObject({ resource, change: 'created' });
    }
  });

  it('gives one created, updated and deleted event when a dimension refresh finds an agency added, changed and removed', async () => {
    await refresh.refresh('agencies', 'full');
    const [changedCode = '', removedCode = ''] = pipeline.sim.control.ids('agencies');
    const added = pipeline.sim.control.createRecord('agencies', { name: 'Agency of Tests' });
    pipeline.sim.control.modifyRecord('agencies', changedCode, { name: 'Renamed Agency' });
    expect(pipeline.sim.control.deleteRecord('agencies', removedCode)).toBe(true);
    const before = await pipeline.db.query<{ max: string | null }>(
      `SELECT max(id)::text AS max FROM change_events WHERE resource = 'agencies'`,
    );

    const run = await refresh.refresh('agencies', 'full');
    expect(run).toMatchObject({ ok: true, changes: 2, deleted: 1 });

    const events = await pipeline.db.query<{ record_id: string; change_type: string }>(
      `SELECT record_id, change_type FROM change_events WHERE resource = 'agencies' AND id > $1 ORDER BY id`,
      [before.rows[0]?.max ?? '0'],
    );
    expect(events.rows.map((row) => [row.change_type, row.record_id]).sort()).toEqual(
      [
        ['created', text(added.code)],
        ['deleted', removedCode],
        ['updated', changedCode],
      ].sort(),
    );
    expect(await mirrored('agencies')).toEqual(pipeline.sim.control.groundTruth('agencies'));
  });

  it('mirrors an exclusion delivered by alerts.exclusion.match, which joins to its entity and that entity’s contracts', async () => {
    // A recipient of simulator contracts that is a simulator entity: its contracts and the entity are mirrored by
    // their own alerts (a modification each).
    const contractIds = pipeline.sim.control.ids('contracts');
    const entityIds = new Set(pipeline.sim.control.ids('entities'));
    const contract = contractIds
      .map((id) => pipeline.sim.control.getRecord('contracts', id))
      .find((record) => {
        const recipient = record?.recipient;
        return (
          typeof recipient === 'object' &&
          recipient !== null &&
          !Array.isArray(recipient) &&
          entityIds.has(text(recipient.uei))
        );
      });
    const recipient = contract?.recipient;
    const uei =
      typeof recipient === 'object' && recipient !== null && !Array.isArray(recipient)
        ? text(recipient.uei)
        : '';
    expect(uei).not.toBe('');
    const contractKeys = contractIds.filter((id) => {
      const r = pipeline.sim.control.getRecord('contracts', id)?.recipient;
      return typeof r === 'object' && r !== null && !Array.isArray(r) && text(r.uei) === uei;
    });
    contractKeys.forEach((key) => pipeline.sim.control.modifyRecord('contracts', key));
    pipeline.sim.control.modifyRecord('entities', uei);

    const [endpoint] = pipeline.sim.control.endpoints();
    pipeline.sim.control.createAlert({
      name: 'exclusions of our recipients',
      query_type: 'exclusion',
      filters: { uei },
      endpoint: endpoint?.id ?? '',
    });
    const exclusion = pipeline.sim.control.createRecord('exclusions', {
      uei,
      entity_uei: uei,
      activate_date: '2020-01-01',
      termination_date: null,
    });
    const key = text(exclusion.exclusion_key);
    await pipeline.sim.control.flush();

    const expected = new Map([[key, pipeline.sim.control.groundTruth('exclusions').get(key) ?? 'missing']]);
    expect(await waitForMirror(pipeline.db, 'exclusions', expected)).toEqual(expected);
    await waitForMirror(
      pipeline.db,
      'contracts',
      new Map(
        contractKeys.map((id) => [id, pipeline.sim.control.groundTruth('contracts').get(id) ?? 'missing']),
      ),
    );
    await waitForMirror(
      pipeline.db,
      'entities',
      new Map([[uei, pipeline.sim.control.groundTruth('entities').get(uei) ?? 'missing']]),
    );
    const delivered = await pipeline.db.query<{ status: string; resource: string | null }>(
      `SELECT status, resource FROM webhook_events WHERE event_type = 'alerts.exclusion.match'`,
    );
    expect(delivered.rows).toEqual([{ status: 'recognized', resource: 'exclusions' }]);

    const joined = await pipeline.db.query<{ key: string; recipient_uei: string; exclusion_key: string }>(
      readmeQuery('contracts-to-excluded-entities'),
    );
    const ours = joined.rows.filter((row) => row.exclusion_key === key);
    expect(ours.map((row) => row.key).sort()).toEqual([...contractKeys].sort());
    expect(ours.every((row) => row.recipient_uei === uei)).toBe(true);
  });

  it('backfills a contract resource as a whole-list walk through the managed backfill, with no per-resource code', async () => {
    await pipeline.db.query('DELETE FROM protests');
    const job = await pipeline.app.app
      .get(BackfillService)
      .start({ families: ['protests', 'dibbs_awards'], requestedBy: 'e2e' });
    const engine = pipeline.app.app.get(BackfillEngine);
    const deadline = Date.now() + 60_000;
    let state = job.state;
    while (state === 'running' && Date.now() < deadline) {
      await engine.pump();
      state = (await pipeline.app.app.get(BackfillService).job(job.id)).state;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state).toBe('done');
    expect(await mirrored('protests')).toEqual(pipeline.sim.control.groundTruth('protests'));
    expect(await mirrored('dibbs_awards')).toEqual(pipeline.sim.control.groundTruth('dibbs_awards'));
  });

  it('runs the README’s other join queries on the mirror', async () => {
    const byDepartment = await pipeline.db.query<{ department: string | null; contracts: string }>(
      readmeQuery('obligations-by-department-and-sector'),
    );
    const departments = await pipeline.db.query<{ name: string }>(
      "SELECT record ->> 'name' AS name FROM departments WHERE deleted_at IS NULL",
    );
    const names = new Set(departments.rows.map((row) => row.name));
    // Contracts of the exclusion test are mirrored: their departments resolve through the dimension.
    expect(byDepartment.rows.some((row) => row.department !== null && names.has(row.department))).toBe(true);
    const byOffice = await pipeline.db.query(readmeQuery('opportunities-by-office'));
    expect(Array.isArray(byOffice.rows)).toBe(true);
  });
});
