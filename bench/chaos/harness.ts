/**
 * The chaos harness: two worker replicas (child processes) behind a round-robin front, a private Postgres and
 * Kafka (test/support/private-services.ts), and the Tango simulator in this process with API faults on. Record
 * changes are made on a steady cadence and the simulator's realtime alerts turn them into signed deliveries in both
 * envelopes (one endpoint each), with duplicates and reordering; meanwhile replicas are SIGKILLed and restarted,
 * Kafka is frozen (SIGSTOP) and restarted, and Postgres is crashed and started again. Then the faults stop,
 * everything settles, and the run is judged (see verify.ts). Used by bench/chaos/run.ts and
 * test/e2e/chaos.e2e-spec.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { FAMILIES } from '../../src/common/tango/families';
import { type DescribedFamily as ResourceFamily } from '../../src/common/tango/resource-family';
import { type Family, type SimulatorOptionsInput, startSimulator } from '../../simulator';
import {
  freePort,
  startPrivateKafka,
  startPrivatePostgres,
  type PrivateKafka,
  type PrivatePostgres,
} from '../../test/support/private-services';
import { Front, type LedgerEntry } from './front';
import { Outages, type OutageWindow } from './outages';
import { Replica, type ReplicaEvent } from './replicas';
import {
  answerFigures,
  deliveryFigures,
  duplicateFigures,
  kafkaFigures,
  lostDeliveries,
  mirrorFigures,
  pendingFigures,
  secretsInLogs,
  startupFailures,
  type AnswerFigures,
  type DeliveryFigures,
  type DuplicateFigures,
  type KafkaFigures,
  type MirrorFigures,
  type PendingFigures,
  type SecretFigures,
  latencySummary,
  type LatencySummary,
} from './verify';

export interface ChaosOptions {
  /** Records in the simulator's dataset, across families. */
  readonly records: number;
  /** Distinct deliveries to aim for over the timeline (both endpoints together). */
  readonly deliveries: number;
  /** Length of the timeline (changes and disruptions), seconds. */
  readonly seconds: number;
  /** Replica SIGKILLs, spread over the timeline, alternating replicas. */
  readonly kills: number;
  readonly seed: number;
  /** Record changes (modifications, some creations) over the timeline; default: `records`. */
  readonly changes?: number;
  readonly kafkaFreezeSeconds: number;
  readonly postgresDownSeconds: number;
  /** How long a killed replica stays down before it is started again. */
  readonly replicaDownSeconds: number;
  /** Upper bound of the settling phase. */
  readonly settleSeconds: number;
  /** Share of acknowledged deliveries the sender repeats (the simulator's `duplicateRate`). */
  readonly duplicateRate: number;
  /** When each infrastructure disruption starts, as a share of the timeline. */
  readonly freezeAt: number;
  readonly kafkaRestartAt: number;
  readonly postgresCrashAt: number;
  /** The worker's compiled entry point (`dist/src/main.js`, or a swc build: worker-build.ts). */
  readonly workerEntry: string;
  /** Where the replica logs go (kept after the run). */
  readonly logDir: string;
  readonly log?: (line: string) => void;
}

export const SMALL_PROFILE = {
  records: 300,
  deliveries: 60,
  seconds: 40,
  kills: 1,
  seed: 7,
  kafkaFreezeSeconds: 6,
  postgresDownSeconds: 3,
  replicaDownSeconds: 1.5,
  settleSeconds: 150,
  duplicateRate: 0.2,
  freezeAt: 0.15,
  kafkaRestartAt: 0.6,
  postgresCrashAt: 0.85,
} as const;

export const FULL_PROFILE = {
  records: 10_000,
  deliveries: 2_000,
  seconds: 240,
  kills: 6,
  seed: 7,
  kafkaFreezeSeconds: 15,
  postgresDownSeconds: 6,
  replicaDownSeconds: 2,
  settleSeconds: 420,
  duplicateRate: 0.2,
  // The first kill (at 12.5% of the timeline) falls inside the freeze: a replica boots while Kafka hangs.
  freezeAt: 0.11,
  kafkaRestartAt: 0.65,
  postgresCrashAt: 0.85,
} as const;

/** API faults during the timeline (no `errorIn200Rate`: the worker treats a 200 with an error as final). */
export const CHAOS_FAULTS = {
  serverErrorRate: 0.05,
  timeoutRate: 0.01,
  dropRate: 0.02,
  truncateRate: 0.03,
  rateLimitStormRate: 0.02,
} as const;

/** Shares of the dataset per family (notices come with opportunities; every family has at least 5). */
const DATASET_MIX: Readonly<Record<Family, number>> = {
  contracts: 0.4,
  idvs: 0.08,
  otas: 0.04,
  otidvs: 0.03,
  opportunities: 0.1,
  notices: 0.1,
  entities: 0.1,
  grants: 0.08,
  forecasts: 0.07,
};

