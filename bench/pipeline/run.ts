/**
 * bench/pipeline: the fetch pipeline's throughput and API efficiency on a 100,000-record change burst, with and
 * without a burst rate limit, and the latency from webhook receipt to the change event on Kafka.
 *
 *   npm run bench:pipeline [-- --records 100000 --latency-seconds 30]
 *
 * Part 1 (burst): the simulator (in this process) holds the records; the burst is written straight into the
 * fetch-target outbox, as the webhook module would write it, and the built worker (a child process) relays,
 * fetches and mirrors it. Reported: records mirrored per second, API requests per mirrored record by family, and
 * the 429s the simulator sent. Run twice: without a burst limit, and with one (paced by the X-RateLimit-* headers).
 * Part 2 (latency): 10 signed deliveries per second of 20 changed contract ids each, 50 ms simulated API latency;
 * for each id, the time from sending its delivery to its change event arriving on Kafka (p50/p99).
 * Loopback only; bounded in count and time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startSimulator, type RunningSimulator } from '../../simulator';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    'latency-seconds': { type: 'string', default: '30' },
    'burst-limit': { type: 'string', default: '300' },
    'burst-window': { type: 'string', default: '5' },
    port: { type: 'string', default: '3821' },
    only: { type: 'string', default: 'all' },
  },
});
const TOTAL = Number(args.records);
const PORT = Number(args.port);
const SECRET = 'bench-pipeline-secret';
const ROOT = join(__dirname, '..', '..', '..');
/** The burst's mix: award and grant families take id lists (100 per request); entities need one request each. */
const MIX = { contracts: 0.6, idvs: 0.1, grants: 0.2, forecasts: 0.08, entities: 0.02 } as const;
type BenchFamily = keyof typeof MIX;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run \`bash scripts/services.sh up && source .services/env\` first`);
  }
  return value;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
}

async function freshDatabase(): Promise<string> {
  const admin = new Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await admin.connect();
  const appUrl = new URL(requireEnv('DATABASE_URL'));
  await admin.query('DROP DATABASE IF EXISTS tango_sync_bench_pipeline WITH (FORCE)');
  await admin.query(
    `CREATE DATABASE tango_sync_bench_pipeline OWNER "${decodeURIComponent(appUrl.username) || 'postgres'}"`,
  );
  await admin.end();
  appUrl.pathname = '/tango_sync_bench_pipeline';
  return appUrl.toString();
}

