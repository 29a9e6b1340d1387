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
import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { type Family, type SimulatorOptionsInput, startSimulator } from '../../simulator';
import { freePort, startPrivateKafka, startPrivatePostgres } from '../../test/support/private-services';
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

/** Runs the whole chaos scenario and returns its report; every process and directory it made is gone after. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const runStart = Date.now();
  const log = (line: string): void => {
    (options.log ?? ((text: string) => process.stdout.write(`${text}\n`)))(
      `[chaos +${((Date.now() - runStart) / 1000).toFixed(1)}s] ${line}`,
    );
  };
  const random = seededRandom(options.seed);
  const secrets = {
    webhookSecretAlerts: `whsec-chaos-a-${randomBytes(12).toString('hex')}`,
    webhookSecretLegacy: `whsec-chaos-l-${randomBytes(12).toString('hex')}`,
    tangoApiKey: `tango-chaos-key-${randomBytes(12).toString('hex')}`,
  };
  const prefix = `chaos-${randomBytes(4).toString('hex')}`;
  mkdirSync(options.logDir, { recursive: true });
  const outages = new Outages();
  const replicaEvents: ReplicaEvent[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let db: Client | undefined;
  const replicas: Replica[] = [];

  try {
    log('starting a private PostgreSQL and Kafka');
    // Each one's cleanup is registered as soon as it runs, so a failure of the other leaves nothing behind.
    const [postgres, broker] = await Promise.all([
      startPrivatePostgres({ database: 'tango_sync_chaos' }).then((started) => {
        cleanups.push(() => started.destroy());
        return started;
      }),
      startPrivateKafka().then((started) => {
        cleanups.push(() => started.destroy());
        return started;
      }),
    ]);
    log(`postgres on 127.0.0.1:${postgres.port}, kafka on ${broker.brokers.join(',')}`);

    const sizes = datasetSizes(options.records);
    const simOptions: SimulatorOptionsInput = {
      port: 0,
      seed: options.seed,
      apiKeys: [secrets.tangoApiKey],
      sizes,
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
    cleanups.push(() => simulator.close());

    const ports = [await freePort(), await freePort()];
    const front = new Front({
      backends: ports.map((port) => `http://127.0.0.1:${port}`),
      outages,
      webhookPath: '/tango/webhooks',
    });
    await front.listen();
    cleanups.push(() => front.close());

    // The sender's longest retry span: a delivery younger than that may still arrive, so gaps wait for it.
    const graceSeconds =
      Math.ceil(SENDER.retryBaseDelaySeconds * (2 ** (SENDER.maxAttemptsNetwork - 1) - 1)) + 10;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      HTTP_HOST: '127.0.0.1',
      SHUTDOWN_TIMEOUT_MS: '10000',
      DATABASE_URL: postgres.url,
      DATABASE_POOL_SIZE: '8',
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      TANGO_BASE_URL: simulator.baseUrl,
      TANGO_API_KEY: secrets.tangoApiKey,
      TANGO_TIMEOUT_MS: '2000',
      TANGO_BACKOFF_BASE_MS: '50',
      TANGO_BACKOFF_MAX_MS: '1000',
      WEBHOOK_SECRETS: `${secrets.webhookSecretAlerts},${secrets.webhookSecretLegacy}`,
      FETCHER_GROUP_ID: `${prefix}-fetcher`,
      FETCHER_RETRY_BASE_MS: '500',
      FETCHER_RETRY_MAX_MS: '5000',
      RELAY_POLL_INTERVAL_MS: '250',
      HEALTH_CHECK_TIMEOUT_MS: '1500',
      HEALTH_ALERT_POLL_INTERVAL_MS: '5000',
      HEALTH_RECONCILE_INTERVAL_MS: '10000',
      HEALTH_GAP_GRACE_SECONDS: String(graceSeconds),
    };
    ports.forEach((port, index) => {
      replicas.push(
        new Replica(
          {
            index,
            port,
            entry: options.workerEntry,
            env,
            logFile: join(options.logDir, `replica-${index}.log`),
          },
          replicaEvents,
        ),
      );
    });
    cleanups.push(async () => {
      await Promise.all(replicas.map((replica) => replica.stop()));
    });
    log(`starting two worker replicas on ports ${ports.join(' and ')} (${options.workerEntry})`);
    for (const replica of replicas) {
      replica.start();
      if (!(await replica.waitReady(120_000))) {
        throw new Error(`replica ${replica.index} did not become ready (see ${replica.logFile})`);
      }
    }

    simulator.control.registerWebhook({
      url: front.url('alerts'),
      secret: secrets.webhookSecretAlerts,
      format: 'alerts',
      name: 'chaos-alerts',
    });
    simulator.control.registerWebhook({
      url: front.url('legacy'),
      secret: secrets.webhookSecretLegacy,
      format: 'legacy',
      name: 'chaos-legacy',
    });
    simulator.control.setFaults(CHAOS_FAULTS);

    // ---------------------------------------------------------------- the timeline
    const ids = new Map<ResourceFamily, string[]>(
      CHANGED_FAMILIES.map((family) => [family, simulator.control.ids(family)]),
    );
    const weights = CHANGED_FAMILIES.map((family) => sizes[family]);
    const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
    const changed = new Map<ResourceFamily, Set<string>>(
      CHANGED_FAMILIES.map((family) => [family, new Set()]),
    );
    const counts = { modified: 0, created: 0 };
    const ticks = Math.max(1, Math.ceil(options.deliveries / 2));
    const tickMs = (options.seconds * 1000) / ticks;
    const perTick = Math.max(1, Math.ceil((options.changes ?? options.records) / ticks));
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
        changed.get(family)?.add(id);
        counts.created += 1;
        return;
      }
      const id = known[Math.floor(random() * known.length)] ?? known[0] ?? '';
      if (simulator.control.modifyRecord(family, id) !== undefined) {
        changed.get(family)?.add(id);
        counts.modified += 1;
      }
    };

    const timelineStart = Date.now();
    const at = (share: number): number => timelineStart + share * options.seconds * 1000;
    // The outboxes' backlog every 5 s (a fresh connection each time: Postgres crashes meanwhile).
    const backlog: BacklogSample[] = [];
    const sampling = { on: true };
    const sampler = (async () => {
      while (sampling.on) {
        const sample = new Client({ connectionString: postgres.url, connectionTimeoutMillis: 1_000 });
        sample.on('error', () => undefined);
        try {
          await sample.connect();
          const pending = await pendingFigures(sample);
          backlog.push({
            atS: Math.round((Date.now() - runStart) / 100) / 10,
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
    cleanups.push(async () => {
      sampling.on = false;
      await sampler;
    });
    const disruptions: Promise<void>[] = [];
    const schedule = (when: number, label: string, work: () => Promise<void>): void => {
      disruptions.push(
        (async () => {
          await sleep(Math.max(0, when - Date.now()));
          log(label);
          await work();
        })().catch((error: unknown) => {
          log(`disruption "${label}" failed: ${error instanceof Error ? error.message : String(error)}`);
        }),
      );
    };
    for (let k = 0; k < options.kills; k += 1) {
      const replica = replicas[k % replicas.length];
      if (replica === undefined) {
        continue;
      }
      schedule(at(0.05 + (0.9 * (k + 0.5)) / options.kills), `SIGKILL replica ${replica.index}`, async () => {
        const window = outages.begin('replica', `replica-${replica.index}`, 'SIGKILL, restart');
        await replica.kill();
        await sleep(options.replicaDownSeconds * 1000);
        log(`restarting replica ${replica.index}`);
        replica.start();
        const ready = await replica.waitReady(180_000);
        outages.end(window);
        log(`replica ${replica.index} ${ready ? 'ready again' : 'NOT ready within 180 s'}`);
      });
    }
    schedule(
      at(options.freezeAt),
      `freezing Kafka (SIGSTOP) for ${options.kafkaFreezeSeconds} s`,
      async () => {
        const window = outages.begin('kafka-freeze', 'kafka', 'SIGSTOP, SIGCONT');
        broker.freeze();
        await sleep(options.kafkaFreezeSeconds * 1000);
        broker.resume();
        outages.end(window);
        log('Kafka resumed (SIGCONT)');
      },
    );
    schedule(at(options.kafkaRestartAt), 'restarting Kafka', async () => {
      const window = outages.begin('kafka-restart', 'kafka', 'SIGTERM, start');
      try {
        await broker.restart();
      } finally {
        outages.end(window);
      }
      log('Kafka answers again');
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
        log('Postgres accepts connections again (after crash recovery)');
      },
    );

    log(
      `timeline: ${options.seconds} s, ${perTick} changes every ${Math.round(tickMs)} ms, ` +
        `${options.kills} kill(s), Kafka freeze and restart, Postgres crash; API faults on`,
    );
    // Deliveries the sender's breaker drops never reach the front: keep going (up to half the timeline again)
    // until the replicas have been offered the number of distinct deliveries asked for.
    const timelineEnd = timelineStart + options.seconds * 1500;
    for (
      let tick = 0;
      tick < ticks || (front.bodies.size < options.deliveries && Date.now() < timelineEnd);
      tick += 1
    ) {
      for (let i = 0; i < perTick; i += 1) {
        changeOnce();
      }
      await sleep(Math.max(0, timelineStart + (tick + 1) * tickMs - Date.now()));
    }
    log(
      `timeline over: ${counts.modified} modifications, ${counts.created} creations; waiting for disruptions to end`,
    );
    await Promise.all(disruptions);
    sampling.on = false;
    await sampler;

    // ---------------------------------------------------------------- settle
    simulator.control.resetFaults();
    // Connected only now: the timeline crashed Postgres under every connection open then.
    db = new Client({ connectionString: postgres.url });
    db.on('error', (error) => {
      log(`verification connection: ${error.message}`);
    });
    await db.connect();
    const settleStart = Date.now();
    const settleDeadline = settleStart + options.settleSeconds * 1000;
    log('faults off; settling');
    for (const replica of replicas) {
      await replica.waitReady(Math.max(1_000, settleDeadline - Date.now()));
    }
    await withTimeout(simulator.control.flush(), Math.max(1_000, settleDeadline - Date.now()));
    const client = db;
    let converged = false;
    let quietRounds = 0;
    let lastProgress = 0;
    while (Date.now() < settleDeadline) {
      const senderBusy = simulator.control.deliveries().some((delivery) => delivery.outcome === 'pending');
      const pending = await pendingFigures(client).catch(() => undefined);
      const idle = !senderBusy && pending?.fetchTargets === 0 && pending.changeEvents === 0;
      if (idle || Date.now() - lastProgress >= 15_000) {
        const mirror = await mirrorFigures(client, simulator, changed);
        quietRounds = idle && mirror.missing === 0 && mirror.stale === 0 ? quietRounds + 1 : 0;
        if (Date.now() - lastProgress >= 15_000) {
          lastProgress = Date.now();
          log(
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
    const settleSeconds = Math.round((Date.now() - settleStart) / 100) / 10;
    log(`settled in ${settleSeconds} s (${converged ? 'converged' : 'bound reached'}); judging`);

    // ---------------------------------------------------------------- judge
    const ledger = front.ledger;
    const acknowledgedBodies = [
      ...new Set(
        ledger
          .filter((entry) => entry.origin === 'worker' && entry.status >= 200 && entry.status < 300)
          .map((entry) => entry.bodySha256),
      ),
    ].map((sha) => front.bodies.get(sha)?.toString('utf8') ?? '');
    const deliveries = deliveryFigures(ledger);
    const answers = answerFigures(ledger, outages, runStart);
    // Answers a replica gave within 15 s of its process starting (cold code paths, pools being filled) against the
    // others, outside the Postgres outage: a restart's share of the tail.
    const spawns = replicaEvents.filter((event) => event.kind === 'spawn');
    const warm = (entry: LedgerEntry): boolean =>
      !spawns.some(
        (event) =>
          event.replica === entry.replica &&
          event.at <= entry.startedAt &&
          entry.startedAt - event.at < 15_000,
      );
    const steady = ledger.filter(
      (entry) =>
        entry.origin === 'worker' &&
        outages.overlapping(['postgres'], entry.startedAt, entry.endedAt).length === 0,
    );
    const warmUp = {
      withinFifteenSecondsOfStart: latencySummary(
        steady.filter((entry) => !warm(entry)).map((e) => e.latencyMs),
      ),
      afterwards: latencySummary(steady.filter(warm).map((entry) => entry.latencyMs)),
    };
    // The ledger itself, one attempt per line (times relative to the start of the run).
    writeFileSync(
      join(options.logDir, 'ledger.jsonl'),
      ledger
        .map((entry) =>
          JSON.stringify({
            ...entry,
            startedAt: (entry.startedAt - runStart) / 1000,
            endedAt: (entry.endedAt - runStart) / 1000,
            latencyMs: Math.round(entry.latencyMs * 10) / 10,
          }),
        )
        .join('\n') + '\n',
    );
    const lost = await lostDeliveries(client, ledger);
    const mirror = await mirrorFigures(client, simulator, changed, acknowledgedBodies);
    const duplicates = await duplicateFigures(client);
    const pending = await pendingFigures(client, true);
    log('reading the change topics');
    const kafkaResult = await kafkaFigures(client, broker.brokers, prefix, 120_000);
    const logs = replicas.map((replica) => replica.logFile);
    const secretFigures = secretsInLogs(logs, {
      webhookSecretAlerts: secrets.webhookSecretAlerts,
      webhookSecretLegacy: secrets.webhookSecretLegacy,
      tangoApiKey: secrets.tangoApiKey,
      databasePassword: postgres.password,
    });
    const counters = simulator.control.counters();
    const figures: ChaosFigures = {
      lost: lost.count,
      missing: mirror.missing,
      stale: mirror.stale,
      duplicate: duplicates.changeEventVersions + duplicates.webhookDeliveryRows,
      stuck: pending.fetchTargets + pending.changeEvents,
      fiveXxWithPostgresUp: answers.fiveXxWithPostgresUp,
      secretsInLogs: secretFigures.total,
      kafkaUndelivered: kafkaResult.undelivered,
      ackP50Ms: answers.ackOutsidePostgresOutage.p50Ms,
      ackP99Ms: answers.ackOutsidePostgresOutage.p99Ms,
      ackMaxMs: answers.ackOutsidePostgresOutage.maxMs,
    };
    const { log: _log, ...recordedOptions } = options;
    return {
      startedAt: new Date(runStart).toISOString(),
      options: recordedOptions,
      dataset: sizes,
      figures,
      deliveries,
      answers,
      warmUp,
      lost,
      mirror,
      duplicates,
      pending,
      kafka: kafkaResult,
      secrets: secretFigures,
      sender: {
        attempted: counters.deliveriesAttempted,
        acknowledged: counters.deliveriesAcknowledged,
        failed: counters.deliveriesFailed,
        givenUp: counters.deliveriesGivenUp,
        skippedCircuitOpen: counters.deliveriesSkippedCircuitOpen,
        duplicated: counters.deliveriesDuplicated,
        eventsDispatched: counters.eventsDispatched,
        apiFaultsInjected: Object.values(counters.faultsInjected).reduce((sum, value) => sum + value, 0),
        api429: counters.rateLimited,
      },
      changes: {
        ...counts,
        distinctRecords: [...changed.values()].reduce((sum, set) => sum + set.size, 0),
      },
      outages: outages.windows.map(({ start, end, ...rest }) => ({
        ...rest,
        startS: Math.round((start - runStart) / 100) / 10,
        endS: end === undefined ? null : Math.round((end - runStart) / 100) / 10,
      })),
      replicaEvents: replicaEvents.map(({ at: when, ...rest }) => ({
        ...rest,
        atS: Math.round((when - runStart) / 100) / 10,
      })),
      startupFailures: startupFailures(logs),
      settle: { seconds: settleSeconds, converged },
      backlog,
      logs,
      ledgerFile: join(options.logDir, 'ledger.jsonl'),
      durationSeconds: Math.round((Date.now() - runStart) / 100) / 10,
    };
  } finally {
    await db?.end().catch(() => undefined);
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((error: unknown) => {
        log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
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
