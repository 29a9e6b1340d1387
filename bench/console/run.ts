/**
 * bench/console: the operator console's first paint (issue 17: "9 families and 1,000 recent deliveries"; goals:
 * the overview API answers in under 50 ms, the page is interactive in under 1 s).
 *
 * On a scratch database it starts the real worker in this process (fetcher and relay off, so nothing but the
 * console and the webhook route is busy), then seeds it the way production would: the simulator's records
 * mirrored in all 9 families, `--deliveries` signed alert deliveries POSTed to the webhook route, some badly signed
 * and wrongly typed posts (rejections), dead letters, and two days of `console_samples` from three replicas (the
 * most the sampler keeps at its default interval). Then it times the five API calls the page makes (sequential,
 * warm; and the overview after more than 1 s idle, and the page's five calls at once after 1 s idle), and
 * `--loads` fresh page loads in headless Chromium: first contentful paint, DOMContentLoaded and interactive
 * (`body[data-loaded="true"]`, set after the first render of all data). Exits non-zero on an error, never on a
 * missed goal. The scratch database and the topics are removed at the end (--keep keeps them).
 *
 *   npm run bench:console [-- --deliveries 1000 --requests 50 --idle 20 --loads 10]
 *   npm run bench:console -- --small     # 50 deliveries, 2 page loads (test/e2e/benchmarks.e2e-spec.ts)
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { type Browser, chromium } from 'playwright-core';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { type JsonRecord } from '../../src/common/json';
import { createRootLogger } from '../../src/common/logging/logger';
import { FAMILIES as WORKER_FAMILIES } from '../../src/common/tango/families';
import { parseConfig } from '../../src/config/app-config';
import { MirrorRepository, type Provenance } from '../../src/mirror/mirror.repository';
import { FAMILY_SPECS } from '../../simulator/dataset/families';
import { Dataset } from '../../simulator/dataset/store';
import { datasetSizesSchema, FAMILIES, type Family } from '../../simulator/options';
import { alertEvent, alertsEnvelope, type AlertMatch } from '../../simulator/webhooks/envelopes';
import { signBody } from '../../src/webhook/signature';
import { deleteTopics, NO_TANGO, requireEnv, scratchDatabase, type ScratchDatabase } from '../support/stack';

const { values: args } = parseArgs({
  options: {
    /** 50 deliveries, 5 requests per call, 2 idle samples, 2 page loads (test/e2e/benchmarks.e2e-spec.ts). */
    small: { type: 'boolean', default: false },
    deliveries: { type: 'string' },
    rejections: { type: 'string' },
    requests: { type: 'string' },
    idle: { type: 'string' },
    loads: { type: 'string' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});

const DELIVERIES = Number(args.deliveries ?? (args.small ? '50' : '1000'));
const REJECTIONS = Number(args.rejections ?? (args.small ? '5' : '30'));
const REQUESTS = Number(args.requests ?? (args.small ? '5' : '50'));
const IDLE_SAMPLES = Number(args.idle ?? (args.small ? '2' : '20'));
const LOADS = Number(args.loads ?? (args.small ? '2' : '10'));
const SECRET = 'bench-console-secret';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const GOAL_API_MS = 50;
const GOAL_INTERACTIVE_MS = 1000;
/** HealthReportService caches for 1 s; idle longer than that before a "cold" request. */
const IDLE_MS = 1100;

/** The calls the page makes on every refresh (src/console/static/app.js), in its order. */
const PAGE_CALLS = [
  '/console/api/overview',
  '/console/api/deliveries?limit=50',
  '/console/api/rejections?limit=20',
  '/console/api/dead-letters?limit=50',
  '/console/api/activity?hours=6&bucket=300',
] as const;

const TOPIC_PREFIX = `bench-console-${process.pid}-${randomBytes(3).toString('hex')}`;
const BROKERS = process.env.KAFKA_BROKERS ?? process.env.TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

interface Stats {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** Nearest-rank percentiles. */
function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return { n: sorted.length, p50: rank(0.5), p95: rank(0.95), max: sorted[sorted.length - 1] ?? Number.NaN };
}