/** Families whose changes the harness makes: those a realtime alert covers (notices have no alert type). */
const CHANGED_FAMILIES: readonly ResourceFamily[] = [
  'contracts',
  'idvs',
  'otas',
  'otidvs',
  'opportunities',
  'entities',
  'grants',
  'forecasts',
];

/** Tango's webhook timings, compressed 60 times (30 s first retry, breaker open 5 minutes then 10). */
const SENDER = {
  retryBaseDelaySeconds: 0.5,
  breakerOpenSeconds: 5,
  breakerReopenSeconds: 10,
  deliveryTimeoutMs: 10_000,
  maxAttemptsNetwork: 7,
} as const;

export interface ChaosFigures {
  readonly lost: number;
  readonly missing: number;
  readonly stale: number;
  readonly duplicate: number;
  readonly stuck: number;
  readonly fiveXxWithPostgresUp: number;
  readonly secretsInLogs: number;
  readonly kafkaUndelivered: number;
  readonly ackP50Ms: number | null;
  readonly ackP99Ms: number | null;
  readonly ackMaxMs: number | null;
}

export interface BacklogSample {
  readonly atS: number;
  readonly fetchTargets: number;
  readonly changeEvents: number;
}

export interface ChaosReport {
  readonly startedAt: string;
  readonly options: Omit<ChaosOptions, 'log'>;
  readonly dataset: Record<string, number>;
  readonly figures: ChaosFigures;
  readonly deliveries: DeliveryFigures;
  readonly answers: AnswerFigures;
  /** Ack latency outside the Postgres outage, split by how long the answering process had been running. */
  readonly warmUp: { withinFifteenSecondsOfStart: LatencySummary; afterwards: LatencySummary };
  readonly lost: { count: number; examples: Record<string, unknown>[] };
  readonly mirror: MirrorFigures;
  readonly duplicates: DuplicateFigures;
  readonly pending: PendingFigures;
  readonly kafka: KafkaFigures;
  readonly secrets: SecretFigures;
  readonly sender: Record<string, number>;
  readonly changes: { modified: number; created: number; distinctRecords: number };
  readonly outages: readonly (Omit<OutageWindow, 'start' | 'end'> & {
    startS: number;
    endS: number | null;
  })[];
  readonly replicaEvents: readonly (Omit<ReplicaEvent, 'at'> & { atS: number })[];
  readonly startupFailures: readonly string[];
  readonly settle: { seconds: number; converged: boolean };
  /** Pending rows in the outboxes every 5 s of the timeline (how far the relays fell behind). */
  readonly backlog: readonly BacklogSample[];
  readonly logs: readonly string[];
  /** Every delivery attempt, one JSON object a line. */
  readonly ledgerFile: string;
  readonly durationSeconds: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** mulberry32: a small seeded PRNG, so a run's changes and choices repeat with its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function datasetSizes(records: number): Record<Family, number> {
  return Object.fromEntries(
    Object.entries(DATASET_MIX).map(([family, share]) => [family, Math.max(5, Math.round(records * share))]),
  ) as Record<Family, number>;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          resolve(undefined);
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

type RunningSimulator = Awaited<ReturnType<typeof startSimulator>>;

interface ChaosSecrets {
  readonly webhookSecretAlerts: string;
  readonly webhookSecretLegacy: string;
  readonly tangoApiKey: string;
}

/** What a run carries from its start to its report. */
interface ChaosRun {
  readonly options: ChaosOptions;
  readonly runStart: number;
  readonly log: (line: string) => void;
  readonly random: () => number;
  readonly secrets: ChaosSecrets;
  readonly prefix: string;
  readonly outages: Outages;
  readonly replicaEvents: ReplicaEvent[];
  /** Run in reverse at the end, whatever happened. */
  readonly cleanups: (() => Promise<void>)[];
  readonly replicas: Replica[];
}

/** Everything started for a run. */
interface ChaosStack {
  readonly postgres: PrivatePostgres;
  readonly broker: PrivateKafka;
  readonly simulator: RunningSimulator;
  readonly sizes: Record<Family, number>;
  readonly front: Front;
}

/** The record changes made during the timeline, per family. */
interface Changes {
  readonly changed: Map<ResourceFamily, Set<string>>;
  readonly counts: { modified: number; created: number };
}

function newRun(options: ChaosOptions): ChaosRun {
  const runStart = Date.now();
  return {
    options,
    runStart,
    log: (line: string): void => {
      (options.log ?? ((text: string) => process.stdout.write(`${text}\n`)))(
        `[chaos +${((Date.now() - runStart) / 1000).toFixed(1)}s] ${line}`,
      );
    },
    random: seededRandom(options.seed),
    secrets: {
      webhookSecretAlerts: `whsec-chaos-a-${randomBytes(12).toString('hex')}`,
      webhookSecretLegacy: `whsec-chaos-l-${randomBytes(12).toString('hex')}`,
      tangoApiKey: `tango-chaos-key-${randomBytes(12).toString('hex')}`,
    },
    prefix: `chaos-${randomBytes(4).toString('hex')}`,
    outages: new Outages(),
    replicaEvents: [],
    cleanups: [],
    replicas: [],
  };
}

/** The private PostgreSQL and Kafka; each one's cleanup is registered as soon as it runs. */
async function startServices(run: ChaosRun): Promise<{ postgres: PrivatePostgres; broker: PrivateKafka }> {
  run.log('starting a private PostgreSQL and Kafka');
  // Each one's cleanup is registered as soon as it runs, so a failure of the other leaves nothing behind.
  const [postgres, broker] = await Promise.all([
    startPrivatePostgres({ database: 'tango_sync_chaos' }).then((started) => {
      run.cleanups.push(() => started.destroy());
      return started;
    }),
    startPrivateKafka().then((started) => {
      run.cleanups.push(() => started.destroy());
      return started;
    }),
  ]);
  run.log(`postgres on 127.0.0.1:${postgres.port}, kafka on ${broker.brokers.join(',')}`);
  return { postgres, broker };
}

async function startChaosSimulator(run: ChaosRun, sizes: Record<Family, number>): Promise<RunningSimulator> {
  const { options } = run;
  const simOptions: SimulatorOptionsInput = {
    port: 0,
    seed: options.seed,
    apiKeys: [run.secrets.tangoApiKey],
    sizes,
    // Chaos measures loss through crashes, so every family's changes are delivered as alerts (the recipes'
    // catalog); how families without alert types stay fresh is the freshness e2e's to prove, on the SDKs' catalog.
    eventCatalog: 'recipe',
    rateLimits: { burstLimit: 3_000, burstWindowSeconds: 5, dailyLimit: 50_000_000 },
    webhooks: {
      schedule: true,
      realtimeIntervalSeconds: (options.seconds * 2) / Math.max(2, options.deliveries),
      duplicateRate: options.duplicateRate,
      reorder: true,
      ...SENDER,
    },
  };
  const simulator = await startSimulator(simOptions);
  run.cleanups.push(() => simulator.close());
  return simulator;
}

/** The services, the simulator and the round-robin front, on two free ports for the replicas. */
async function startStack(run: ChaosRun): Promise<{ stack: ChaosStack; ports: number[] }> {
  const { postgres, broker } = await startServices(run);
  const sizes = datasetSizes(run.options.records);
  const simulator = await startChaosSimulator(run, sizes);
  const ports = [await freePort(), await freePort()];
  const front = new Front({
    backends: ports.map((port) => `http://127.0.0.1:${port}`),
    outages: run.outages,
    webhookPath: '/tango/webhooks',
  });
  await front.listen();
  run.cleanups.push(() => front.close());
  return { stack: { postgres, broker, simulator, sizes, front }, ports };
}

/** The replicas' environment: the private services, the simulator, and timings compressed like the sender's. */
function replicaEnv(run: ChaosRun, stack: ChaosStack): Record<string, string> {
  // The sender's longest retry span: a delivery younger than that may still arrive, so gaps wait for it.
  const graceSeconds =
    Math.ceil(SENDER.retryBaseDelaySeconds * (2 ** (SENDER.maxAttemptsNetwork - 1) - 1)) + 10;
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    HTTP_HOST: '127.0.0.1',
    SHUTDOWN_TIMEOUT_MS: '10000',
    DATABASE_URL: stack.postgres.url,
    DATABASE_POOL_SIZE: '8',
    KAFKA_BROKERS: stack.broker.brokers.join(','),
    KAFKA_TOPIC_PREFIX: run.prefix,
    TANGO_BASE_URL: stack.simulator.baseUrl,
    TANGO_API_KEY: run.secrets.tangoApiKey,
    TANGO_TIMEOUT_MS: '2000',
    TANGO_BACKOFF_BASE_MS: '50',
    TANGO_BACKOFF_MAX_MS: '1000',
    WEBHOOK_SECRETS: `${run.secrets.webhookSecretAlerts},${run.secrets.webhookSecretLegacy}`,
    // The nine families this bench measures (contract resources have bench/resources).
    TANGO_RESOURCES: 'families',
    FETCHER_GROUP_ID: `${run.prefix}-fetcher`,
    FETCHER_RETRY_BASE_MS: '500',
    FETCHER_RETRY_MAX_MS: '5000',
    RELAY_POLL_INTERVAL_MS: '250',
    HEALTH_CHECK_TIMEOUT_MS: '1500',
    HEALTH_ALERT_POLL_INTERVAL_MS: '5000',
    HEALTH_RECONCILE_INTERVAL_MS: '10000',
    HEALTH_GAP_GRACE_SECONDS: String(graceSeconds),
  };
}

