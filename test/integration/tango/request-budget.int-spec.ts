import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { parseConfig } from '../../../src/config/app-config';
import { TangoRequestBudget } from '../../../src/tango/request-budget';
import { ScratchDatabase } from '../../support/scratch-database';

describe('TangoRequestBudget (shared in Postgres)', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    ({ scratch, dataSource, close } = await ScratchDatabase.migrated('budget', 4));
  });

  afterAll(async () => {
    await close();
  });

  beforeEach(async () => {
    await dataSource.query('DELETE FROM tango_request_budget');
  });

  function budget(): TangoRequestBudget {
    const config = parseConfig({
      DATABASE_URL: scratch.url,
      KAFKA_BROKERS: '127.0.0.1:1',
      WEBHOOK_SECRETS: 'x',
      TANGO_LIVE_RESERVE_SHARE: '0.5',
    });
    return new TangoRequestBudget(dataSource, config);
  }

  async function timed(work: () => Promise<void>): Promise<number> {
    const started = Date.now();
    await work();
    return Date.now() - started;
  }

  it('grants freely until the headers say the burst window is spent, then waits for its reset', async () => {
    const shared = budget();
    expect(await timed(() => shared.acquire('live'))).toBeLessThan(500);
    await shared.observe({ burst: { limit: 3, remaining: 1, resetSeconds: 1.5 }, daily: null });
    expect(await timed(() => shared.acquire('live'))).toBeLessThan(500);
    // A second replica shares the same budget: the window is spent for it too.
    const waited = await timed(() => budget().acquire('live'));
    expect(waited).toBeGreaterThanOrEqual(900);
    const state = await shared.state();
    expect(state.requestsTotal).toBe(3);
  });

  it("takes requests still on their way off the server's remaining count when a header opens a window", async () => {
    const shared = budget();
    await shared.acquire('live');
    // The server says 3 remain in a new window, but 3 of our requests were sent and not yet answered: none is left.
    await shared.observe({ burst: { limit: 10, remaining: 3, resetSeconds: 1.5 }, daily: null }, 3);
    expect(await timed(() => shared.acquire('live'))).toBeGreaterThanOrEqual(900);
    // With nothing on its way, the same header leaves 3 to hand out at once.
    await dataSource.query('DELETE FROM tango_request_budget');
    const fresh = budget();
    await fresh.acquire('live');
    await fresh.observe({ burst: { limit: 10, remaining: 3, resetSeconds: 1.5 }, daily: null }, 0);
    expect(await timed(() => fresh.acquire('live'))).toBeLessThan(500);
  });

  it('keeps the daily reserve for live fetches: sweeps wait, live requests go through', async () => {
    const shared = budget();
    await shared.acquire('live');
    await shared.observe({ burst: null, daily: { limit: 10, remaining: 4, resetSeconds: 2 } });
    expect(await timed(() => shared.acquire('live'))).toBeLessThan(500);
    const sweep = await timed(() => shared.acquire('sweep'));
    expect(sweep).toBeGreaterThanOrEqual(1_000);
  });

  it('parks every priority after a 429 until the given time', async () => {
    const shared = budget();
    await shared.park(new Date(Date.now() + 1_200), 'burst limit (429)');
    expect(await timed(() => shared.acquire('live'))).toBeGreaterThanOrEqual(1_000);
    expect((await shared.state()).throttledTotal).toBe(1);
  });
});
