/**
 * bench/pipeline: the fetch pipeline's throughput and API efficiency on a 100,000-record change burst, with and
 * without a burst rate limit, and the latency from webhook receipt to the change event on Kafka.
 *
 *   npm run bench:pipeline [-- --records 100000 --latency-seconds 30]
 *   npm run bench:pipeline -- --small    # 500 records, 3 s of deliveries (test/e2e/benchmarks.e2e-spec.ts)
 *
 * Part 1 (burst): the simulator (in this process) holds the records; the burst is written straight into the
 * fetch-target outbox, as the webhook module would write it, and the built worker (a child process) relays,
 * fetches and mirrors it. Reported: records mirrored per second, API requests per mirrored record by family, and
 * the 429s the simulator sent. Run twice: without a burst limit, and with one (paced by the X-RateLimit-* headers).
 * Part 2 (latency): 10 signed deliveries per second of 20 changed contract ids each, 50 ms simulated API latency;
 * for each id, the time from sending its delivery to its change event arriving on Kafka (p50/p99).
 * Loopback only; bounded in count and time.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startSimulator, type RunningSimulator } from '../../simulator';
import {
  percentile,
  requireEnv,
  scratchDatabase,
  sleep,
  startWorkerProcess,
  workerEntry,
  type ScratchDatabase,
  type WorkerProcess,
} from '../support/stack';

const { values: args } = parseArgs({
  options: {
    /** A few hundred records and 3 s of deliveries (what test/e2e/benchmarks.e2e-spec.ts runs). */
    small: { type: 'boolean', default: false },
    records: { type: 'string' },
    'latency-seconds': { type: 'string' },
    'burst-limit': { type: 'string', default: '300' },
    'burst-window': { type: 'string', default: '5' },
    port: { type: 'string', default: '3821' },
    only: { type: 'string', default: 'all' },
    /** The worker's entry point (default: dist/src/main.js, built by `npm run bench:build`). */
    'worker-entry': { type: 'string' },
  },
});
const TOTAL = Number(args.records ?? (args.small ? '500' : '100000'));
const LATENCY_SECONDS = Number(args['latency-seconds'] ?? (args.small ? '3' : '30'));
const PORT = Number(args.port);
const SECRET = 'bench-pipeline-secret';
/** The burst's mix: award and grant families take id lists (100 per request); entities need one request each. */
const MIX = { contracts: 0.6, idvs: 0.1, grants: 0.2, forecasts: 0.08, entities: 0.02 } as const;
type BenchFamily = keyof typeof MIX;

/** The simulator, a scratch database and the worker (relay and fetcher on) against both, on `prefix` topics. */
interface PipelineStack {
  readonly sim: RunningSimulator;
  readonly database: ScratchDatabase;
  readonly worker: WorkerProcess;
  readonly prefix: string;
}

async function startStack(sim: RunningSimulator): Promise<PipelineStack> {
  const database = await scratchDatabase('pipeline');
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  try {
    const worker = await startWorkerProcess({
      entry: workerEntry(args['worker-entry']),
      port: PORT,
      env: {
        DATABASE_URL: database.url,
        WEBHOOK_SECRETS: SECRET,
        // The nine families this bench measures (contract resources have bench/resources).
        TANGO_RESOURCES: 'families',
        LOG_LEVEL: 'warn',
        KAFKA_TOPIC_PREFIX: prefix,
        TANGO_BASE_URL: sim.baseUrl,
        TANGO_API_KEY: 'sim-key',
        FETCHER_GROUP_ID: `bench-${prefix}`,
        RELAY_POLL_INTERVAL_MS: '200',
      },
    });
    return { sim, database, worker, prefix };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

async function stopStack(stack: PipelineStack): Promise<void> {
  await stack.worker.stop();
  await stack.sim.close();
  await stack.database.drop();
}

function apiRequestsByFamily(sim: RunningSimulator): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, count] of Object.entries(sim.control.counters().requestsByRoute)) {
    const match = /\/api\/([a-z]+)\//.exec(route);
    if (match?.[1] !== undefined && match[1] !== 'webhooks') {
      out[match[1]] = (out[match[1]] ?? 0) + count;
    }
  }
  return out;
}

function burstCounts(): Record<BenchFamily, number> {
  return Object.fromEntries(
    Object.entries(MIX).map(([family, share]) => [family, Math.round(TOTAL * share)]),
  ) as Record<BenchFamily, number>;
}

function startBurstSimulator(
  counts: Record<BenchFamily, number>,
  limited: boolean,
): Promise<RunningSimulator> {
  return startSimulator({
    port: 0,
    seed: 5,
    sizes: { ...counts, otas: 10, otidvs: 10, opportunities: 10, notices: 10 },
    webhooks: { schedule: false },
    rateLimits: limited
      ? { burstLimit: Number(args['burst-limit']), burstWindowSeconds: Number(args['burst-window']) }
      : { burstLimit: 10_000_000, dailyLimit: 100_000_000 },
  });
}