const ms = (value: number): string => `${value.toFixed(1).padStart(7)} ms`;
const row = (label: string, s: Stats): string =>
  `  ${label.padEnd(48)} p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  max ${ms(s.max)}  (n=${s.n})`;

async function get(baseUrl: string, path: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`);
  await response.text();
  const elapsed = performance.now() - started;
  if (!response.ok) {
    throw new Error(`GET ${path} answered ${response.status}`);
  }
  return elapsed;
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding

const provenance: Provenance = {
  deliveryIds: ['bench-console'],
  eventTypes: ['bench'],
  alertIds: ['bench-alert'],
  reasons: ['new'],
};

/** Every simulator record of every family, through the real MirrorRepository (mirror, outbox and history rows). */
async function seedMirror(app: NestFastifyApplication, dataset: Dataset): Promise<number> {
  const mirror = app.get(MirrorRepository);
  let total = 0;
  for (const family of FAMILIES) {
    const records: JsonRecord[] = [];
    for (let index = 0; index < dataset.baseCount(family); index += 1) {
      const record = dataset.get(family, index);
      if (record !== undefined) {
        records.push(record);
      }
    }
    const fetchedAt = new Date();
    const outcome = await mirror.upsert(
      family,
      records.map((record) => ({ record, fetchedAt, provenance })),
    );
    total += outcome.changes.length;
  }
  return total;
}

/** Alert deliveries as Tango sends them (one `alerts.<query_type>.match` event, 1-3 matches), signed. */
async function seedDeliveries(baseUrl: string, dataset: Dataset): Promise<{ ok: number; seconds: number }> {
  const alerting = FAMILIES.filter((family) => FAMILY_SPECS[family].queryType !== undefined);
  const alertIds = new Map(alerting.map((family) => [family, randomUUID()]));
  const cursor = new Map<Family, number>();
  const body = (index: number): Buffer => {
    const family = alerting[index % alerting.length] ?? 'contracts';
    const spec = FAMILY_SPECS[family];
    const count = 1 + (index % 3);
    const matches: AlertMatch[] = [];
    for (let n = 0; n < count; n += 1) {
      const at = cursor.get(family) ?? 0;
      cursor.set(family, at + 1);
      const record = dataset.get(family, at % Math.max(1, dataset.baseCount(family)));
      if (record !== undefined) {
        matches.push({ id: record[spec.idField] ?? null, summary: spec.summary(record) });
      }
    }
    const now = Date.now();
    const event = alertEvent(
      { alert_id: alertIds.get(family) ?? 'alert', query_type: spec.queryType ?? 'contract', filters: {} },
      { fresh: matches.slice(0, 1), modified: matches.slice(1) },
      now - 1000,
      false,
    );
    return Buffer.from(JSON.stringify(alertsEnvelope([event], randomUUID(), now)));
  };
  let next = 0;
  let ok = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < DELIVERIES; index = next++) {
      const raw = body(index);
      const response = await fetch(`${baseUrl}/tango/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-tango-signature': `sha256=${signBody(raw, SECRET)}`,
        },
        body: raw,
      });
      await response.text();
      if (response.status !== 202) {
        throw new Error(`delivery ${index} answered ${response.status}`);
      }
      ok += 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { ok, seconds: (performance.now() - started) / 1000 };
}

