/**
 * bench/ingest: throughput and latency of the durable webhook acknowledgement, against a bare `pg` baseline.
 *
 *   npm run bench:ingest [-- --senders 32 --deliveries 20000 --events 20]
 *   npm run bench:ingest -- --small      # 8 senders, 300 deliveries: a few seconds (test/e2e/benchmarks.e2e-spec.ts)
 *
 * Starts the built worker (dist/, or --worker-entry) as a child process on a scratch database (dropped at the end), sends signed 20-event deliveries from
 * 32 concurrent senders over keep-alive connections, and reports deliveries/s with p50/p90/p99/max of the 202
 * answer. Then, in the same run, a bare `pg` pool of the same size writes the same rows with one set-based
 * statement per delivery (same synchronous_commit), and the ratio of the two rates is printed. Bodies, signatures
 * and the baseline's parameters are all prepared before the clock starts, and the CPU time per delivery of the
 * senders, the worker and Postgres is read from /proc, so a result can be explained, not just quoted.
 * Loopback only; bounded in count and time.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Pool } from 'pg';
import { Pool as HttpPool } from 'undici';
import {
  migrateDatabase,
  percentile,
  scratchDatabase,
  startWorkerProcess,
  workerEntry,
  type WorkerProcess,
} from '../support/stack';

const { values: args } = parseArgs({
  options: {
    /** A few seconds: 8 senders, 300 deliveries after 100 of warm-up (what test/e2e/benchmarks.e2e-spec.ts runs). */
    small: { type: 'boolean', default: false },
    senders: { type: 'string' },
    deliveries: { type: 'string' },
    /** Deliveries sent by all senders at once before the measured run (JIT, pools, caches), per side. */
    warmup: { type: 'string' },
    events: { type: 'string', default: '20' },
    'pool-size': { type: 'string', default: '10' },
    port: { type: 'string', default: '3811' },
    only: { type: 'string', default: 'both' },
    /** Open loop: offer this many deliveries per second in total (0: closed loop, as fast as answers come). */
    rate: { type: 'string', default: '0' },
    'after-migrate-sql': { type: 'string', default: '' },
    /** Extra Node.js flags for the worker, space-separated: e.g. --worker-node-args="--cpu-prof --cpu-prof-dir=/tmp/prof". */
    'worker-node-args': { type: 'string', default: '' },
    /** The worker's entry point (default: dist/src/main.js, built by `npm run bench:build`). */
    'worker-entry': { type: 'string' },
  },
});
const SENDERS = Number(args.senders ?? (args.small ? '8' : '32'));
const DELIVERIES = Number(args.deliveries ?? (args.small ? '300' : '20000'));
const WARMUP = Number(args.warmup ?? (args.small ? '100' : '2000'));
const EVENTS = Number(args.events);
const POOL_SIZE = Number(args['pool-size']);
const PORT = Number(args.port);
const RATE = Number(args.rate);
const SECRET = 'bench-secret';

/** Delivery `sequence`: 20 alert events naming one new contract each; 32 alerts, like 32 senders' own. */
function deliveryBody(sequence: number): string {
  const sender = sequence % SENDERS;
  const alertId = `bench-alert-${sender}`;
  return JSON.stringify({
    timestamp: new Date().toISOString(),
    delivery_id: randomUUID(),
    events: Array.from({ length: EVENTS }, (_, index) => ({
      event_type: 'alerts.contract.match',
      created_at: new Date().toISOString(),
      alert_id: alertId,
      query_type: 'contract',
      filters: { naics: '541512' },
      matches: {
        new_count: 1,
        modified_count: 0,
        new_ids: [`CONT_AWD_BENCH${sender}X${sequence}X${index}_9700_-NONE-_-NONE-`],
        modified_ids: [],
      },
      checked_at: new Date().toISOString(),
    })),
  });
}

function startWorker(databaseUrl: string): Promise<WorkerProcess> {
  return startWorkerProcess({
    entry: workerEntry(args['worker-entry']),
    port: PORT,
    nodeArgs: args['worker-node-args'].split(' ').filter((arg) => arg !== ''),
    env: {
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      WEBHOOK_SECRETS: SECRET,
      // The nine families this bench measures (contract resources have bench/resources).
      TANGO_RESOURCES: 'families',
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: `bench-${process.pid}`,
      FETCHER_ENABLED: 'false',
      // The ack path alone: relays (which publish the targets to Kafka) run on other replicas in this measurement.
      RELAY_ENABLED: 'false',
    },
  });
}

