import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type INestApplicationContext, Module, type DynamicModule } from '@nestjs/common';
import { Client } from 'pg';
import { BackfillModule } from '../../src/backfill/backfill.module';
import { BackfillService, type BackfillProgress } from '../../src/backfill/backfill.service';
import { type AppConfig } from '../../src/config/app-config';
import { ConfigModule } from '../../src/config/config.module';
import { DatabaseModule } from '../../src/database/database.module';
import { MetricsModule } from '../../src/metrics/metrics.module';
import { startSimulator, type RunningSimulator } from '../../src/simulator';
import { requireEnv, testConfig } from '../support/test-config';

const CONTRACTS = 3_000;
const ROUTE = 'GET /api/contracts/';

@Module({})
class BackfillTestModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: BackfillTestModule,
      imports: [ConfigModule.forRoot(config), MetricsModule, DatabaseModule, BackfillModule],
    };
  }
}

describe('backfill command service (simulator)', () => {
  let sim: RunningSimulator;
  let db: Client;
  let config: AppConfig;

  async function withBackfill<T>(work: (service: BackfillService) => Promise<T>): Promise<T> {
    const context: INestApplicationContext = await NestFactory.createApplicationContext(
      BackfillTestModule.forConfig(config),
      { logger: false },
    );
    try {
      return await work(context.get(BackfillService));
    } finally {
      await context.close();
    }
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    sim = await startSimulator({
      port: 0,
      seed: 5,
      sizes: {
        contracts: CONTRACTS,
        idvs: 0,
        otas: 0,
        otidvs: 0,
        opportunities: 0,
        notices: 0,
        entities: 0,
        grants: 0,
        forecasts: 0,
      },
      webhooks: { schedule: false },
    });
    config = testConfig({
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: 'sim-key',
      TANGO_BACKOFF_BASE_MS: '20',
      TANGO_BACKOFF_MAX_MS: '200',
      FETCHER_ENABLED: 'false',
      RELAY_ENABLED: 'false',
    });
    db = new Client({ connectionString: requireEnv('TEST_DATABASE_URL') });
    await db.connect();
    await db.query('TRUNCATE contracts, backfill_checkpoints');
  });

  afterAll(async () => {
    await db.end();
    await sim.close();
  });

  it('loads a family page by page, stops mid-way, and resumes without re-fetching committed pages', async () => {
    sim.control.resetCounters();
    const progress: BackfillProgress[] = [];
    // The first run dies after 7 committed pages (as after a kill -9 between pages).
    const first = await withBackfill((service) =>
      service.run('contracts', { maxPages: 7, onProgress: (p) => progress.push(p) }),
    );
    expect(first).toMatchObject({ pages: 7, records: 700, done: false, resumed: false });
    expect(sim.control.counters().requestsByRoute[ROUTE]).toBe(7);
    const committed = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM contracts');
    expect(Number(committed.rows[0]?.n)).toBe(700);
    expect(progress.map((p) => p.records)).toEqual([100, 200, 300, 400, 500, 600, 700]);
    expect(progress.at(-1)?.total).toBe(CONTRACTS);

    sim.control.resetCounters();
    const second = await withBackfill((service) => service.run('contracts'));
    expect(second).toMatchObject({
      pages: 30,
      records: CONTRACTS,
      done: true,
      resumed: true,
      pagesThisRun: 23,
    });
    expect(sim.control.counters().requestsByRoute[ROUTE]).toBe(23);

    const mirrored = await db.query<{ key: string; content_hash: string }>(
      'SELECT key, content_hash FROM contracts',
    );
    const truth = sim.control.groundTruth('contracts');
    expect(mirrored.rows).toHaveLength(CONTRACTS);
    expect(new Map(mirrored.rows.map((row) => [row.key, row.content_hash]))).toEqual(truth);
    const events = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM change_events WHERE resource = 'contracts' AND change_type = 'created'`,
    );
    expect(Number(events.rows[0]?.n)).toBeGreaterThanOrEqual(CONTRACTS);

    // A completed window is not read again.
    sim.control.resetCounters();
    const third = await withBackfill((service) => service.run('contracts'));
    expect(third).toMatchObject({ done: true, pagesThisRun: 0 });
    expect(sim.control.counters().requestsByRoute[ROUTE] ?? 0).toBe(0);
  });

  it('windows by --since with the family date filter', async () => {
    sim.control.resetCounters();
    const summary = await withBackfill((service) => service.run('contracts', { since: '2026-08-01' }));
    expect(summary.done).toBe(true);
    expect(summary.records).toBeGreaterThan(0);
    expect(summary.records).toBeLessThan(CONTRACTS);
    const inWindow = [...sim.control.ids('contracts')]
      .map((id) => sim.control.getRecord('contracts', id))
      .filter((record) => typeof record?.award_date === 'string' && record.award_date >= '2026-08-01');
    expect(summary.records).toBe(inWindow.length);
  });
});