/** Badly signed deliveries and a few that are not JSON: each is a row of `webhook_rejections`. */
async function seedRejections(baseUrl: string): Promise<number> {
  let rejected = 0;
  for (let index = 0; index < REJECTIONS; index += 1) {
    const raw = Buffer.from(JSON.stringify(alertsEnvelope([], randomUUID(), Date.now())));
    const notJson = index % 5 === 4;
    const response = await fetch(`${baseUrl}/tango/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': notJson ? 'text/plain' : 'application/json',
        'x-tango-signature': `sha256=${signBody(raw, 'not-the-secret')}`,
      },
      body: raw,
    });
    await response.text();
    if (response.status >= 400) {
      rejected += 1;
    }
  }
  return rejected;
}

/**
 * What a settled worker's database looks like besides: the relay and fetcher caught up (all but the latest 50
 * fetch targets and 20 change events published), some dead letters, and two days of samples from three replicas
 * at the sampler's default interval (60 s; 48 h is what it keeps). Then ANALYZE, as autovacuum would have.
 */
async function seedRest(dataSource: DataSource): Promise<void> {
  await dataSource.query(
    `UPDATE fetch_targets SET status = 'published', published_at = clock_timestamp()
      WHERE status = 'pending' AND id <= (SELECT max(id) - 50 FROM fetch_targets)`,
  );
  await dataSource.query(
    `UPDATE change_events SET status = 'published', published_at = clock_timestamp()
      WHERE status = 'pending' AND id <= (SELECT max(id) - 20 FROM change_events)`,
  );
  await dataSource.query(
    `INSERT INTO fetch_failures (resource, record_id, id_kind, kind, attempts, first_failed_at, last_failed_at,
                                 last_status, last_error, dead_lettered_at)
     SELECT (ARRAY['contracts','idvs','otas','otidvs','opportunities','notices','entities','grants','forecasts'])[1 + g % 9],
            'BENCH_DEAD_' || g, 'key', 'error', 5, clock_timestamp() - interval '3 hours',
            clock_timestamp() - make_interval(mins => g), 503, 'Tango answered 503 Service Unavailable (bench)',
            clock_timestamp() - make_interval(mins => g)
       FROM generate_series(1, 40) g`,
  );
  await dataSource.query(
    `INSERT INTO console_samples (sampled_at, replica, interval_seconds, deliveries, records_fetched, tango_requests,
                                  tango_throttled, changes_published)
     SELECT date_trunc('minute', clock_timestamp()) - make_interval(mins => m), 'bench-replica-' || r, 60,
            (random() * 12)::int, (random() * 40)::int, (random() * 30)::int, (random() < 0.02)::int,
            (random() * 35)::int
       FROM generate_series(1, 48 * 60) m CROSS JOIN generate_series(1, 3) r`,
  );
  await dataSource.query('ANALYZE');
}

// ---------------------------------------------------------------------------------------------------------------
// The page

interface PageLoad {
  readonly fcp: number;
  readonly dcl: number;
  readonly interactive: number;
  readonly interactiveSeen: number;
}

/** Records, in the page, the moment `data-loaded` is set (before the page's own script runs). */
const MARK_LOADED = `(() => {
  const mark = () => {
    if (window.__benchLoadedAt === undefined && document.body && document.body.getAttribute('data-loaded') === 'true') {
      window.__benchLoadedAt = performance.now();
    }
  };
  new MutationObserver(mark).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-loaded'] });
})();`;

const READ_TIMES = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByType('paint').find((entry) => entry.name === 'first-contentful-paint');
  return {
    fcp: fcp ? fcp.startTime : NaN,
    dcl: nav ? nav.domContentLoadedEventEnd : NaN,
    interactive: window.__benchLoadedAt === undefined ? NaN : window.__benchLoadedAt,
  };
})()`;

async function loadPage(browser: Browser, baseUrl: string): Promise<PageLoad> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addInitScript({ content: MARK_LOADED });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/console`, { waitUntil: 'commit' });
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    const interactiveSeen = await page.evaluate<number>('performance.now()');
    // The paint entry can lag the render by a frame.
    for (let tries = 0; tries < 20; tries += 1) {
      const times = await page.evaluate<{ fcp: number; dcl: number; interactive: number }>(READ_TIMES);
      if (!Number.isNaN(times.fcp) && !Number.isNaN(times.dcl)) {
        return { ...times, interactiveSeen };
      }
      await sleep(50);
    }
    throw new Error('the page reported no first-contentful-paint or DOMContentLoaded');
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------

/**
 * `--profile`: where one overview's time goes. Times every statement the worker sends to Postgres (pg's
 * `Client.query`, so pool waits are excluded) during sequential overview calls, and prints them slowest first.
 */
async function profileOverview(baseUrl: string): Promise<void> {
  const samples = new Map<string, number[]>();
  const prototype = pg.Client.prototype as unknown as { query: (...params: unknown[]) => unknown };
  const original = prototype.query;
  const patched = function (this: pg.Client, ...params: unknown[]): unknown {
    const result: unknown = Reflect.apply(original, this, params);
    const text = typeof params[0] === 'string' ? params[0] : '';
    if (result instanceof Promise && text !== '') {
      const started = performance.now();
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
      void result.then(
        () => {
          const list = samples.get(key) ?? [];
          list.push(performance.now() - started);
          samples.set(key, list);
        },
        () => undefined,
      );
    }
    return result;
  };
  prototype.query = patched;
  const calls = 30;
  const walls: number[] = [];
  try {
    await sleep(IDLE_MS);
    for (let n = 0; n < calls; n += 1) {
      walls.push(await get(baseUrl, PAGE_CALLS[0]));
    }
  } finally {
    prototype.query = original;
  }
  out();
  out(
    `Profile: ${calls} sequential overview calls (p50 ${stats(walls).p50.toFixed(1)} ms); statements, slowest first:`,
  );
  const rows = [...samples.entries()]
    .filter(([, list]) => list.length >= calls)
    .map(([sql, list]) => ({ sql, perCall: list.length / calls, s: stats(list) }))
    .sort((a, b) => b.s.p50 - a.s.p50);
  for (const entry of rows) {
    out(`  p50 ${ms(entry.s.p50)} p95 ${ms(entry.s.p95)} x${entry.perCall.toFixed(0)}  ${entry.sql}`);
  }
}

/** Waits (up to 5 s) until the closed worker's last connection to the scratch database is gone. */
/** Waits (up to 5 s) until nothing is connected to the bench's database any more. */
async function untilIdle(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await admin.connect();
  try {
    for (let waited = 0; waited < 5000; waited += 100) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1`,
        [name],
      );
      if ((rows[0]?.n ?? 0) === 0) {
        return;
      }
      await sleep(100);
    }
  } finally {
    await admin.end();
  }
}