/** Two worker replicas, started one after the other, each ready before the next. */
async function startReplicas(run: ChaosRun, stack: ChaosStack, ports: readonly number[]): Promise<void> {
  const env = replicaEnv(run, stack);
  ports.forEach((port, index) => {
    run.replicas.push(
      new Replica(
        {
          index,
          port,
          entry: run.options.workerEntry,
          env,
          logFile: join(run.options.logDir, `replica-${index}.log`),
        },
        run.replicaEvents,
      ),
    );
  });
  run.cleanups.push(async () => {
    await Promise.all(run.replicas.map((replica) => replica.stop()));
  });
  run.log(`starting two worker replicas on ports ${ports.join(' and ')} (${run.options.workerEntry})`);
  for (const replica of run.replicas) {
    replica.start();
    if (!(await replica.waitReady(120_000))) {
      throw new Error(`replica ${replica.index} did not become ready (see ${replica.logFile})`);
    }
  }
}

/** One webhook endpoint per envelope, through the front; then the API faults go on. */
function registerWebhooks(run: ChaosRun, stack: ChaosStack): void {
  const control = stack.simulator.control;
  control.registerWebhook({
    url: stack.front.url('alerts'),
    secret: run.secrets.webhookSecretAlerts,
    format: 'alerts',
    name: 'chaos-alerts',
  });
  control.registerWebhook({
    url: stack.front.url('legacy'),
    secret: run.secrets.webhookSecretLegacy,
    format: 'legacy',
    name: 'chaos-legacy',
  });
  control.setFaults(CHAOS_FAULTS);
}