/** The burst written straight into the fetch-target outbox, as the webhook module would write it. */
async function writeBurst(
  db: Client,
  sim: RunningSimulator,
  counts: Record<BenchFamily, number>,
): Promise<void> {
  for (const family of Object.keys(counts) as BenchFamily[]) {
    const ids = sim.control.ids(family).slice(0, counts[family]);
    const idKind =
      family === 'entities' ? 'uei' : family === 'grants' || family === 'forecasts' ? 'integer' : 'key';
    for (let start = 0; start < ids.length; start += 10_000) {
      await db.query(
        `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason)
         SELECT $1, r, $2, 'record', 'bench-burst' FROM unnest($3::text[]) AS r`,
        [family, idKind, ids.slice(start, start + 10_000)],
      );
    }
  }
  await db.query(`SELECT pg_notify('fetch_targets', 'bench')`);
}

/** Records mirrored across the burst's families once all TOTAL are (or at the deadline). */
async function waitMirrored(db: Client, deadline: number): Promise<number> {
  for (;;) {
    const rows = await db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM contracts) + (SELECT count(*) FROM idvs) + (SELECT count(*) FROM grants)
            + (SELECT count(*) FROM forecasts) + (SELECT count(*) FROM entities) AS n`,
    );
    const mirrored = Number(rows.rows[0]?.n ?? '0');
    if (mirrored >= TOTAL || Date.now() > deadline) {
      return mirrored;
    }
    await sleep(500);
  }
}

interface FamilyRequests {
  readonly records: number;
  readonly requests: number;
  readonly perRecord: number;
}

function requestsPerFamily(
  counts: Record<BenchFamily, number>,
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, FamilyRequests> {
  return Object.fromEntries(
    (Object.keys(counts) as BenchFamily[]).map((family) => [
      family,
      {
        records: counts[family],
        requests: (after[family] ?? 0) - (before[family] ?? 0),
        perRecord: ((after[family] ?? 0) - (before[family] ?? 0)) / counts[family],
      },
    ]),
  );
}

interface BurstResult {
  readonly records: number;
  readonly mirrored: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly requestsTotal: number;
  readonly status429: number;
  readonly burstWindows: number | null;
  readonly perFamily: Record<string, FamilyRequests>;
}

function printBurst(label: string, limited: boolean, result: BurstResult): void {
  console.log(
    `${label}: ${result.mirrored}/${TOTAL} records mirrored in ${result.seconds} s = ${result.recordsPerSecond} records/s; ` +
      `${result.requestsTotal} API requests; 429s received: ${result.status429}` +
      (limited ? ` over ${result.burstWindows} burst windows` : ''),
  );
  for (const [family, item] of Object.entries(result.perFamily)) {
    console.log(
      `  ${family.padEnd(10)} ${String(item.records).padStart(6)} records, ${String(item.requests).padStart(5)} requests = ${item.perRecord.toFixed(4)} requests/record`,
    );
  }
}

async function measureBurst(
  stack: PipelineStack,
  db: Client,
  counts: Record<BenchFamily, number>,
  limited: boolean,
): Promise<BurstResult> {
  const { sim } = stack;
  const before = apiRequestsByFamily(sim);
  const rateLimitedBefore = sim.control.counters().rateLimited;
  const started = Date.now();
  await writeBurst(db, sim, counts);
  const mirrored = await waitMirrored(db, started + 30 * 60_000);
  const seconds = (Date.now() - started) / 1000;
  const perFamily = requestsPerFamily(counts, before, apiRequestsByFamily(sim));
  return {
    records: TOTAL,
    mirrored,
    seconds: Number(seconds.toFixed(1)),
    recordsPerSecond: Math.round(mirrored / seconds),
    requestsTotal: Object.values(perFamily).reduce((sum, item) => sum + item.requests, 0),
    status429: sim.control.counters().rateLimited - rateLimitedBefore,
    burstWindows: limited ? Math.ceil(seconds / Number(args['burst-window'])) : null,
    perFamily,
  };
}

/** Part 1: the burst through the outbox, relay and fetcher, with or without a burst limit. */
async function burstRun(label: string, limited: boolean): Promise<Record<string, unknown>> {
  const counts = burstCounts();
  const stack = await startStack(await startBurstSimulator(counts, limited));
  const db = new Client({ connectionString: stack.database.url });
  await db.connect();
  try {
    const measured = await measureBurst(stack, db, counts, limited);
    const result = { run: label, ...measured };
    printBurst(label, limited, result);
    return result;
  } finally {
    await db.end();
    await stopStack(stack);
  }
}

const PER_DELIVERY = 20;
const DELIVERY_RATE = 10;
const API_LATENCY_MS = 50;

function startLatencySimulator(): Promise<RunningSimulator> {
  return startSimulator({
    port: 0,
    seed: 9,
    sizes: {
      contracts: LATENCY_SECONDS * DELIVERY_RATE * PER_DELIVERY + 100,
      idvs: 10,
      otas: 10,
      otidvs: 10,
      opportunities: 10,
      notices: 10,
      entities: 10,
      grants: 10,
      forecasts: 10,
    },
    webhooks: { schedule: false },
    faults: { latencyMs: API_LATENCY_MS },
  });
}

/** Consumes the contracts change topic, recording for each id sent the time until its change event arrived. */
async function consumeChanges(
  consumer: Consumer,
  prefix: string,
  sentAt: Map<string, number>,
  latencies: number[],
): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}.contracts.changes.v1`, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const subject = message.headers?.ce_subject?.toString();
      const sent = subject === undefined ? undefined : sentAt.get(subject);
      if (sent !== undefined) {
        latencies.push(Date.now() - sent);
        sentAt.delete(subject!);
      }
      await Promise.resolve();
    },
  });
}

