import { contentHash } from '../../../simulator/canonical-hash';
import { type RunningSimulator, startSimulator } from '../../../simulator/index';
import { type Family } from '../../../simulator/options';
import { simulatorForSuite } from '../../support/simulator-suite';
import { API_KEY, type ListBody, type Row, getJson, num, text } from './sim-test-helpers';

const RATE_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-burst-limit',
  'x-ratelimit-burst-remaining',
  'x-ratelimit-burst-reset',
  'x-ratelimit-daily-limit',
  'x-ratelimit-daily-remaining',
  'x-ratelimit-daily-reset',
];

/** Follows `next` links (rebuilt against the base URL, as clients must) and returns every result. */
async function walk(sim: RunningSimulator, first: string): Promise<Row[]> {
  const results: Row[] = [];
  let path: string | null = first;
  while (path !== null) {
    const page: { status: number; body: ListBody } = await getJson<ListBody>(sim.baseUrl, path);
    expect(page.status).toBe(200);
    results.push(...page.body.results);
    const next: string | null = page.body.next;
    path = next === null ? null : new URL(next).pathname + new URL(next).search;
  }
  return results;
}

describe('simulator REST API', () => {
  let sim: RunningSimulator;
  simulatorForSuite(
    startSimulator,
    {
      sizes: {
        contracts: 237,
        idvs: 20,
        otas: 7,
        otidvs: 3,
        opportunities: 60,
        notices: 90,
        entities: 41,
        grants: 33,
        forecasts: 52,
      },
    },
    (started) => {
      sim = started;
    },
  );

  describe('auth', () => {
    it('should answer 401 with a DRF body and rate-limit headers without or with a wrong key', async () => {
      const missing = await getJson(sim.baseUrl, '/api/contracts/', {});
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ detail: 'Authentication credentials were not provided.' });
      const wrong = await getJson(sim.baseUrl, '/api/contracts/', { 'x-api-key': 'nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.detail).toBe('Invalid API key.');
      for (const header of RATE_HEADERS) {
        expect(wrong.headers[header]).toMatch(/^\d+$/);
      }
    });

    it('should accept the key header in any case and send every rate-limit header', async () => {
      const ok = await getJson(sim.baseUrl, '/api/entities/', { 'X-API-Key': API_KEY });
      expect(ok.status).toBe(200);
      for (const header of RATE_HEADERS) {
        expect(ok.headers[header]).toMatch(/^\d+$/);
      }
      expect(ok.headers['x-tango-api-version']).toBe('4.25.1');
    });
  });

  describe('pagination', () => {
    it.each([
      'contracts',
      'idvs',
      'otas',
      'otidvs',
      'entities',
      'notices',
      'grants',
      'forecasts',
    ] as Family[])('should walk every %s record exactly once', async (family) => {
      const idField = sim.control.dataset.spec(family).idField;
      const results = await walk(sim, `/api/${family}/?limit=7&shape=${idField}`);
      const ids = results.map((record) => text(record[idField]));
      expect(new Set(ids).size).toBe(ids.length);
      expect(new Set(ids)).toEqual(new Set(sim.control.ids(family)));
    });

    it('should walk active and inactive opportunities exactly once between the two lists', async () => {
      const active = await walk(sim, '/api/opportunities/?limit=9');
      const inactive = await walk(sim, '/api/opportunities/?limit=9&active=false');
      expect(active.every((record) => record.active === true)).toBe(true);
      expect(inactive.every((record) => record.active === false)).toBe(true);
      const ids = [...active, ...inactive].map((record) => record.opportunity_id);
      expect(new Set(ids)).toEqual(new Set(sim.control.ids('opportunities')));
      expect(ids).toHaveLength(60);
    });

    it('should return keyset fields as Tango does, and order by award_date descending', async () => {
      const page = await getJson<ListBody>(sim.baseUrl, '/api/contracts/?limit=5');
      expect(Object.keys(page.body)).toEqual([
        'count',
        'next',
        'previous',
        'cursor',
        'previous_cursor',
        'results',
      ]);
      expect(page.body).toMatchObject({
        count: 237,
        previous: null,
        previous_cursor: null,
      });
      expect(page.body.next).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/contracts\/\?limit=5&cursor=/);
      const decoded = JSON.parse(Buffer.from(page.body.cursor!, 'base64').toString('utf8'));
      expect(decoded).toEqual([page.body.results[4]!.award_date, expect.stringMatching(/^[0-9a-f-]{36}$/)]);
      const dates = page.body.results.map((record) => record.award_date);
      expect([...dates].sort().reverse()).toEqual(dates);
    });

    it('should walk backwards with previous_cursor to the same records', async () => {
      const first = await getJson<ListBody>(sim.baseUrl, '/api/contracts/?limit=4');
      const second = await getJson<ListBody>(
        sim.baseUrl,
        `/api/contracts/?limit=4&cursor=${encodeURIComponent(first.body.cursor!)}`,
      );
      expect(second.body.previous_cursor).toEqual(expect.any(String));
      const prev = JSON.parse(Buffer.from(second.body.previous_cursor!, 'base64').toString('utf8'));
      expect(prev).toMatchObject({ d: 'prev' });
      const back = await getJson<ListBody>(
        sim.baseUrl,
        `/api/contracts/?limit=4&cursor=${encodeURIComponent(second.body.previous_cursor!)}`,
      );
      expect(back.body.results.map((r) => r.key)).toEqual(first.body.results.map((r) => r.key));
    });

    it('should not lose or repeat records when records are created and deleted during a keyset walk', async () => {
      const seen: string[] = [];
      let path: string | null = '/api/otas/?limit=2';
      let step = 0;
      while (path !== null) {
        const page: { body: ListBody } = await getJson<ListBody>(sim.baseUrl, path);
        seen.push(...page.body.results.map((record) => text(record.key)));
        if (step === 1) {
          sim.control.createRecord('otas');
        }
        path =
          page.body.next === null ? null : new URL(page.body.next).pathname + new URL(page.body.next).search;
        step += 1;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toHaveLength(7);
    });

    it('should cap limit at 100, ignore page on keyset families, and answer 404 for a page past the end', async () => {
      const capped = await getJson<ListBody>(sim.baseUrl, '/api/contracts/?limit=500&page=3');
      expect(capped.body.results).toHaveLength(100);
      expect(capped.body.previous).toBeNull();
      const beyond = await getJson<ListBody>(sim.baseUrl, '/api/entities/?page=99');
      expect(beyond.status).toBe(404);
      expect(beyond.body).toEqual({ detail: 'Invalid page.' });
      const badCursor = await getJson<ListBody>(sim.baseUrl, '/api/contracts/?cursor=garbage');
      expect(badCursor.status).toBe(404);
    });

    it('should use the configured link base in next links', async () => {
      const other = await startSimulator({
        sizes: { entities: 30 },
        linkBaseUrl: 'http://tango.example.com',
      });
      try {
        const page = await getJson(other.baseUrl, '/api/entities/');
        expect(page.body.next).toBe('http://tango.example.com/api/entities/?page=2');
      } finally {
        await other.close();
      }
    });
  });

  describe('filters', () => {
    it('should return exactly the requested ids for | id lists, silently skipping unknown ones', async () => {
      const keys = sim.control.ids('contracts').slice(3, 6);
      const page = await getJson<ListBody>(
        sim.baseUrl,
        `/api/contracts/?key=${keys.join('|')}|CONT_AWD_NOPE`,
      );
      expect(page.body.count).toBe(3);
      expect(new Set(page.body.results.map((r) => r.key))).toEqual(new Set(keys));
      const grants = sim.control.ids('grants').slice(0, 2);
      expect(
        (await getJson<ListBody>(sim.baseUrl, `/api/grants/?grant_id=${grants.join('|')}`)).body.results.map(
          (r) => String(r.grant_id),
        ),
      ).toEqual(grants);
      const forecasts = sim.control.ids('forecasts').slice(5, 8);
      expect(
        (await getJson<ListBody>(sim.baseUrl, `/api/forecasts/?id=${forecasts.join('|')}`)).body.count,
      ).toBe(3);
      const opportunity = text(
        (await getJson<ListBody>(sim.baseUrl, '/api/opportunities/?limit=1')).body.results[0]!.opportunity_id,
      );
      expect(
        (await getJson<ListBody>(sim.baseUrl, `/api/opportunities/?opportunity_id=${opportunity}`)).body
          .count,
      ).toBe(1);
    });

    it('should filter forecasts by modified_after/modified_before and see modifications', async () => {
      const all = await walk(sim, '/api/forecasts/?limit=100');
      const day = text(all[10]!.modified).slice(0, 10);
      const after = await walk(sim, `/api/forecasts/?limit=100&modified_after=${day}`);
      expect(after.length).toBe(all.filter((r) => text(r.modified).slice(0, 10) >= day).length);
      expect(after.length).toBeLessThan(all.length);
      const modified = sim.control.modifyRecord('forecasts', text(all[all.length - 1]!.id))!;
      const today = text(modified.modified).slice(0, 10);
      const fresh = await walk(sim, `/api/forecasts/?limit=100&modified_after=${today}`);
      expect(fresh.map((r) => r.id)).toContain(modified.id);
    });

    it('should answer the documented 400s for bad dates, inverted ranges and orderings', async () => {
      const badDate = await getJson<ListBody>(sim.baseUrl, '/api/forecasts/?modified_after=2026-13-01');
      expect(badDate.status).toBe(400);
      expect(badDate.body).toEqual({ modified_after: ['Enter a valid date.'] });
      const inverted = await getJson(
        sim.baseUrl,
        '/api/contracts/?award_date_gte=2026-05-01&award_date_lte=2026-01-01',
      );
      expect(inverted.status).toBe(400);
      const ordering = await getJson(sim.baseUrl, '/api/contracts/?ordering=not_a_real_field');
      expect(ordering.status).toBe(400);
      expect(ordering.body.error).toBe(
        'Invalid ordering value(s): not_a_real_field. Allowed values are: award_date, obligated, total_contract_value.',
      );
      const notices = await getJson(sim.baseUrl, '/api/notices/?ordering=posted_date');
      expect(notices.status).toBe(400);
      expect(notices.body.error).toMatch(/^Invalid ordering value\(s\): posted_date/);
    });

    it('should order by an allowed field and walk it completely with cursors', async () => {
      const results = await walk(sim, '/api/contracts/?ordering=-obligated&limit=50');
      const values = results.map((r) => num(r.obligated));
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(new Set(results.map((r) => r.key)).size).toBe(sim.control.ids('contracts').length);
    });

    it('should filter by award date range', async () => {
      const results = await walk(
        sim,
        '/api/contracts/?award_date_gte=2026-07-01&award_date_lte=2026-07-31&limit=100',
      );
      expect(results.length).toBeGreaterThan(0);
      expect(
        results.every((r) => text(r.award_date) >= '2026-07-01' && text(r.award_date) <= '2026-07-31'),
      ).toBe(true);
    });

    it('should silently ignore unknown (misspelt) parameters and return unfiltered results', async () => {
      const typo = await getJson<ListBody>(sim.baseUrl, '/api/forecasts/?modifed_after=2099-01-01');
      expect(typo.status).toBe(200);
      expect(typo.body.count).toBe(sim.control.ids('forecasts').length);
    });
  });

  describe('detail and shapes', () => {
    it('should serve the fuller detail shape and a narrower list shape', async () => {
      const key = sim.control.ids('contracts')[0]!;
      const detail = await getJson(sim.baseUrl, `/api/contracts/${key}/`);
      const listed = (await getJson<ListBody>(sim.baseUrl, `/api/contracts/?key=${key}`)).body.results[0]!;
      expect(Object.keys(detail.body).length).toBeGreaterThan(Object.keys(listed).length);
      expect(detail.body).toMatchObject(listed);
      expect(detail.body.transactions).toEqual(expect.any(Array));
      expect(listed.transactions).toBeUndefined();
    });

    it('should answer DRF 404 bodies per model', async () => {
      expect((await getJson(sim.baseUrl, '/api/contracts/CONT_AWD_NOPE/')).body).toEqual({
        detail: 'No Contract matches the given query.',
      });
      expect((await getJson(sim.baseUrl, '/api/grants/1/')).body).toEqual({
        detail: 'No Grant matches the given query.',
      });
      expect((await getJson(sim.baseUrl, '/api/entities/ZZZZZZZZZZZZ/')).status).toBe(404);
    });

    it('should look up entities case-insensitively', async () => {
      const uei = sim.control.ids('entities')[3]!;
      const detail = await getJson(sim.baseUrl, `/api/entities/${uei.toLowerCase()}/`);
      expect(detail.body.uei).toBe(uei);
    });

    it('should redirect an opportunity detail request for a notice id with 302', async () => {
      const notice = sim.control.getRecord('notices', sim.control.ids('notices')[4]!)!;
      const response = await getJson(sim.baseUrl, `/api/opportunities/${text(notice.notice_id)}/`);
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe(`/api/opportunities/${text(notice.opportunity_id)}/`);
    });

    it('should apply shape on lists and details and answer the documented 400 for unknown fields', async () => {
      const id = sim.control.ids('grants')[0]!;
      const shaped = await getJson(
        sim.baseUrl,
        `/api/grants/${id}/?shape=grant_id,title::name,important_dates(posted_date)`,
      );
      expect(shaped.body).toEqual({
        grant_id: Number(id),
        name: expect.any(String),
        important_dates: { posted_date: expect.any(String) },
      });
      const bad = await getJson(sim.baseUrl, '/api/grants/?shape=grant_id,tradeoff_process');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe('Invalid shape');
      expect(bad.body.issues).toEqual([{ path: 'tradeoff_process', reason: 'unknown_field' }]);
      expect(bad.body.available_fields).toHaveProperty('grant_id');
    });

    it('should refuse shape on entities, opportunities and notices when lower tiers are simulated', async () => {
      sim.control.setRefuseProShapes(true);
      try {
        expect((await getJson<ListBody>(sim.baseUrl, '/api/entities/?shape=uei')).status).toBe(403);
        expect((await getJson<ListBody>(sim.baseUrl, '/api/grants/?shape=grant_id')).status).toBe(200);
      } finally {
        sim.control.setRefuseProShapes(false);
      }
      expect((await getJson<ListBody>(sim.baseUrl, '/api/entities/?shape=uei')).status).toBe(200);
    });
  });

  describe('ground truth', () => {
    it('should stream ids and content hashes equal to the hashes of the detail responses', async () => {
      const state = await getJson<{
        counters: { requestsByRoute: Record<string, number> };
        families: Record<string, { count: number; records: Record<string, string> }>;
      }>(sim.baseUrl, '/_sim/state?family=grants,contracts', {});
      expect(state.status).toBe(200);
      expect(state.body.families.grants!.count).toBe(Object.keys(state.body.families.grants!.records).length);
      for (const id of Object.keys(state.body.families.grants!.records).slice(0, 10)) {
        const detail = await getJson(sim.baseUrl, `/api/grants/${id}/`);
        expect(contentHash(detail.body)).toBe(state.body.families.grants!.records[id]);
      }
      expect(state.body.counters.requestsByRoute['GET /api/grants/:id/']).toBeGreaterThan(0);
    });

    it('should reflect creations, modifications and deletions', async () => {
      const before = sim.control.groundTruth('entities');
      const created = sim.control.createRecord('entities');
      const [victim, changed] = [...before.keys()];
      sim.control.deleteRecord('entities', victim!);
      sim.control.modifyRecord('entities', changed!, { dba_name: 'RENAMED' });
      const after = sim.control.groundTruth('entities');
      expect(after.has(text(created.uei))).toBe(true);
      expect(after.has(victim!)).toBe(false);
      expect(after.get(changed!)).not.toBe(before.get(changed!));
      expect((await getJson(sim.baseUrl, `/api/entities/${victim!}/`)).status).toBe(404);
    });
  });
});