/** One record change at a time: a family by weight, then (5%) a new record or a modification of a known one. */
function changeMaker(run: ChaosRun, stack: ChaosStack): { changeOnce: () => void; changes: Changes } {
  const { simulator, sizes } = stack;
  const { random } = run;
  const ids = new Map<ResourceFamily, string[]>(
    CHANGED_FAMILIES.map((family) => [family, simulator.control.ids(family)]),
  );
  const weights = CHANGED_FAMILIES.map((family) => sizes[family]);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const changes: Changes = {
    changed: new Map(CHANGED_FAMILIES.map((family) => [family, new Set<string>()])),
    counts: { modified: 0, created: 0 },
  };
  const pickFamily = (): ResourceFamily => {
    let roll = random() * weightTotal;
    for (let i = 0; i < CHANGED_FAMILIES.length; i += 1) {
      roll -= weights[i] ?? 0;
      if (roll <= 0) {
        return CHANGED_FAMILIES[i] ?? 'contracts';
      }
    }
    return 'contracts';
  };
  const changeOnce = (): void => {
    const family = pickFamily();
    const known = ids.get(family) ?? [];
    if (random() < 0.05 || known.length === 0) {
      const record = simulator.control.createRecord(family);
      const value = record[FAMILIES[family].idField];
      const id = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : '';
      known.push(id);
      changes.changed.get(family)?.add(id);
      changes.counts.created += 1;
      return;
    }
    const id = known[Math.floor(random() * known.length)] ?? known[0] ?? '';
    if (simulator.control.modifyRecord(family, id) !== undefined) {
      changes.changed.get(family)?.add(id);
      changes.counts.modified += 1;
    }
  };
  return { changeOnce, changes };
}

/** The outboxes' backlog every 5 s (a fresh connection each time: Postgres crashes meanwhile). */
function sampleBacklog(run: ChaosRun, url: string): { backlog: BacklogSample[]; stop: () => Promise<void> } {
  const backlog: BacklogSample[] = [];
  const sampling = { on: true };
  const sampler = (async () => {
    while (sampling.on) {
      const sample = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      sample.on('error', () => undefined);
      try {
        await sample.connect();
        const pending = await pendingFigures(sample);
        backlog.push({
          atS: Math.round((Date.now() - run.runStart) / 100) / 10,
          fetchTargets: pending.fetchTargets,
          changeEvents: pending.changeEvents,
        });
      } catch {
        // Postgres is down: no sample
      } finally {
        await sample.end().catch(() => undefined);
      }
      await sleep(5_000);
    }
  })();
  const stop = async (): Promise<void> => {
    sampling.on = false;
    await sampler;
  };
  run.cleanups.push(stop);
  return { backlog, stop };
}