interface RunningWorker {
  readonly app: NestFastifyApplication;
  readonly baseUrl: string;
  readonly bootSeconds: number;
}

/** The real worker in this process, fetcher and relay off (nothing but the console and the webhook route busy). */
async function startWorker(url: string): Promise<RunningWorker> {
  const config = parseConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HTTP_PORT: '0',
    DATABASE_URL: url,
    KAFKA_BROKERS: BROKERS,
    KAFKA_TOPIC_PREFIX: TOPIC_PREFIX,
    KAFKA_TOPIC_PARTITIONS: '3',
    TANGO_BASE_URL: NO_TANGO,
    WEBHOOK_SECRETS: SECRET,
    // The nine families this bench measures (contract resources have bench/resources).
    TANGO_RESOURCES: 'families',
    RELAY_ENABLED: 'false',
    FETCHER_ENABLED: 'false',
    CONSOLE_SAMPLE_INTERVAL_MS: '1000',
    HEALTH_CHECK_TIMEOUT_MS: '1500',
    HEALTH_ALERT_POLL_INTERVAL_MS: '0',
    HEALTH_RECONCILE_INTERVAL_MS: '0',
    HEALTH_SHAPE_PROBE_INTERVAL_MS: '0',
    RETENTION_INTERVAL_MS: '0',
  });
  const bootStarted = performance.now();
  // The worker's own warnings go to stderr, except the ones this bench causes on purpose (the rejections).
  const logs = {
    write(line: string): void {
      if (!line.includes('"webhook delivery rejected"')) {
        process.stderr.write(line);
      }
    },
  };
  const app = await createApp(config, createRootLogger({ level: config.log.level, format: 'json' }, logs));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  return { app, baseUrl, bootSeconds: (performance.now() - bootStarted) / 1000 };
}

interface TableCounts {
  deliveries: string;
  events: string;
  rejections: string;
  samples: string;
  targets: string;
  changes: string;
}

