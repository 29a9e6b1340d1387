import { formatShape } from '../../../src/tango-contract/shape-grammar';
import { wholeShapeNodes } from '../../../src/tango-contract/whole-shape';
import { contentHash } from '../../../simulator/canonical-hash';
import { RESOURCE_SPECS, RESOURCES, type RunningSimulator, startSimulator } from '../../../simulator/index';
import { FAMILIES } from '../../../simulator/options';
import { type PageBody, call, idText, walkPages } from './resource-helpers';

const FAMILY_SIZES = Object.fromEntries(FAMILIES.map((family) => [family, 20]));

/** Every id of a walk, in order. */
async function walkIds(sim: RunningSimulator, first: string): Promise<string[]> {
  const pages = await walkPages(sim, first);
  return pages.flatMap((page) => page.results.map((row) => idText(row[idFieldOf(first)])));
}

function idFieldOf(path: string): string {
  const spec = RESOURCES.map((name) => RESOURCE_SPECS[name]).find((candidate) =>
    path.startsWith(`/api/${candidate.identity.collection}/`),
  );
  if (spec === undefined) {
    throw new Error(`no resource at ${path}`);
  }
  return spec.identity.idField;
}

function scalar(value: unknown): string | number | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

describe('simulator: the resources beyond the nine families over REST', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({
      sizes: FAMILY_SIZES,
      resourceSizes: { exclusions: 150, naics: 150 },
      rateLimits: { burstLimit: 1_000_000 },
      webhooks: { schedule: false },
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  describe.each(RESOURCES)('%s', (name) => {
    const spec = RESOURCE_SPECS[name];
    const base = `/api/${spec.identity.collection}/`;

    it('should list every record once across pages, with the count and the ground truth’s ids and hashes', async () => {
      const truth = sim.control.groundTruth(name);
      const pages = await walkPages(sim, `${base}?limit=7`);
      const rows = pages.flatMap((page) => page.results);
      expect(truth.size).toBeGreaterThan(0);
      expect(pages.every((page) => page.count === truth.size && page.results.length <= 7)).toBe(true);
      expect(rows.map((row) => idText(row[spec.identity.idField]))).toEqual([...truth.keys()]);
      expect(new Map(rows.map((row) => [idText(row[spec.identity.idField]), contentHash(row)]))).toEqual(
        truth,
      );
      expect(pages[1]?.previous).toMatch(new RegExp(`${base}\\?limit=7$`));
    });

    it('should answer every ordering value of the contract in order, each record once', async () => {
      const all = [...sim.control.groundTruth(name).keys()].sort();
      for (const value of spec.contract.orderingValues) {
        const rows = (await walkPages(sim, `${base}?limit=9&ordering=${value}`)).flatMap(
          (page) => page.results,
        );
        expect(rows.map((row) => idText(row[spec.identity.idField])).sort()).toEqual(all);
        const field = value.replace(/^-/, '');
        if (spec.contract.fields.has(field)) {
          const values = rows.map((row) => scalar(row[field]));
          const present = values.filter((item) => item !== null);
          const sorted = [...present].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(present).toEqual(value.startsWith('-') ? sorted.reverse() : sorted);
          expect(values.slice(present.length).every((item) => item === null)).toBe(true);
        }
      }
    });

    it('should refuse an ordering the contract does not list where it takes one, and ignore it elsewhere', async () => {
      const answer = await call<{ error: string }>(sim, 'GET', `${base}?ordering=-not_a_field`);
      if (spec.contract.takesOrdering) {
        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatch(/^Invalid ordering value\(s\): -not_a_field\./);
      } else {
        expect(answer.status).toBe(200);
        expect(sim.control.counters().ignoredListParams[name]).toMatchObject({
          ordering: expect.any(Number),
        });
      }
    });

    it('should ignore a parameter outside the contract (counted), and count requests without a contract filter', async () => {
      sim.control.resetCounters();
      const answer = await call<PageBody>(sim, 'GET', `${base}?not_a_filter=1&limit=2`);
      expect(answer.status).toBe(200);
      expect(answer.body.count).toBe(sim.control.groundTruth(name).size);
      const counters = sim.control.counters();
      expect(counters.ignoredListParams[name]).toEqual({ not_a_filter: 1 });
      expect(counters.unfilteredListRequests[name]).toBe(1);
    });

    it('should serve a detail route only where the identity table names one', async () => {
      const [first] = sim.control.ids(name);
      const detail = await call(sim, 'GET', `${base}${encodeURIComponent(first ?? '')}/`);
      const missing = await call(sim, 'GET', `${base}no-such-id/`);
      expect(missing.status).toBe(404);
      if (spec.identity.detailRoute) {
        expect(detail.status).toBe(200);
        expect(contentHash(detail.body)).toBe(sim.control.groundTruth(name).get(first ?? ''));
        expect(missing.body).toEqual({ detail: `No ${spec.identity.modelName} matches the given query.` });
      } else {
        expect(detail.status).toBe(404);
        expect(missing.body).toEqual({ detail: 'Not found.' });
      }
    });

    it('should answer a shape with exactly the named fields, and refuse a name outside the contract', async () => {
      const idField = spec.identity.idField;
      const shaped = await call<PageBody>(sim, 'GET', `${base}?shape=${idField}&limit=3`);
      expect(shaped.status).toBe(200);
      expect(shaped.body.results.map((row) => Object.keys(row))).toEqual([[idField], [idField], [idField]]);
      const refused = await call<{ issues: unknown[] }>(sim, 'GET', `${base}?shape=${idField},not_a_field`);
      expect(refused.status).toBe(400);
      expect(refused.body.issues).toEqual([{ path: 'not_a_field', reason: 'unknown_field' }]);
    });

    it('should answer the whole shape of the contract with exactly the records served without a shape', async () => {
      const whole = encodeURIComponent(formatShape(wholeShapeNodes(spec.contract)));
      const shaped = await call<PageBody>(sim, 'GET', `${base}?shape=${whole}&limit=5`);
      const plain = await call<PageBody>(sim, 'GET', `${base}?limit=5`);
      expect(shaped.status).toBe(200);
      expect(shaped.body.results).toEqual(plain.body.results);
    });
  });

  describe('page sizes', () => {
    it('should cap `limit` at the contract’s max page size: 10,000 for Static classes, 100 otherwise', async () => {
      expect(RESOURCE_SPECS.naics.contract.pagination.maxPageSize).toBe(10_000);
      expect(RESOURCE_SPECS.exclusions.contract.pagination.maxPageSize).toBe(100);
      const naics = await call<PageBody>(sim, 'GET', '/api/naics/?limit=500');
      const exclusions = await call<PageBody>(sim, 'GET', '/api/exclusions/?limit=500');
      expect([naics.body.count, naics.body.results.length, naics.body.next]).toEqual([150, 150, null]);
      expect([exclusions.body.count, exclusions.body.results.length]).toEqual([150, 100]);
      expect(exclusions.body.next).toMatch(/page=2/);
    });

    it('should answer 404 past the last page', async () => {
      expect((await call(sim, 'GET', '/api/agencies/?page=99')).status).toBe(404);
    });
  });

  describe('since filters', () => {
    const sinceResources = RESOURCES.filter((name) => RESOURCE_SPECS[name].changeFilters.after !== undefined);

    it('should cover the identity table’s since filters', () => {
      expect(sinceResources.map((name) => RESOURCE_SPECS[name].changeFilters)).toEqual([
        { after: 'update_date_after', before: 'update_date_before' },
        { after: 'updated_time_after', before: 'updated_time_before' },
        { after: 'modified_after', before: 'modified_before' },
        { after: 'modified_after', before: 'modified_before' },
      ]);
    });

    it.each(sinceResources)(
      '%s: should keep exactly the records changed on or after (before) the day',
      async (name) => {
        const spec = RESOURCE_SPECS[name];
        const field = spec.changeField ?? '';
        const base = `/api/${spec.identity.collection}/`;
        const rows = (await walkPages(sim, `${base}?limit=100`)).flatMap((page) => page.results);
        const days = rows.map((row) => idText(row[field]).slice(0, 10)).sort();
        const middle = days[Math.floor(days.length / 2)] ?? '';
        const idsWhere = (keep: (day: string) => boolean): string[] =>
          rows
            .filter((row) => keep(idText(row[field]).slice(0, 10)))
            .map((row) => idText(row[spec.identity.idField]))
            .sort();
        const after = await walkIds(sim, `${base}?${spec.changeFilters.after ?? ''}=${middle}`);
        const before = await walkIds(sim, `${base}?${spec.changeFilters.before ?? ''}=${middle}`);
        expect(after.sort()).toEqual(idsWhere((day) => day >= middle));
        expect(before.sort()).toEqual(idsWhere((day) => day <= middle));
        expect(after.length).toBeGreaterThan(0);
        expect(after.length).toBeLessThan(rows.length);
        const invalid = await call(sim, 'GET', `${base}?${spec.changeFilters.after ?? ''}=2026-02-30`);
        expect(invalid.status).toBe(400);
      },
    );

    it('should apply an exact contract filter on a top-level field (exclusions `uei`)', async () => {
      const [first] = (await call<PageBody>(sim, 'GET', '/api/exclusions/?limit=1')).body.results;
      const uei = idText(first?.uei);
      const rows = (await walkPages(sim, `/api/exclusions/?uei=${uei}&limit=100`)).flatMap(
        (page) => page.results,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((row) => row.uei === uei)).toBe(true);
    });
  });

  describe('the control API', () => {
    const today = (): string => new Date().toISOString().slice(0, 10);

    it('should create, modify and delete an exclusion: lists, since filters and ground truth follow', async () => {
      const created = await call(sim, 'POST', '/_sim/records/exclusions', {
        fields: { uei: 'ZQ7KJ4MNP2X1', entity_name: 'CREATED BY TEST' },
      });
      expect(created.status).toBe(201);
      const key = idText(created.body.exclusion_key);
      expect(created.body).toMatchObject({ uei: 'ZQ7KJ4MNP2X1', update_date: today() });
      const since = await walkIds(sim, `/api/exclusions/?update_date_after=${today()}`);
      expect(since).toContain(key);
      expect(sim.control.groundTruth('exclusions').get(key)).toBe(contentHash(created.body));

      const modified = await call(sim, 'PATCH', `/_sim/records/exclusions/${key}`, {
        fields: { entity_name: 'RENAMED' },
      });
      expect(modified.status).toBe(200);
      expect(modified.body).toMatchObject({
        exclusion_key: key,
        entity_name: 'RENAMED',
        uei: 'ZQ7KJ4MNP2X1',
      });
      const listed = (await walkPages(sim, '/api/exclusions/?limit=100')).flatMap((page) => page.results);
      expect(listed.find((row) => row.exclusion_key === key)).toEqual(modified.body);

      expect((await call(sim, 'DELETE', `/_sim/records/exclusions/${key}`)).status).toBe(204);
      expect(await walkIds(sim, '/api/exclusions/?limit=100')).not.toContain(key);
      expect(sim.control.groundTruth('exclusions').has(key)).toBe(false);
      expect((await call(sim, 'DELETE', `/_sim/records/exclusions/${key}`)).status).toBe(404);
    });

    it('should put a bumped record first in the newest-first ordering, even without field changes', async () => {
      const ids = sim.control.ids('dibbs_rfqs');
      const target = ids[ids.length - 1] ?? '';
      const before = await call<PageBody>(sim, 'GET', '/api/dibbs/rfqs/?ordering=-modified&limit=1');
      expect(idText(before.body.results[0]?.uuid)).not.toBe(target);
      const hash = sim.control.groundTruth('dibbs_rfqs').get(target);
      expect((await call(sim, 'PATCH', `/_sim/records/dibbs_rfqs/${target}`)).status).toBe(200);
      const after = await call<PageBody>(sim, 'GET', '/api/dibbs/rfqs/?ordering=-modified&limit=1');
      expect(idText(after.body.results[0]?.uuid)).toBe(target);
      expect(sim.control.groundTruth('dibbs_rfqs').get(target)).toBe(hash);
    });

    it('should take a created record’s id when given, and refuse a taken one or a name outside the contract', async () => {
      const created = await call(sim, 'POST', '/_sim/records/agencies', { fields: { code: 'ZZ01' } });
      expect(created.status).toBe(201);
      const detail = await call(sim, 'GET', '/api/agencies/ZZ01/');
      expect(detail.body).toEqual(created.body);
      expect((await call(sim, 'POST', '/_sim/records/agencies', { fields: { code: 'ZZ01' } })).status).toBe(
        400,
      );
      expect((await call(sim, 'PATCH', '/_sim/records/agencies/ZZ01', { fields: { nope: 1 } })).status).toBe(
        400,
      );
      expect(
        (await call(sim, 'PATCH', '/_sim/records/agencies/ZZ01', { fields: { code: 'X' } })).status,
      ).toBe(400);
      expect((await call(sim, 'DELETE', '/_sim/records/agencies/ZZ01')).status).toBe(204);
      expect((await call(sim, 'GET', '/api/agencies/ZZ01/')).status).toBe(404);
    });

    it('should stream the resources’ ground truth from /_sim/state', async () => {
      const state = await call<{
        families: Record<string, unknown>;
        resources: Record<string, { count: number; records: Record<string, string> }>;
      }>(sim, 'GET', '/_sim/state?family=naics,contracts');
      expect(Object.keys(state.body.families)).toEqual(['contracts']);
      expect(Object.keys(state.body.resources)).toEqual(['naics']);
      expect(state.body.resources.naics?.count).toBe(150);
      expect(new Map(Object.entries(state.body.resources.naics?.records ?? {}))).toEqual(
        sim.control.groundTruth('naics'),
      );
      const all = await call<{ resources: Record<string, unknown> }>(sim, 'GET', '/_sim/state');
      expect(Object.keys(all.body.resources)).toEqual([...RESOURCES]);
    });
  });
});

describe('simulator: the resources’ routes behind the API gates', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator({
      sizes: FAMILY_SIZES,
      rateLimits: { burstLimit: 3 },
      webhooks: { schedule: false },
    });
  });

  afterAll(async () => {
    await sim.close();
  });

  it('should count requests, refuse a missing key, rate-limit and inject faults as on the families', async () => {
    const anonymous = await request401(sim);
    expect(anonymous).toBe(401);
    const statuses: number[] = [];
    for (let n = 0; n < 4; n += 1) {
      statuses.push((await call(sim, 'GET', '/api/vehicles/')).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(sim.control.counters().requestsByRoute['GET /api/vehicles/']).toBe(5);
    sim.control.setRateLimits({ burstLimit: 1000 });
    sim.control.setFaults({ serverErrorRate: 1, pathPattern: '^/api/sbir/' });
    expect((await call(sim, 'GET', '/api/sbir/topics/')).status).toBeGreaterThanOrEqual(500);
    expect((await call(sim, 'GET', '/api/vehicles/')).status).toBe(200);
    sim.control.resetFaults();
  });
});

async function request401(sim: RunningSimulator): Promise<number> {
  const response = await fetch(`${sim.baseUrl}/api/vehicles/`);
  await response.text();
  return response.status;
}