/** Runs `work` at `when` (epoch ms) in the background, logging its label; a failure is logged, not thrown. */
function scheduler(run: ChaosRun): {
  schedule: (when: number, label: string, work: () => Promise<void>) => void;
  disruptions: Promise<void>[];
} {
  const disruptions: Promise<void>[] = [];
  const schedule = (when: number, label: string, work: () => Promise<void>): void => {
    disruptions.push(
      (async () => {
        await sleep(Math.max(0, when - Date.now()));
        run.log(label);
        await work();
      })().catch((error: unknown) => {
        run.log(`disruption "${label}" failed: ${error instanceof Error ? error.message : String(error)}`);
      }),
    );
  };
  return { schedule, disruptions };
}

/** The replica SIGKILLs, spread over the timeline, alternating replicas; each restarted after a pause. */
function scheduleKills(
  run: ChaosRun,
  at: (share: number) => number,
  schedule: ReturnType<typeof scheduler>['schedule'],
): void {
  const { options, replicas, outages } = run;
  for (let k = 0; k < options.kills; k += 1) {
    const replica = replicas[k % replicas.length];
    if (replica === undefined) {
      continue;
    }
    schedule(at(0.05 + (0.9 * (k + 0.5)) / options.kills), `SIGKILL replica ${replica.index}`, async () => {
      const window = outages.begin('replica', `replica-${replica.index}`, 'SIGKILL, restart');
      await replica.kill();
      await sleep(options.replicaDownSeconds * 1000);
      run.log(`restarting replica ${replica.index}`);
      replica.start();
      const ready = await replica.waitReady(180_000);
      outages.end(window);
      run.log(`replica ${replica.index} ${ready ? 'ready again' : 'NOT ready within 180 s'}`);
    });
  }
}

/** The Kafka freeze and restart and the Postgres crash, at their shares of the timeline. */
function scheduleInfrastructure(
  run: ChaosRun,
  stack: ChaosStack,
  at: (share: number) => number,
  schedule: ReturnType<typeof scheduler>['schedule'],
): void {
  const { options, outages } = run;
  const { broker, postgres } = stack;
  schedule(at(options.freezeAt), `freezing Kafka (SIGSTOP) for ${options.kafkaFreezeSeconds} s`, async () => {
    const window = outages.begin('kafka-freeze', 'kafka', 'SIGSTOP, SIGCONT');
    broker.freeze();
    await sleep(options.kafkaFreezeSeconds * 1000);
    broker.resume();
    outages.end(window);
    run.log('Kafka resumed (SIGCONT)');
  });
  schedule(at(options.kafkaRestartAt), 'restarting Kafka', async () => {
    const window = outages.begin('kafka-restart', 'kafka', 'SIGTERM, start');
    try {
      await broker.restart();
    } finally {
      outages.end(window);
    }
    run.log('Kafka answers again');
  });
  schedule(
    at(options.postgresCrashAt),
    `crashing Postgres (SIGKILL) for ${options.postgresDownSeconds} s`,
    async () => {
      const window = outages.begin('postgres', 'postgres', 'SIGKILL postmaster and backends, start');
      try {
        await postgres.crash();
        await sleep(options.postgresDownSeconds * 1000);
        await postgres.start();
      } finally {
        outages.end(window);
      }
      run.log('Postgres accepts connections again (after crash recovery)');
    },
  );
}

/** The timeline: changes on a steady cadence while the disruptions happen; returns the backlog samples. */
async function runTimeline(
  run: ChaosRun,
  stack: ChaosStack,
  changeOnce: () => void,
  changes: Changes,
): Promise<BacklogSample[]> {
  const { options } = run;
  const ticks = Math.max(1, Math.ceil(options.deliveries / 2));
  const tickMs = (options.seconds * 1000) / ticks;
  const perTick = Math.max(1, Math.ceil((options.changes ?? options.records) / ticks));
  const timelineStart = Date.now();
  const at = (share: number): number => timelineStart + share * options.seconds * 1000;
  const { backlog, stop } = sampleBacklog(run, stack.postgres.url);
  const { schedule, disruptions } = scheduler(run);
  scheduleKills(run, at, schedule);
  scheduleInfrastructure(run, stack, at, schedule);
  run.log(
    `timeline: ${options.seconds} s, ${perTick} changes every ${Math.round(tickMs)} ms, ` +
      `${options.kills} kill(s), Kafka freeze and restart, Postgres crash; API faults on`,
  );
  // Deliveries the sender's breaker drops never reach the front: keep going (up to half the timeline again)
  // until the replicas have been offered the number of distinct deliveries asked for.
  const timelineEnd = timelineStart + options.seconds * 1500;
  for (
    let tick = 0;
    tick < ticks || (stack.front.bodies.size < options.deliveries && Date.now() < timelineEnd);
    tick += 1
  ) {
    for (let i = 0; i < perTick; i += 1) {
      changeOnce();
    }
    await sleep(Math.max(0, timelineStart + (tick + 1) * tickMs - Date.now()));
  }
  run.log(
    `timeline over: ${changes.counts.modified} modifications, ${changes.counts.created} creations; waiting for disruptions to end`,
  );
  await Promise.all(disruptions);
  await stop();
  return backlog;
}