async function startWorker(
  databaseUrl: string,
  sim: RunningSimulator,
  prefix: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HTTP_PORT: String(PORT),
      WEBHOOK_SECRETS: SECRET,
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: prefix,
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: 'sim-key',
      FETCHER_GROUP_ID: `bench-${prefix}`,
      RELAY_POLL_INTERVAL_MS: '200',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let attempt = 0; attempt < 120; attempt += 1) {
    try {
      if ((await fetch(`http://127.0.0.1:${PORT}/health/ready`)).ok) {
        return child;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGKILL');
  throw new Error('the worker did not become ready within 30 s');
}

async function stopWorker(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
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

async function burstRun(label: string, limited: boolean): Promise<Record<string, unknown>> {
  const counts = Object.fromEntries(
    Object.entries(MIX).map(([family, share]) => [family, Math.round(TOTAL * share)]),
  ) as Record<BenchFamily, number>;
  const sim = await startSimulator({
    port: 0,
    seed: 5,
    sizes: { ...counts, otas: 10, otidvs: 10, opportunities: 10, notices: 10 },
    webhooks: { schedule: false },
    rateLimits: limited
      ? { burstLimit: Number(args['burst-limit']), burstWindowSeconds: Number(args['burst-window']) }
      : { burstLimit: 10_000_000, dailyLimit: 100_000_000 },
  });
  const databaseUrl = await freshDatabase();
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const worker = await startWorker(databaseUrl, sim, prefix);
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const before = apiRequestsByFamily(sim);
    const rateLimitedBefore = sim.control.counters().rateLimited;
    const started = Date.now();
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
    const deadline = started + 30 * 60_000;
    let mirrored = 0;
    for (;;) {
      const rows = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM contracts) + (SELECT count(*) FROM idvs) + (SELECT count(*) FROM grants)
              + (SELECT count(*) FROM forecasts) + (SELECT count(*) FROM entities) AS n`,
      );
      mirrored = Number(rows.rows[0]?.n ?? '0');
      if (mirrored >= TOTAL || Date.now() > deadline) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const seconds = (Date.now() - started) / 1000;
    const after = apiRequestsByFamily(sim);
    const perFamily = Object.fromEntries(
      (Object.keys(counts) as BenchFamily[]).map((family) => [
        family,
        {
          records: counts[family],
          requests: (after[family] ?? 0) - (before[family] ?? 0),
          perRecord: ((after[family] ?? 0) - (before[family] ?? 0)) / counts[family],
        },
      ]),
    );
    const result = {
      run: label,
      records: TOTAL,
      mirrored,
      seconds: Number(seconds.toFixed(1)),
      recordsPerSecond: Math.round(mirrored / seconds),
      requestsTotal: Object.values(perFamily).reduce((sum, item) => sum + item.requests, 0),
      status429: sim.control.counters().rateLimited - rateLimitedBefore,
      burstWindows: limited ? Math.ceil(seconds / Number(args['burst-window'])) : null,
      perFamily,
    };
    console.log(
      `${label}: ${mirrored}/${TOTAL} records mirrored in ${result.seconds} s = ${result.recordsPerSecond} records/s; ` +
        `${result.requestsTotal} API requests; 429s received: ${result.status429}` +
        (limited ? ` over ${result.burstWindows} burst windows` : ''),
    );
    for (const [family, item] of Object.entries(perFamily)) {
      console.log(
        `  ${family.padEnd(10)} ${String(item.records).padStart(6)} records, ${String(item.requests).padStart(5)} requests = ${item.perRecord.toFixed(4)} requests/record`,
      );
    }
    return result;
  } finally {
    await db.end();
    await stopWorker(worker);
    await sim.close();
  }
}

async function latencyRun(): Promise<Record<string, unknown>> {
  const seconds = Number(args['latency-seconds']);
  const perDelivery = 20;
  const rate = 10;
  const sim = await startSimulator({
    port: 0,
    seed: 9,
    sizes: {
      contracts: seconds * rate * perDelivery + 100,
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
    faults: { latencyMs: 50 },
  });
  const databaseUrl = await freshDatabase();
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const worker = await startWorker(databaseUrl, sim, prefix);
  const kafka = new Kafka({
    clientId: 'bench-pipeline',
    brokers: requireEnv('KAFKA_BROKERS').split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `bench-latency-${prefix}` });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  try {
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
    const ids = sim.control.ids('contracts');
    let next = 0;
    const started = Date.now();
    for (let delivery = 0; delivery < seconds * rate; delivery += 1) {
      const batch = ids.slice(next, next + perDelivery);
      next += perDelivery;
      batch.forEach((id) => sim.control.modifyRecord('contracts', id));
      const body = JSON.stringify({
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
      const now = Date.now();
      batch.forEach((id) => sentAt.set(id, now));
      const response = await fetch(`http://127.0.0.1:${PORT}/tango/webhooks`, {
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
      const due = started + ((delivery + 1) * 1000) / rate;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
    const deadline = Date.now() + 60_000;
    while (sentAt.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    latencies.sort((a, b) => a - b);
    const result = {
      deliveries: seconds * rate,
      idsPerDelivery: perDelivery,
      apiLatencyMs: 50,
      events: latencies.length,
      missing: sentAt.size,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? null,
    };
    console.log(
      `latency: ${result.events} change events for ${seconds * rate} deliveries x ${perDelivery} ids (50 ms API latency): webhook receipt -> Kafka p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, max ${String(result.maxMs)} ms; missing ${result.missing}`,
    );
    return result;
  } finally {
    await consumer.disconnect();
    await stopWorker(worker);
    await sim.close();
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