/** Seeds the worker's database (mirror, deliveries, rejections, the rest) and prints what it holds. */
async function seed(worker: RunningWorker, databaseName: string): Promise<void> {
  const dataset = new Dataset(17, datasetSizesSchema.parse({}), '2026-08-14');
  const mirrored = await seedMirror(worker.app, dataset);
  const delivered = await seedDeliveries(worker.baseUrl, dataset);
  const rejected = await seedRejections(worker.baseUrl);
  const dataSource = worker.app.get(DataSource);
  // Rejections are recorded off the request path: wait for the last ones.
  for (let waited = 0; waited < 3000; waited += 100) {
    const [recorded] = await dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM webhook_rejections',
    );
    if ((recorded?.n ?? 0) >= rejected) {
      break;
    }
    await sleep(100);
  }
  await seedRest(dataSource);
  const [counts] = await dataSource.query<TableCounts[]>(
    `SELECT (SELECT count(*) FROM webhook_deliveries)::text AS deliveries,
            (SELECT count(*) FROM webhook_events)::text AS events,
            (SELECT count(*) FROM webhook_rejections)::text AS rejections,
            (SELECT count(*) FROM console_samples)::text AS samples,
            (SELECT count(*) FROM fetch_targets)::text AS targets,
            (SELECT count(*) FROM change_events)::text AS changes`,
  );
  const perFamily = await dataSource.query<{ family: string; n: number }[]>(
    FAMILIES.map(
      (family) => `SELECT '${family}' AS family, count(*)::int AS n FROM ${WORKER_FAMILIES[family].table}`,
    ).join(' UNION ALL '),
  );
  const mirrorRows = perFamily.reduce((sum, entry) => sum + entry.n, 0);
  out(`bench/console: worker up in ${worker.bootSeconds.toFixed(1)} s on ${databaseName}`);
  out(
    `  seeded ${mirrorRows} mirror rows (${perFamily.map((entry) => `${entry.family} ${entry.n}`).join(', ')}; ${mirrored} changes), ${delivered.ok} deliveries in ${delivered.seconds.toFixed(1)} s (${(delivered.ok / delivered.seconds).toFixed(0)}/s)`,
  );
  out(
    `  tables: webhook_deliveries ${counts?.deliveries ?? '?'}, webhook_events ${counts?.events ?? '?'}, webhook_rejections ${counts?.rejections ?? '?'} (${rejected} posted), fetch_targets ${counts?.targets ?? '?'}, change_events ${counts?.changes ?? '?'}, console_samples ${counts?.samples ?? '?'}, dead letters 40`,
  );
}

interface ApiTimes {
  readonly warm: Map<string, Stats>;
  readonly idleOverview: number[];
  readonly burst: number[];
  readonly burstOverview: number[];
}

/** The page's calls: warm (sequential, back to back), the overview after idle, and all five at once after idle. */
async function measureApi(baseUrl: string): Promise<ApiTimes> {
  for (const path of PAGE_CALLS) {
    await get(baseUrl, path);
  }
  const warm = new Map<string, Stats>();
  for (const path of PAGE_CALLS) {
    const samples: number[] = [];
    for (let n = 0; n < REQUESTS; n += 1) {
      samples.push(await get(baseUrl, path));
    }
    warm.set(path, stats(samples));
  }
  const idleOverview: number[] = [];
  for (let n = 0; n < IDLE_SAMPLES; n += 1) {
    await sleep(IDLE_MS);
    idleOverview.push(await get(baseUrl, PAGE_CALLS[0]));
  }
  const burst: number[] = [];
  const burstOverview: number[] = [];
  for (let n = 0; n < IDLE_SAMPLES; n += 1) {
    await sleep(IDLE_MS);
    const started = performance.now();
    const each = await Promise.all(PAGE_CALLS.map((path) => get(baseUrl, path)));
    burst.push(performance.now() - started);
    burstOverview.push(each[0] ?? Number.NaN);
  }
  return { warm, idleOverview, burst, burstOverview };
}