/** Faults off; waits (up to settleSeconds) until the sender, the outboxes and the mirror are quiet twice running. */
async function settle(
  run: ChaosRun,
  stack: ChaosStack,
  db: Client,
  changes: Changes,
): Promise<{ seconds: number; converged: boolean }> {
  const { simulator } = stack;
  const settleStart = Date.now();
  const settleDeadline = settleStart + run.options.settleSeconds * 1000;
  run.log('faults off; settling');
  for (const replica of run.replicas) {
    await replica.waitReady(Math.max(1_000, settleDeadline - Date.now()));
  }
  await withTimeout(simulator.control.flush(), Math.max(1_000, settleDeadline - Date.now()));
  let converged = false;
  let quietRounds = 0;
  let lastProgress = 0;
  while (Date.now() < settleDeadline) {
    const senderBusy = simulator.control.deliveries().some((delivery) => delivery.outcome === 'pending');
    const pending = await pendingFigures(db).catch(() => undefined);
    const idle = !senderBusy && pending?.fetchTargets === 0 && pending.changeEvents === 0;
    if (idle || Date.now() - lastProgress >= 15_000) {
      const mirror = await mirrorFigures(db, simulator, changes.changed);
      quietRounds = idle && mirror.missing === 0 && mirror.stale === 0 ? quietRounds + 1 : 0;
      if (Date.now() - lastProgress >= 15_000) {
        lastProgress = Date.now();
        run.log(
          `settling: sender ${senderBusy ? 'busy' : 'idle'}, pending fetch targets ${pending?.fetchTargets ?? '?'}, ` +
            `change events ${pending?.changeEvents ?? '?'}; missing ${mirror.missing}, stale ${mirror.stale}`,
        );
      }
      if (quietRounds >= 2) {
        converged = true;
        break;
      }
    } else {
      quietRounds = 0;
    }
    await sleep(2_000);
  }
  const seconds = Math.round((Date.now() - settleStart) / 100) / 10;
  run.log(`settled in ${seconds} s (${converged ? 'converged' : 'bound reached'}); judging`);
  return { seconds, converged };
}

/**
 * Answers a replica gave within 15 s of its process starting (cold code paths, pools being filled) against the
 * others, outside the Postgres outage: a restart's share of the tail.
 */
function warmUpFigures(run: ChaosRun, ledger: readonly LedgerEntry[]): ChaosReport['warmUp'] {
  const spawns = run.replicaEvents.filter((event) => event.kind === 'spawn');
  const warm = (entry: LedgerEntry): boolean =>
    !spawns.some(
      (event) =>
        event.replica === entry.replica && event.at <= entry.startedAt && entry.startedAt - event.at < 15_000,
    );
  const steady = ledger.filter(
    (entry) =>
      entry.origin === 'worker' &&
      run.outages.overlapping(['postgres'], entry.startedAt, entry.endedAt).length === 0,
  );
  return {
    withinFifteenSecondsOfStart: latencySummary(
      steady.filter((entry) => !warm(entry)).map((e) => e.latencyMs),
    ),
    afterwards: latencySummary(steady.filter(warm).map((entry) => entry.latencyMs)),
  };
}

/** The ledger itself, one attempt per line (times relative to the start of the run). */
function writeLedger(run: ChaosRun, ledger: readonly LedgerEntry[]): string {
  const file = join(run.options.logDir, 'ledger.jsonl');
  writeFileSync(
    file,
    ledger
      .map((entry) =>
        JSON.stringify({
          ...entry,
          startedAt: (entry.startedAt - run.runStart) / 1000,
          endedAt: (entry.endedAt - run.runStart) / 1000,
          latencyMs: Math.round(entry.latencyMs * 10) / 10,
        }),
      )
      .join('\n') + '\n',
  );
  return file;
}

/** The bodies of every delivery a replica acknowledged (2xx). */
function acknowledgedBodies(front: Front): string[] {
  return [
    ...new Set(
      front.ledger
        .filter((entry) => entry.origin === 'worker' && entry.status >= 200 && entry.status < 300)
        .map((entry) => entry.bodySha256),
    ),
  ].map((sha) => front.bodies.get(sha)?.toString('utf8') ?? '');
}

function senderFigures(
  counters: ReturnType<RunningSimulator['control']['counters']>,
): Record<string, number> {
  return {
    attempted: counters.deliveriesAttempted,
    acknowledged: counters.deliveriesAcknowledged,
    failed: counters.deliveriesFailed,
    givenUp: counters.deliveriesGivenUp,
    skippedCircuitOpen: counters.deliveriesSkippedCircuitOpen,
    duplicated: counters.deliveriesDuplicated,
    eventsDispatched: counters.eventsDispatched,
    apiFaultsInjected: Object.values(counters.faultsInjected).reduce((sum, value) => sum + value, 0),
    api429: counters.rateLimited,
  };
}

