/**
 * What a chaos run is judged by, computed after it settled: the ledger against `webhook_deliveries`, the mirror
 * against the simulator's ground truth, the outboxes, the change topics against `change_events`, and the logs.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { type Client } from 'pg';
import { FAMILIES } from '../../src/common/tango/families';
import {
  type DescribedFamily as ResourceFamily,
  DESCRIBED_FAMILIES as RESOURCE_FAMILIES,
} from '../../src/common/tango/resource-family';
import { type RunningSimulator } from '../../simulator';
import { type LedgerEntry } from './front';
import { type Outages } from './outages';

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) {
    return null;
  }
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

export function latencySummary(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (value: number | null): number | null =>
    value === null ? null : Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? null),
  };
}

// ------------------------------------------------------------------------------------------------ deliveries

export interface DeliveryFigures {
  readonly attempts: number;
  readonly distinct: number;
  /** Attempts beyond the first of each body (sender duplicates and retries). */
  readonly repeats: number;
  readonly repeatShare: number;
  /** First arrivals older (by envelope timestamp) than a delivery that arrived before them on the same endpoint. */
  readonly reordered: number;
  readonly byEndpoint: Record<string, number>;
  readonly byStatus: Record<string, number>;
  /** 502s from the front: the chosen replica could not be reached. */
  readonly frontErrors: number;
  /** Answers that came after the sender had hung up (its delivery timeout). */
  readonly senderGone: number;
  /** Distinct bodies some replica acknowledged (2xx). */
  readonly acknowledged: number;
  /** Distinct bodies never acknowledged by any replica (the sender gave up or its breaker dropped them). */
  readonly neverAcknowledged: number;
}

export function deliveryFigures(ledger: readonly LedgerEntry[]): DeliveryFigures {
  const bodies = new Set<string>();
  const acknowledged = new Set<string>();
  const byEndpoint: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const newest = new Map<string, number>();
  let reordered = 0;
  for (const entry of ledger) {
    byEndpoint[entry.endpoint] = (byEndpoint[entry.endpoint] ?? 0) + 1;
    const statusKey = `${entry.status}${entry.origin === 'front' ? ' (front)' : ''}`;
    byStatus[statusKey] = (byStatus[statusKey] ?? 0) + 1;
    if (entry.origin === 'worker' && entry.status >= 200 && entry.status < 300) {
      acknowledged.add(entry.bodySha256);
    }
    if (!bodies.has(entry.bodySha256)) {
      bodies.add(entry.bodySha256);
      const stamp = entry.envelopeTimestamp === null ? Number.NaN : Date.parse(entry.envelopeTimestamp);
      const seen = newest.get(entry.endpoint);
      if (Number.isFinite(stamp)) {
        if (seen !== undefined && stamp < seen) {
          reordered += 1;
        }
        newest.set(entry.endpoint, Math.max(seen ?? stamp, stamp));
      }
    }
  }
  return {
    attempts: ledger.length,
    distinct: bodies.size,
    repeats: ledger.length - bodies.size,
    repeatShare:
      ledger.length === 0 ? 0 : Math.round(((ledger.length - bodies.size) / ledger.length) * 1000) / 1000,
    reordered,
    byEndpoint,
    byStatus,
    frontErrors: ledger.filter((entry) => entry.origin === 'front').length,
    senderGone: ledger.filter((entry) => entry.senderGone).length,
    acknowledged: acknowledged.size,
    neverAcknowledged: bodies.size - acknowledged.size,
  };
}

export interface AnswerFigures {
  readonly fiveXxWithPostgresUp: number;
  readonly fiveXxDuringPostgresOutage: number;
  /** The first few 5xx answered while Postgres was up, for the report. */
  readonly fiveXxWithPostgresUpExamples: readonly Record<string, unknown>[];
  readonly ackOutsidePostgresOutage: LatencySummary;
  readonly ackOverall: LatencySummary;
  readonly ackDuringKafkaDisruption: LatencySummary;
  readonly ackDuringPostgresOutage: LatencySummary;
  readonly ackOutsideAnyDisruption: LatencySummary;
  /** The five slowest answers outside the Postgres outage, with what was disrupted then. */
  readonly slowestOutsidePostgresOutage: readonly Record<string, unknown>[];
}

