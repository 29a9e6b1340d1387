import { request } from 'undici';
import { type RunningSimulator, startSimulator } from '../../../simulator/index';
import { API_KEY, getJson } from './sim-test-helpers';

describe('simulator rate limits and faults', () => {
  let sim: RunningSimulator;

  beforeEach(async () => {
    sim = await startSimulator({
      sizes: { contracts: 20 },
      timeScale: 60,
      rateLimits: { burstLimit: 3, dailyLimit: 100 },
    });
  });

  afterEach(async () => {
    await sim.close();
  });

  it('should answer 429 with Retry-After and the documented body, then recover after the (scaled) window', async () => {
    for (let i = 0; i < 3; i += 1) {
      expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBe(200);
    }
    const limited = await getJson(sim.baseUrl, '/api/contracts/');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      detail: 'Rate limit exceeded for burst. Please try again in 1 seconds.',
      wait_in_seconds: 1,
    });
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.headers['x-ratelimit-burst-remaining']).toBe('0');
    expect(limited.headers['x-ratelimit-daily-remaining']).toBe('97');
    expect(sim.control.counters().rateLimited).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBe(200);
  });

  it('should change limits at run time', async () => {
    sim.control.setRateLimits({ burstLimit: 1 });
    expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBe(200);
    expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBe(429);
  });

  describe('faults', () => {
    beforeEach(() => {
      sim.control.setRateLimits({ burstLimit: 10_000 });
    });

    it('should inject 5xx, 200-with-error and 429 storms, and switch them off at run time', async () => {
      sim.control.setFaults({ serverErrorRate: 1 });
      expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBeGreaterThanOrEqual(500);
      sim.control.setFaults({ serverErrorRate: 0, errorIn200Rate: 1 });
      const quirk = await getJson(sim.baseUrl, '/api/contracts/');
      expect(quirk.status).toBe(200);
      expect(quirk.body).toEqual({ error: expect.any(String) });
      sim.control.setFaults({ errorIn200Rate: 0, rateLimitStormRate: 1 });
      const storm = await getJson(sim.baseUrl, '/api/contracts/');
      expect(storm.status).toBe(429);
      expect(storm.body.wait_in_seconds).toBe(1);
      sim.control.resetFaults();
      expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBe(200);
      expect(sim.control.counters().faultsInjected).toMatchObject({
        'server-error': 1,
        'error-200': 1,
        'rate-limit-storm': 1,
      });
    });

    it('should drop connections and truncate bodies', async () => {
      sim.control.setFaults({ dropRate: 1 });
      await expect(
        request(`${sim.baseUrl}/api/contracts/`, { headers: { 'x-api-key': API_KEY } }),
      ).rejects.toThrow();
      sim.control.setFaults({ dropRate: 0, truncateRate: 1 });
      const truncated = await request(`${sim.baseUrl}/api/contracts/`, { headers: { 'x-api-key': API_KEY } });
      expect(truncated.statusCode).toBe(200);
      await expect(truncated.body.text()).rejects.toThrow();
    });

    it('should hold requests open for the timeout fault', async () => {
      sim.control.setFaults({ timeoutRate: 1 });
      await expect(
        request(`${sim.baseUrl}/api/contracts/`, {
          headers: { 'x-api-key': API_KEY },
          signal: AbortSignal.timeout(300),
        }),
      ).rejects.toThrow();
    });

    it('should add latency only to matching paths', async () => {
      sim.control.setFaults({ latencyMs: 200, pathPattern: '^/api/entities/' });
      const started = Date.now();
      await getJson(sim.baseUrl, '/api/contracts/');
      const fast = Date.now() - started;
      const slowStart = Date.now();
      await getJson(sim.baseUrl, '/api/entities/');
      expect(Date.now() - slowStart).toBeGreaterThanOrEqual(200);
      expect(fast).toBeLessThan(200);
    });
  });
});

describe('simulator options', () => {
  it('should honour modified_after on award families only when awardModifiedFilter is on', async () => {
    const on = await startSimulator({ sizes: { contracts: 30 }, awardModifiedFilter: true });
    const off = await startSimulator({ sizes: { contracts: 30 } });
    try {
      const today = new Date().toISOString().slice(0, 10);
      for (const sim of [on, off]) {
        sim.control.modifyRecord('contracts', sim.control.ids('contracts')[7]!);
      }
      const filtered = await getJson(on.baseUrl, `/api/contracts/?modified_after=${today}`);
      expect(filtered.body).toMatchObject({ count: 1 });
      const ignored = await getJson(off.baseUrl, `/api/contracts/?modified_after=${today}`);
      expect(ignored.body).toMatchObject({ count: 30 });
      // Tango's contract has no such filter: it counts as ignored either way, and the request as unfiltered.
      for (const sim of [on, off]) {
        expect(sim.control.counters()).toMatchObject({
          ignoredListParams: { contracts: { modified_after: 1 } },
          unfilteredListRequests: { contracts: 1 },
        });
      }
    } finally {
      await on.close();
      await off.close();
    }
  });
});