/** What the database, Kafka and the logs say after settling. */
async function storedFigures(
  run: ChaosRun,
  stack: ChaosStack,
  db: Client,
  changes: Changes,
  acknowledged: readonly string[],
) {
  const ledger = stack.front.ledger;
  const lost = await lostDeliveries(db, ledger);
  const mirror = await mirrorFigures(db, stack.simulator, changes.changed, acknowledged);
  const duplicates = await duplicateFigures(db);
  const pending = await pendingFigures(db, true);
  run.log('reading the change topics');
  const kafka = await kafkaFigures(db, stack.broker.brokers, run.prefix, 120_000);
  const logs = run.replicas.map((replica) => replica.logFile);
  const secrets = secretsInLogs(logs, { ...run.secrets, databasePassword: stack.postgres.password });
  return { lost, mirror, duplicates, pending, kafka, logs, secrets };
}

function relativeTimes(run: ChaosRun): Pick<ChaosReport, 'outages' | 'replicaEvents'> {
  return {
    outages: run.outages.windows.map(({ start, end, ...rest }) => ({
      ...rest,
      startS: Math.round((start - run.runStart) / 100) / 10,
      endS: end === undefined ? null : Math.round((end - run.runStart) / 100) / 10,
    })),
    replicaEvents: run.replicaEvents.map(({ at: when, ...rest }) => ({
      ...rest,
      atS: Math.round((when - run.runStart) / 100) / 10,
    })),
  };
}

/** The report: every figure of verify.ts, the run's timeline and where its logs are. */
async function judge(
  run: ChaosRun,
  stack: ChaosStack,
  db: Client,
  timeline: { changes: Changes; backlog: BacklogSample[]; settle: ChaosReport['settle'] },
): Promise<ChaosReport> {
  const ledger = stack.front.ledger;
  const acknowledged = acknowledgedBodies(stack.front);
  const deliveries = deliveryFigures(ledger);
  const answers = answerFigures(ledger, run.outages, run.runStart);
  const warmUp = warmUpFigures(run, ledger);
  const ledgerFile = writeLedger(run, ledger);
  const stored = await storedFigures(run, stack, db, timeline.changes, acknowledged);
  const { lost, mirror, duplicates, pending, kafka, logs, secrets } = stored;
  const figures: ChaosFigures = {
    lost: lost.count,
    missing: mirror.missing,
    stale: mirror.stale,
    duplicate: duplicates.changeEventVersions + duplicates.webhookDeliveryRows,
    stuck: pending.fetchTargets + pending.changeEvents,
    fiveXxWithPostgresUp: answers.fiveXxWithPostgresUp,
    secretsInLogs: secrets.total,
    kafkaUndelivered: kafka.undelivered,
    ackP50Ms: answers.ackOutsidePostgresOutage.p50Ms,
    ackP99Ms: answers.ackOutsidePostgresOutage.p99Ms,
    ackMaxMs: answers.ackOutsidePostgresOutage.maxMs,
  };
  const { log: _log, ...recordedOptions } = run.options;
  const { changed, counts } = timeline.changes;
  return {
    startedAt: new Date(run.runStart).toISOString(),
    options: recordedOptions,
    dataset: stack.sizes,
    figures,
    deliveries,
    answers,
    warmUp,
    lost,
    mirror,
    duplicates,
    pending,
    kafka,
    secrets,
    sender: senderFigures(stack.simulator.control.counters()),
    changes: { ...counts, distinctRecords: [...changed.values()].reduce((sum, set) => sum + set.size, 0) },
    ...relativeTimes(run),
    startupFailures: startupFailures(logs),
    settle: timeline.settle,
    backlog: timeline.backlog,
    logs,
    ledgerFile,
    durationSeconds: Math.round((Date.now() - run.runStart) / 100) / 10,
  };
}

/** Start, timeline, settle, judge; `db` is set once connected, for the caller to close. */
async function chaosScenario(run: ChaosRun, connection: { db?: Client }): Promise<ChaosReport> {
  const { stack, ports } = await startStack(run);
  await startReplicas(run, stack, ports);
  registerWebhooks(run, stack);
  const { changeOnce, changes } = changeMaker(run, stack);
  const backlog = await runTimeline(run, stack, changeOnce, changes);
  stack.simulator.control.resetFaults();
  // Connected only now: the timeline crashed Postgres under every connection open then.
  const db = new Client({ connectionString: stack.postgres.url });
  connection.db = db;
  db.on('error', (error) => {
    run.log(`verification connection: ${error.message}`);
  });
  await db.connect();
  const settled = await settle(run, stack, db, changes);
  return judge(run, stack, db, { changes, backlog, settle: settled });
}