interface RunResult {
  readonly count: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  /** CPU time per delivery, in ms, of the sending bench process, the worker and all Postgres processes. */
  readonly cpuMsPerDelivery: {
    readonly sender: number;
    readonly worker: number | null;
    readonly postgres: number | null;
  };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User+system CPU seconds of a process from /proc (Linux), or null where that cannot be read. */
function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds of every process named `postgres` on this machine (the server and its backends). */
function postgresCpuSeconds(): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') {
        const value = processCpuSeconds(Number(entry));
        if (value !== null) {
          seconds.set(Number(entry), value);
        }
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return seconds;
}

function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, value] of after) {
    total += value - (before.get(pid) ?? 0);
  }
  return total;
}

async function runSenders(send: (sequence: number) => Promise<void>, workerPid?: number): Promise<RunResult> {
  const latenciesMs: number[] = [];
  const senderCpuBefore = process.cpuUsage();
  const workerCpuBefore = workerPid === undefined ? null : processCpuSeconds(workerPid);
  const postgresCpuBefore = postgresCpuSeconds();
  let next = 0;
  const started = BigInt(Date.now()) * 1_000_000n;
  const clock = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      for (;;) {
        const sequence = next;
        next += 1;
        if (sequence >= DELIVERIES) {
          return;
        }
        if (RATE > 0) {
          // Open loop: each delivery has its slot; latency counts from the slot, so queueing behind it shows.
          const slot = Number(started / 1_000_000n) + (sequence * 1000) / RATE;
          const wait = slot - Date.now();
          if (wait > 0) {
            await new Promise((resolve) => setTimeout(resolve, wait));
          }
        }
        const t0 = process.hrtime.bigint();
        await send(sequence);
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - clock) / 1e9;
  const senderCpu = process.cpuUsage(senderCpuBefore);
  const workerCpuAfter = workerPid === undefined ? null : processCpuSeconds(workerPid);
  const postgresCpu = cpuDelta(postgresCpuBefore, postgresCpuSeconds());
  latenciesMs.sort((a, b) => a - b);
  const perDelivery = (cpuSeconds: number): number => (cpuSeconds * 1000) / DELIVERIES;
  return {
    count: DELIVERIES,
    seconds,
    latenciesMs,
    cpuMsPerDelivery: {
      sender: perDelivery((senderCpu.user + senderCpu.system) / 1e6),
      worker:
        workerCpuBefore === null || workerCpuAfter === null
          ? null
          : perDelivery(workerCpuAfter - workerCpuBefore),
      postgres: postgresCpu > 0 ? perDelivery(postgresCpu) : null,
    },
  };
}