/** 5xx and ack latency of the replicas' own answers, split by the outage windows they overlapped. */
export function answerFigures(
  ledger: readonly LedgerEntry[],
  outages: Outages,
  runStart: number,
): AnswerFigures {
  const answered = ledger.filter((entry) => entry.origin === 'worker');
  const duringPostgres = (entry: LedgerEntry): boolean =>
    outages.overlapping(['postgres'], entry.startedAt, entry.endedAt).length > 0;
  const duringKafka = (entry: LedgerEntry): boolean =>
    outages.overlapping(['kafka-freeze', 'kafka-restart'], entry.startedAt, entry.endedAt).length > 0;
  const duringAny = (entry: LedgerEntry): boolean =>
    outages.overlapping(
      ['postgres', 'kafka-freeze', 'kafka-restart', 'replica'],
      entry.startedAt,
      entry.endedAt,
    ).length > 0;
  const fiveXx = answered.filter((entry) => entry.status >= 500);
  const withPostgresUp = fiveXx.filter((entry) => !duringPostgres(entry));
  const latencies = (entries: readonly LedgerEntry[]): LatencySummary =>
    latencySummary(entries.map((entry) => entry.latencyMs));
  return {
    fiveXxWithPostgresUp: withPostgresUp.length,
    fiveXxDuringPostgresOutage: fiveXx.length - withPostgresUp.length,
    fiveXxWithPostgresUpExamples: withPostgresUp.slice(0, 10).map((entry) => ({
      atSeconds: Math.round((entry.startedAt - runStart) / 100) / 10,
      replica: entry.replica,
      status: entry.status,
      answer: entry.answer,
      latencyMs: Math.round(entry.latencyMs),
      disrupted: entry.disrupted,
    })),
    ackOutsidePostgresOutage: latencies(answered.filter((entry) => !duringPostgres(entry))),
    ackOverall: latencies(answered),
    ackDuringKafkaDisruption: latencies(answered.filter(duringKafka)),
    ackDuringPostgresOutage: latencies(answered.filter(duringPostgres)),
    ackOutsideAnyDisruption: latencies(answered.filter((entry) => !duringAny(entry))),
    slowestOutsidePostgresOutage: answered
      .filter((entry) => !duringPostgres(entry))
      .sort((a, b) => b.latencyMs - a.latencyMs)
      .slice(0, 5)
      .map((entry) => ({
        atSeconds: Math.round((entry.startedAt - runStart) / 100) / 10,
        replica: entry.replica,
        status: entry.status,
        answer: entry.answer,
        latencyMs: Math.round(entry.latencyMs),
        disrupted: outages
          .overlapping(
            ['postgres', 'kafka-freeze', 'kafka-restart', 'replica'],
            entry.startedAt,
            entry.endedAt,
          )
          .map((window) => window.target),
      })),
  };
}

/** Bodies a replica acknowledged (2xx) that `webhook_deliveries` does not hold. */
export async function lostDeliveries(
  db: Client,
  ledger: readonly LedgerEntry[],
): Promise<{ count: number; examples: Record<string, unknown>[] }> {
  const stored = new Set(
    (await db.query<{ sha: string }>('SELECT DISTINCT body_sha256 AS sha FROM webhook_deliveries')).rows.map(
      (row) => row.sha,
    ),
  );
  const lost = new Map<string, LedgerEntry>();
  for (const entry of ledger) {
    if (
      entry.origin === 'worker' &&
      entry.status >= 200 &&
      entry.status < 300 &&
      !stored.has(entry.bodySha256)
    ) {
      lost.set(entry.bodySha256, entry);
    }
  }
  return {
    count: lost.size,
    examples: [...lost.values()].slice(0, 10).map((entry) => ({
      bodySha256: entry.bodySha256,
      deliveryId: entry.deliveryId,
      endpoint: entry.endpoint,
      status: entry.status,
      answer: entry.answer,
      replica: entry.replica,
      disrupted: entry.disrupted,
    })),
  };
}

// ------------------------------------------------------------------------------------------------ mirror

export interface MirrorFigures {
  readonly changedRecords: number;
  readonly missing: number;
  readonly stale: number;
  /** Mirrored rows the simulator does not have (never expected). */
  readonly unknown: number;
  readonly missingByFamily: Record<string, number>;
  readonly staleByFamily: Record<string, number>;
  /** Up to 10 each, with whether an acknowledged delivery named the record. */
  readonly examples: readonly Record<string, unknown>[];
}