/** Runs the whole chaos scenario and returns its report; every process and directory it made is gone after. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const run = newRun(options);
  mkdirSync(options.logDir, { recursive: true });
  const connection: { db?: Client } = {};
  try {
    return await chaosScenario(run, connection);
  } finally {
    await connection.db?.end().catch(() => undefined);
    for (const cleanup of run.cleanups.reverse()) {
      await cleanup().catch((error: unknown) => {
        run.log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  }
}

/** The report as a few human lines (the JSON line is printed by the caller). */
export function formatReport(report: ChaosReport): string[] {
  const f = report.figures;
  const a = report.answers;
  const d = report.deliveries;
  const ms = (value: number | null): string => (value === null ? 'n/a' : `${value} ms`);
  return [
    `chaos: ${report.options.records} records, ${d.distinct} distinct deliveries in ${d.attempts} attempts ` +
      `(${d.repeats} repeats = ${(d.repeatShare * 100).toFixed(1)}%, ${d.reordered} reordered), ` +
      `${report.changes.modified + report.changes.created} changes to ${report.changes.distinctRecords} records, ` +
      `${report.options.kills} kill(s), ${report.durationSeconds} s`,
    `  lost (acknowledged, not stored)      ${f.lost}`,
    `  missing (changed, not mirrored)      ${f.missing}`,
    `  stale (mirror hash != ground truth)  ${f.stale}`,
    `  duplicate rows                       ${f.duplicate}  (change-event versions ${report.duplicates.changeEventVersions}, delivery rows ${report.duplicates.webhookDeliveryRows}; no-op updates ${report.duplicates.noopUpdates}, version mismatches ${report.duplicates.versionMismatches})`,
    `  stuck (pending after settling)       ${f.stuck}  (fetch targets ${report.pending.fetchTargets}, change events ${report.pending.changeEvents}; dead letters ${report.pending.deadLetters})`,
    `  5xx with Postgres up                 ${f.fiveXxWithPostgresUp}  (5xx during the Postgres outage: ${a.fiveXxDuringPostgresOutage})`,
    `  ack outside the Postgres outage      p50 ${ms(a.ackOutsidePostgresOutage.p50Ms)}, p99 ${ms(a.ackOutsidePostgresOutage.p99Ms)}, max ${ms(a.ackOutsidePostgresOutage.maxMs)} (${a.ackOutsidePostgresOutage.count} answers)`,
    `  ack overall                          p50 ${ms(a.ackOverall.p50Ms)}, p99 ${ms(a.ackOverall.p99Ms)}, max ${ms(a.ackOverall.maxMs)} (${a.ackOverall.count} answers)`,
    `  ack during Kafka freeze/restart      p50 ${ms(a.ackDuringKafkaDisruption.p50Ms)}, p99 ${ms(a.ackDuringKafkaDisruption.p99Ms)}, max ${ms(a.ackDuringKafkaDisruption.maxMs)} (${a.ackDuringKafkaDisruption.count} answers)`,
    `  ack, replica up < 15 s / longer      p99 ${ms(report.warmUp.withinFifteenSecondsOfStart.p99Ms)} (${report.warmUp.withinFifteenSecondsOfStart.count} answers) / p99 ${ms(report.warmUp.afterwards.p99Ms)} (${report.warmUp.afterwards.count} answers)`,
    `  ack outside every disruption         p50 ${ms(a.ackOutsideAnyDisruption.p50Ms)}, p99 ${ms(a.ackOutsideAnyDisruption.p99Ms)}, max ${ms(a.ackOutsideAnyDisruption.maxMs)}`,
    `  slowest acks (Postgres up)           ${a.slowestOutsidePostgresOutage.map((slow) => `${String(slow.latencyMs)} ms at ${String(slow.atSeconds)} s`).join(', ')}`,
    `  secrets found in logs                ${f.secretsInLogs}`,
    `  change events not on Kafka           ${f.kafkaUndelivered}  (redelivered messages ${report.kafka.redelivered})`,
    `  answers by status                    ${JSON.stringify(d.byStatus)}; front 502s ${d.frontErrors}; never acknowledged ${d.neverAcknowledged}`,
    `  sender                               ${JSON.stringify(report.sender)}`,
    `  outbox backlog during the timeline   max fetch targets ${Math.max(0, ...report.backlog.map((sample) => sample.fetchTargets))}, max change events ${Math.max(0, ...report.backlog.map((sample) => sample.changeEvents))}`,
    `  settle                               ${report.settle.seconds} s, ${report.settle.converged ? 'converged' : 'NOT converged'}; logs ${report.logs.join(', ')}; ledger ${report.ledgerFile}`,
  ];
}