async function benchWorker(workerPid: number | undefined): Promise<RunResult> {
  const http = new HttpPool(`http://127.0.0.1:${PORT}`, { connections: SENDERS, pipelining: 1 });
  // Bodies are built and signed before the clock starts: we measure the receiver, not the load generator.
  const signed = (sequence: number): { body: string; signature: string } => {
    const body = deliveryBody(sequence);
    return { body, signature: `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
  };
  const requests = Array.from({ length: DELIVERIES }, (_, sequence) => signed(sequence));
  const post = async ({ body, signature }: { body: string; signature: string }): Promise<void> => {
    const response = await http.request({
      method: 'POST',
      path: '/tango/webhooks',
      headers: { 'content-type': 'application/json', 'x-tango-signature': signature },
      body,
    });
    await response.body.dump();
    if (response.statusCode !== 202) {
      throw new Error(`unexpected status ${response.statusCode}`);
    }
  };
  await warmUp(async (sequence) => post(signed(sequence)));
  const batchesBefore = await writeBatches();
  const result = await runSenders(
    async (sequence) => post(requests[sequence] ?? signed(sequence)),
    workerPid,
  );
  const batchesAfter = await writeBatches();
  const statements = batchesAfter.count - batchesBefore.count;
  console.log(
    `worker ingest statements: ${statements}, ${((batchesAfter.sum - batchesBefore.sum) / statements).toFixed(1)} deliveries each on average`,
  );
  await http.close();
  return result;
}

/**
 * The same rows as the worker writes, one delivery per set-based statement (one implicit transaction): the
 * delivery, its events, its fetch targets and its family (`webhook_event_families`; `delivery_state` is a view).
 */
const BARE_STATEMENT = `WITH delivery AS (
         INSERT INTO webhook_deliveries (delivery_key, delivery_id, body_sha256, raw_body, headers, received_at, tango_timestamp,
           format, status, problems, event_count, target_count, verified_by)
         VALUES ($1, $2, $3, $4, '{}'::jsonb, now(), $5, 'alerts', 'processed', '[]'::jsonb, $6, $6, 'bare')
         ON CONFLICT (delivery_key) DO UPDATE SET duplicate_count = webhook_deliveries.duplicate_count + 1
         RETURNING id, (xmax <> 0) AS duplicate
       ),
       events AS (
         INSERT INTO webhook_events (delivery_pk, event_index, event_type, status, alert_id, query_type, resource, checked_at,
           tango_created_at, problems, new_count, modified_count, target_count)
         SELECT d.id, e.idx, 'alerts.contract.match', 'recognized', e.alert_id, 'contract', 'contracts', e.checked_at, e.checked_at,
                '[]'::jsonb, e.new_count, e.modified_count, 1
           FROM delivery d, unnest($7::int[], $8::text[], $9::timestamptz[], $10::int[], $13::int[])
             AS e(idx, alert_id, checked_at, new_count, modified_count)
          WHERE NOT d.duplicate
       ),
       targets AS (
         INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason, hint_count, first_delivery_pk, last_delivery_pk)
         SELECT 'contracts', r, 'key', 'record', 'alerts.contract.match:new', 1, d.id, d.id
           FROM delivery d, unnest($11::text[]) AS r
          WHERE NOT d.duplicate
         ON CONFLICT (resource, record_id) WHERE status = 'pending' DO UPDATE
           SET hint_count = fetch_targets.hint_count + 1, last_hinted_at = clock_timestamp()
       ),
       families AS (
         INSERT INTO webhook_event_families (family, delivery_pk)
         SELECT 'contracts', d.id FROM delivery d WHERE NOT d.duplicate
       )
       SELECT id, duplicate, pg_notify('fetch_targets', $12) FROM delivery`;

/** Sends WARMUP deliveries (numbered after the measured ones) from all senders at once; nothing is measured. */
async function warmUp(send: (sequence: number) => Promise<void>): Promise<void> {
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, sender) => {
      for (let i = sender; i < WARMUP; i += SENDERS) {
        await send(DELIVERIES + i);
      }
    }),
  );
}

/** The worker's group-commit histogram (statements and the deliveries they committed), from /metrics. */
async function writeBatches(): Promise<{ count: number; sum: number }> {
  const text = await fetch(`http://127.0.0.1:${PORT}/metrics`).then((response) => response.text());
  const value = (name: string): number =>
    Number(
      text
        .split('\n')
        .find((line) => line.startsWith(`tango_sync_webhook_write_batch_deliveries_${name}`))
        ?.split(' ')
        .at(-1) ?? Number.NaN,
    );
  return { count: value('count'), sum: value('sum') };
}

async function benchBarePg(databaseUrl: string): Promise<RunResult> {
  const pool = new Pool({ connectionString: databaseUrl, max: POOL_SIZE });
  // pool.end() resolves before its clients' connections have closed; the scratch database's drop may terminate one
  // of them then (57P01), which an idle client reports as an 'error' event: with no listener it would end the run.
  pool.on('error', (error) => {
    console.error(`bench/ingest: idle pool connection closed: ${error.message}`);
  });
  // The statement's parameters are computed before the clock starts, like the worker's signed bodies.
  const parameters = (sequence: number): unknown[] => {
    const body = deliveryBody(sequence);
    const parsed = JSON.parse(body) as {
      delivery_id: string;
      timestamp: string;
      events: {
        alert_id: string;
        checked_at: string;
        matches: { new_count: number; modified_count: number; new_ids: string[] };
      }[];
    };
    const sha = createHash('sha256').update(body).digest('hex');
    const ids = parsed.events.flatMap((e) => e.matches.new_ids).sort();
    return [
      `${parsed.delivery_id}:${sha}`,
      parsed.delivery_id,
      sha,
      Buffer.from(body),
      parsed.timestamp,
      parsed.events.length,
      parsed.events.map((_, i) => i),
      parsed.events.map((e) => e.alert_id),
      parsed.events.map((e) => e.checked_at),
      parsed.events.map((e) => e.matches.new_count),
      ids,
      String(ids.length),
      parsed.events.map((e) => e.matches.modified_count),
    ];
  };
  const prepared = Array.from({ length: DELIVERIES }, (_, sequence) => parameters(sequence));
  const send = async (sequence: number): Promise<void> => {
    await pool.query(BARE_STATEMENT, prepared[sequence]);
  };
  await warmUp(async (sequence) => pool.query(BARE_STATEMENT, parameters(sequence)).then(() => undefined));
  const result = await runSenders(send);
  await pool.end();
  return result;
}

function describe(
  label: string,
  result: RunResult,
): { rate: number; p50: number; p99: number; cpuMsPerDelivery: RunResult['cpuMsPerDelivery'] } {
  const rate = result.count / result.seconds;
  const p50 = percentile(result.latenciesMs, 50);
  const p99 = percentile(result.latenciesMs, 99);
  const cpu = result.cpuMsPerDelivery;
  const ms = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(3));
  console.log(
    `${label.padEnd(22)} ${result.count} deliveries in ${result.seconds.toFixed(2)} s = ${rate.toFixed(0)} deliveries/s ` +
      `(${(rate * EVENTS).toFixed(0)} events/s); p50 ${p50.toFixed(2)} ms, p90 ${percentile(result.latenciesMs, 90).toFixed(2)} ms, ` +
      `p99 ${p99.toFixed(2)} ms, max ${(result.latenciesMs.at(-1) ?? Number.NaN).toFixed(2)} ms; ` +
      `CPU ms per delivery: senders ${ms(cpu.sender)}, worker ${ms(cpu.worker)}, postgres ${ms(cpu.postgres)}`,
  );
  return { rate, p50, p99, cpuMsPerDelivery: cpu };
}