function mentions(bodies: readonly string[], id: string): boolean {
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(^|[^0-9A-Za-z_])${escaped}($|[^0-9A-Za-z_])`, 'i');
  return bodies.some((body) => pattern.test(body));
}

/**
 * Missing: changed records absent from the mirror (or tombstoned). Stale: any mirrored row whose content hash is not
 * the simulator's (the comparison of test/support/pipeline-harness.ts `mirrorHashes`, over whole tables).
 */
export async function mirrorFigures(
  db: Client,
  sim: RunningSimulator,
  changed: ReadonlyMap<ResourceFamily, ReadonlySet<string>>,
  acknowledgedBodies: readonly string[] = [],
): Promise<MirrorFigures> {
  let missing = 0;
  let stale = 0;
  let unknown = 0;
  let changedRecords = 0;
  const missingByFamily: Record<string, number> = {};
  const staleByFamily: Record<string, number> = {};
  const examples: Record<string, unknown>[] = [];
  for (const family of RESOURCE_FAMILIES) {
    const spec = FAMILIES[family];
    const truth = sim.control.groundTruth(family);
    const rows = await db.query<{ id: string; content_hash: string; deleted: boolean }>(
      `SELECT ${spec.idField}::text AS id, content_hash, deleted_at IS NOT NULL AS deleted FROM ${spec.table}`,
    );
    const mirror = new Map(rows.rows.map((row) => [row.id, row.deleted ? 'deleted' : row.content_hash]));
    const expected = changed.get(family) ?? new Set<string>();
    changedRecords += expected.size;
    for (const id of expected) {
      const held = mirror.get(id);
      if (held === undefined || held === 'deleted') {
        missing += 1;
        missingByFamily[family] = (missingByFamily[family] ?? 0) + 1;
        if (examples.filter((example) => example.problem === 'missing').length < 10) {
          examples.push({ problem: 'missing', family, id, named: mentions(acknowledgedBodies, id) });
        }
      }
    }
    for (const [id, hash] of mirror) {
      const want = truth.get(id);
      if (want === undefined) {
        unknown += 1;
      } else if (hash !== want) {
        stale += 1;
        staleByFamily[family] = (staleByFamily[family] ?? 0) + 1;
        if (examples.filter((example) => example.problem === 'stale').length < 10) {
          examples.push({ problem: 'stale', family, id, named: mentions(acknowledgedBodies, id) });
        }
      }
    }
  }
  return { changedRecords, missing, stale, unknown, missingByFamily, staleByFamily, examples };
}

// ------------------------------------------------------------------------------------------------ outboxes

export interface DuplicateFigures {
  /** Extra rows beyond one per (resource, record_id, version) in `change_events`. */
  readonly changeEventVersions: number;
  /** Extra `webhook_deliveries` rows for one body. */
  readonly webhookDeliveryRows: number;
  /** `updated` events whose hash equals their previous hash (a change event for no change). */
  readonly noopUpdates: number;
  /** Mirror rows whose version is not the number of change events written for them. */
  readonly versionMismatches: number;
}

export async function duplicateFigures(db: Client): Promise<DuplicateFigures> {
  const one = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string | null }>(sql)).rows[0]?.n ?? 0);
  const changeEventVersions = await one(
    `SELECT COALESCE(sum(n - 1), 0) AS n FROM (
       SELECT count(*) AS n FROM change_events GROUP BY resource, record_id, version HAVING count(*) > 1) AS d`,
  );
  const webhookDeliveryRows = await one(
    `SELECT COALESCE(sum(n - 1), 0) AS n FROM (
       SELECT count(*) AS n FROM webhook_deliveries GROUP BY body_sha256 HAVING count(*) > 1) AS d`,
  );
  const noopUpdates = await one(
    `SELECT count(*) AS n FROM change_events WHERE change_type = 'updated' AND previous_hash = hash`,
  );
  let versionMismatches = 0;
  for (const family of RESOURCE_FAMILIES) {
    const spec = FAMILIES[family];
    versionMismatches += await one(
      `SELECT count(*) AS n FROM ${spec.table} AS m
        LEFT JOIN (SELECT record_id, count(*) AS events FROM change_events
                    WHERE resource = '${family}' AND change_type <> 'snapshot' GROUP BY record_id) AS e
          ON e.record_id = m.${spec.idField}::text
        WHERE m.version <> COALESCE(e.events, 0)`,
    );
  }
  return { changeEventVersions, webhookDeliveryRows, noopUpdates, versionMismatches };
}

export interface PendingFigures {
  readonly fetchTargets: number;
  readonly changeEvents: number;
  /** Records given up on (dead-lettered and not resolved). */
  readonly deadLetters: number;
  /** A few of the pending rows, whole (for the report: why are they still pending?). */
  readonly examples: readonly Record<string, unknown>[];
}

export async function pendingFigures(db: Client, withExamples = false): Promise<PendingFigures> {
  const one = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string | null }>(sql)).rows[0]?.n ?? 0);
  return {
    fetchTargets: await one(`SELECT count(*) AS n FROM fetch_targets WHERE status = 'pending'`),
    changeEvents: await one(`SELECT count(*) AS n FROM change_events WHERE status = 'pending'`),
    deadLetters: await one(
      `SELECT count(*) AS n FROM fetch_failures WHERE dead_lettered_at IS NOT NULL AND resolved_at IS NULL`,
    ),
    examples: withExamples
      ? (
          await db.query<{ row: Record<string, unknown> }>(
            `(SELECT jsonb_build_object('table', 'fetch_targets') || to_jsonb(t) - 'sweep_spec' AS row
                FROM fetch_targets AS t WHERE status = 'pending' ORDER BY id LIMIT 5)
             UNION ALL
             (SELECT jsonb_build_object('table', 'change_events') || to_jsonb(c) - 'record' - 'provenance' AS row
                FROM change_events AS c WHERE status = 'pending' ORDER BY id LIMIT 5)`,
          )
        ).rows.map((row) => row.row)
      : [],
  };
}

// ------------------------------------------------------------------------------------------------ Kafka

export interface KafkaFamilyFigures {
  readonly expected: number;
  readonly delivered: number;
  readonly undelivered: number;
  /** Messages beyond the first for one event id (at-least-once publishing after a crash). */
  readonly redelivered: number;
}

export interface KafkaFigures {
  readonly undelivered: number;
  readonly redelivered: number;
  readonly byFamily: Record<string, KafkaFamilyFigures>;
}

function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** Reads every change topic from the beginning and compares the event ids with `change_events`. */
export async function kafkaFigures(
  db: Client,
  brokers: readonly string[],
  prefix: string,
  timeoutMs: number,
): Promise<KafkaFigures> {
  const expected = new Map<ResourceFamily, Set<string>>(
    RESOURCE_FAMILIES.map((family) => [family, new Set()]),
  );
  const rows = await db.query<{ resource: string; event_id: string }>(
    'SELECT resource, event_id::text AS event_id FROM change_events',
  );
  for (const row of rows.rows) {
    expected.get(row.resource as ResourceFamily)?.add(row.event_id);
  }
  const topicFamily = new Map(RESOURCE_FAMILIES.map((family) => [`${prefix}.${family}.changes.v1`, family]));
  const seen = new Map<ResourceFamily, Map<string, number>>(
    RESOURCE_FAMILIES.map((family) => [family, new Map()]),
  );
  const total = [...expected.values()].reduce((sum, ids) => sum + ids.size, 0);
  let found = 0;
  let lastProgress = Date.now();
  const kafka = new Kafka({
    clientId: 'tango-sync-chaos-verify',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: `${prefix}-verify-${Date.now()}`, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topicFamily.keys()], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ topic, message }) => {
        const family = topicFamily.get(topic);
        const id = headerText(message.headers?.ce_id);
        if (family !== undefined && id !== undefined) {
          const counts = seen.get(family);
          const before = counts?.get(id) ?? 0;
          counts?.set(id, before + 1);
          if (before === 0 && expected.get(family)?.has(id) === true) {
            found += 1;
          }
          lastProgress = Date.now();
        }
        return Promise.resolve();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (found < total && Date.now() < deadline && Date.now() - lastProgress < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  const byFamily: Record<string, KafkaFamilyFigures> = {};
  let undelivered = 0;
  let redelivered = 0;
  for (const family of RESOURCE_FAMILIES) {
    const want = expected.get(family) ?? new Set<string>();
    const got = seen.get(family) ?? new Map<string, number>();
    const delivered = [...want].filter((id) => got.has(id)).length;
    const extra = [...got.values()].reduce((sum, count) => sum + count - 1, 0);
    undelivered += want.size - delivered;
    redelivered += extra;
    if (want.size > 0 || got.size > 0) {
      byFamily[family] = {
        expected: want.size,
        delivered,
        undelivered: want.size - delivered,
        redelivered: extra,
      };
    }
  }
  return { undelivered, redelivered, byFamily };
}

// ------------------------------------------------------------------------------------------------ logs

export interface SecretFigures {
  readonly total: number;
  /** log file -> secret name -> occurrences */
  readonly byLog: Record<string, Record<string, number>>;
}

export function secretsInLogs(
  files: readonly string[],
  secrets: Readonly<Record<string, string>>,
): SecretFigures {
  const byLog: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const counts: Record<string, number> = {};
    for (const [name, secret] of Object.entries(secrets)) {
      const n = secret.length === 0 ? 0 : text.split(secret).length - 1;
      counts[name] = n;
      total += n;
    }
    byLog[file] = counts;
  }
  return { total, byLog };
}

/** Lines of the worker logs that say why a process could not start (the first few per file). */
export function startupFailures(files: readonly string[], limit = 5): string[] {
  const lines: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    lines.push(
      ...text
        .split('\n')
        .filter((line) => line.includes('failed to start'))
        .slice(0, limit)
        .map((line) => line.slice(0, 400)),
    );
  }
  return lines;
}