function printApi(api: ApiTimes): void {
  out();
  out(
    `API (client-side wall time over keep-alive HTTP to 127.0.0.1; ${REQUESTS} sequential after one warm-up):`,
  );
  for (const path of PAGE_CALLS) {
    const s = api.warm.get(path);
    if (s !== undefined) {
      out(row(`GET ${path}`, s));
    }
  }
  out(row(`GET /console/api/overview after ${IDLE_MS} ms idle`, stats(api.idleOverview)));
  out(row('the 5 calls at once after idle: all answered', stats(api.burst)));
  out(row('  of which the overview', stats(api.burstOverview)));
}

function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

interface PageTimes {
  readonly fcp: Stats;
  readonly dcl: Stats;
  readonly interactive: Stats;
  readonly seen: Stats;
}

/** LOADS fresh page loads after one warm-up (the browser's first renderer, not the console's cost). */
async function measurePage(browser: Browser, baseUrl: string): Promise<PageTimes> {
  await loadPage(browser, baseUrl);
  const loads: PageLoad[] = [];
  for (let n = 0; n < LOADS; n += 1) {
    await sleep(IDLE_MS);
    loads.push(await loadPage(browser, baseUrl));
  }
  const page = {
    fcp: stats(loads.map((load) => load.fcp)),
    dcl: stats(loads.map((load) => load.dcl)),
    interactive: stats(loads.map((load) => load.interactive)),
    seen: stats(loads.map((load) => load.interactiveSeen)),
  };
  out();
  out(
    `Page (${LOADS} loads of /console, each a new browser context with an empty cache, ${IDLE_MS} ms idle before each; times from navigation start):`,
  );
  out(row('first contentful paint', page.fcp));
  out(row('DOMContentLoaded', page.dcl));
  out(row('interactive (data-loaded set, MutationObserver)', page.interactive));
  out(row('interactive as seen by waitForSelector', page.seen));
  return page;
}

/** The figure block. */
function printSummary(api: ApiTimes, page: PageTimes): void {
  const warmOverview = api.warm.get(PAGE_CALLS[0]) ?? stats([]);
  const idleStats = stats(api.idleOverview);
  const worstP95 = Math.max(warmOverview.p95, idleStats.p95);
  const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
  out();
  out(`=== console first paint: 9 families, ${DELIVERIES.toLocaleString('en-US')} recent deliveries ===`);
  out(
    `overview API p95  warm ${warmOverview.p95.toFixed(1)} ms, after idle ${idleStats.p95.toFixed(1)} ms   goal < ${GOAL_API_MS} ms: ${verdict(worstP95 < GOAL_API_MS)}`,
  );
  out(
    `page interactive  p50 ${page.interactive.p50.toFixed(0)} ms, max ${page.interactive.max.toFixed(0)} ms   goal < ${GOAL_INTERACTIVE_MS} ms: ${verdict(page.interactive.max < GOAL_INTERACTIVE_MS)}`,
  );
  out(
    `  first contentful paint p50 ${page.fcp.p50.toFixed(0)} ms, DOMContentLoaded p50 ${page.dcl.p50.toFixed(0)} ms, page's 5 API calls at once p50 ${stats(api.burst).p50.toFixed(1)} ms, p95 ${stats(api.burst).p95.toFixed(1)} ms`,
  );
}

/** Drops the database and the topics, unless --keep. */
async function cleanUp(database: ScratchDatabase): Promise<void> {
  if (args.keep) {
    out(`(--keep: database ${database.name} and topics ${TOPIC_PREFIX}.* left in place)`);
    return;
  }
  await untilIdle(database.name);
  await database.drop();
  await deleteTopics(BROKERS.split(','), TOPIC_PREFIX).catch((error: unknown) => {
    process.stderr.write(`could not delete the bench topics: ${String(error)}\n`);
  });
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const database = await scratchDatabase('console');
  let worker: RunningWorker | undefined;
  let browser: Browser | undefined;
  try {
    worker = await startWorker(database.url);
    await seed(worker, database.name);
    const api = await measureApi(worker.baseUrl);
    printApi(api);
    browser = await launchBrowser();
    const page = await measurePage(browser, worker.baseUrl);
    if (args.profile) {
      await profileOverview(worker.baseUrl);
    }
    printSummary(api, page);
  } finally {
    await browser?.close();
    await worker?.app.close();
    await cleanUp(database);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench/console failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