async function synchronousCommit(databaseUrl: string): Promise<string | undefined> {
  const settings = new Client({ connectionString: databaseUrl });
  await settings.connect();
  try {
    return (await settings.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]
      ?.synchronous_commit;
  } finally {
    await settings.end();
  }
}

/** The worker's run (migrating the database at its start-up), or the migrations alone with `--only bare`. */
async function runWorkerSide(databaseUrl: string): Promise<RunResult | undefined> {
  if (args.only === 'bare') {
    await (await migrateDatabase(databaseUrl)).destroy();
    return undefined;
  }
  const worker = await startWorker(databaseUrl);
  try {
    return await benchWorker(worker.child.pid);
  } finally {
    await worker.stop();
  }
}

async function afterMigrate(databaseUrl: string): Promise<void> {
  if (args['after-migrate-sql'] === '') {
    return;
  }
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query(args['after-migrate-sql']);
  await client.end();
}

async function main(): Promise<void> {
  const database = await scratchDatabase('ingest');
  try {
    const syncCommit = await synchronousCommit(database.url);
    console.log(
      `bench/ingest: ${RATE > 0 ? `open loop at ${RATE} deliveries/s, ` : 'closed loop, '}${SENDERS} senders, ${DELIVERIES} deliveries of ${EVENTS} events, pool size ${POOL_SIZE}, synchronous_commit=${syncCommit}`,
    );
    const workerResult = await runWorkerSide(database.url);
    await afterMigrate(database.url);
    const bare = describe('bare pg transaction', await benchBarePg(database.url));
    if (workerResult === undefined) {
      return;
    }
    const app = describe('worker (HTTP, durable)', workerResult);
    console.log(`ratio: worker rate is ${((app.rate / bare.rate) * 100).toFixed(1)}% of the bare pg rate`);
    console.log(
      JSON.stringify({
        senders: SENDERS,
        deliveries: DELIVERIES,
        eventsPerDelivery: EVENTS,
        poolSize: POOL_SIZE,
        synchronousCommit: syncCommit,
        worker: app,
        barePg: bare,
        ratio: app.rate / bare.rate,
      }),
    );
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