function deliveryBody(batch: readonly string[]): string {
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    delivery_id: randomUUID(),
    events: [
      {
        event_type: 'alerts.contract.match',
        alert_id: 'bench',
        query_type: 'contract',
        matches: { new_count: 0, modified_count: batch.length, new_ids: [], modified_ids: batch },
        checked_at: new Date().toISOString(),
      },
    ],
  });
}

async function postDelivery(baseUrl: string, body: string): Promise<void> {
  const response = await fetch(`${baseUrl}/tango/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-tango-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
    },
    body,
  });
  if (response.status !== 202) {
    throw new Error(`delivery answered ${response.status}`);
  }
}

/** DELIVERY_RATE signed deliveries a second of PER_DELIVERY modified contracts each, for LATENCY_SECONDS. */
async function sendDeliveries(stack: PipelineStack, sentAt: Map<string, number>): Promise<void> {
  const { sim } = stack;
  const ids = sim.control.ids('contracts');
  let next = 0;
  const started = Date.now();
  for (let delivery = 0; delivery < LATENCY_SECONDS * DELIVERY_RATE; delivery += 1) {
    const batch = ids.slice(next, next + PER_DELIVERY);
    next += PER_DELIVERY;
    batch.forEach((id) => sim.control.modifyRecord('contracts', id));
    const body = deliveryBody(batch);
    const now = Date.now();
    batch.forEach((id) => sentAt.set(id, now));
    await postDelivery(stack.worker.baseUrl, body);
    const due = started + ((delivery + 1) * 1000) / DELIVERY_RATE;
    await sleep(Math.max(0, due - Date.now()));
  }
  const deadline = Date.now() + 60_000;
  while (sentAt.size > 0 && Date.now() < deadline) {
    await sleep(200);
  }
}

function latencyResult(latencies: number[], missing: number): Record<string, unknown> {
  latencies.sort((a, b) => a - b);
  const result = {
    deliveries: LATENCY_SECONDS * DELIVERY_RATE,
    idsPerDelivery: PER_DELIVERY,
    apiLatencyMs: API_LATENCY_MS,
    events: latencies.length,
    missing,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? null,
  };
  console.log(
    `latency: ${result.events} change events for ${LATENCY_SECONDS * DELIVERY_RATE} deliveries x ${PER_DELIVERY} ids (50 ms API latency): webhook receipt -> Kafka p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${String(result.maxMs)} ms; missing ${result.missing}`,
  );
  return result;
}

/** Part 2: webhook receipt to change event on Kafka, per id. */
async function latencyRun(): Promise<Record<string, unknown>> {
  const stack = await startStack(await startLatencySimulator());
  const kafka = new Kafka({
    clientId: 'bench-pipeline',
    brokers: requireEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-latency-${stack.prefix}` });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  try {
    await consumeChanges(consumer, stack.prefix, sentAt, latencies);
    await sendDeliveries(stack, sentAt);
    return latencyResult(latencies, sentAt.size);
  } finally {
    await consumer.disconnect();
    await stopStack(stack);
  }
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  if (args.only === 'all' || args.only === 'burst') {
    results.push(await burstRun('burst, no burst limit', false));
    results.push(await burstRun(`burst, limit ${args['burst-limit']} per ${args['burst-window']} s`, true));
  }
  if (args.only === 'all' || args.only === 'latency') {
    results.push(await latencyRun());
  }
  console.log(JSON.stringify(results));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
