import { z } from 'zod';
import { type ReadSecretFile, resolveSecretFiles } from './secret-files';
import { envSchema, type Env } from './env.schema';

export interface AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly log: { readonly level: Env['LOG_LEVEL']; readonly format: Env['LOG_FORMAT'] };
  readonly http: { readonly host: string; readonly port: number; readonly shutdownTimeoutMs: number };
  readonly db: {
    readonly url: string;
    readonly poolSize: number;
    readonly statementTimeoutMs: number;
    readonly migrationsRun: boolean;
  };
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly clientId: string;
    readonly topicPrefix: string;
    readonly topicPartitions: number;
    readonly replicationFactor: number;
    readonly connectionTimeoutMs: number;
    readonly requestTimeoutMs: number;
  };
  readonly tango: {
    readonly baseUrl: string;
    readonly apiKey: string | undefined;
    readonly timeoutMs: number;
    readonly maxAttempts: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    readonly connections: number;
    readonly liveReserveShare: number;
    /** Share of each burst window that only live fetches may use. */
    readonly liveBurstReserveShare: number;
  };
  readonly webhook: {
    readonly path: string;
    readonly secrets: readonly string[];
    /** WEBHOOK_SECRETS_FILE, re-read while running (see WebhookSecrets). */
    readonly secretsFile: string | undefined;
    readonly insecureNoSignature: boolean;
    readonly maxBodyBytes: number;
    /** Ingest statements in flight at once; deliveries arriving meanwhile share the next one (group commit). */
    readonly writeConcurrency: number;
    readonly writeBatchMax: number;
    /** Fetch targets one event, and one delivery, may create; more become a gap to sweep. */
    readonly maxIdsPerEvent: number;
    readonly maxIdsPerDelivery: number;
  };
  readonly fetcher: {
    readonly enabled: boolean;
    readonly groupId: string;
    readonly batchSize: number;
    readonly concurrency: number;
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
  };
  readonly relay: {
    readonly enabled: boolean;
    readonly pollIntervalMs: number;
    readonly batchSize: number;
    readonly leaseMs: number;
  };
  readonly health: {
    readonly checkTimeoutMs: number;
    readonly reconcileMaxQuotaShare: number;
    readonly lagDegradedSeconds: number;
    readonly alertPollIntervalMs: number;
    readonly reconcileIntervalMs: number;
    readonly gapGraceSeconds: number;
    readonly overlapSeconds: number;
    readonly sweepMaxPages: number;
    readonly driftSampleSize: number;
    readonly shapeProbeIntervalMs: number;
  };
  readonly backfill: {
    /** Segments this process reads at once (0: none). */
    readonly concurrency: number;
    readonly leaseMs: number;
    readonly pollIntervalMs: number;
  };
  /** The token HTTP actions require (Bearer); undefined: they are refused. */
  readonly consoleToken: string | undefined;
  /** How often this worker records its activity for the console's charts (ms; 0: never). */
  readonly consoleSampleIntervalMs: number;
  readonly retention: {
    /** Run the retention job this often (ms); 0 turns it off. */
    readonly intervalMs: number;
    readonly batchSize: number;
    readonly batchPauseMs: number;
    /** Days each kind of row is kept (0: forever), by retention rule. */
    readonly days: {
      readonly changeEvents: number;
      readonly deliveries: number;
      readonly unprocessedDeliveries: number;
      readonly fetchTargets: number;
      readonly fetchFailures: number;
      readonly rejections: number;
      readonly alertObservations: number;
      readonly history: number;
    };
  };
}

/** Raised when the environment does not parse; its message lists every bad key at once. */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG.INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

type RawEnv = Readonly<Record<string, string | undefined>>;

/** Empty strings count as unset, so `FOO=` in an env file falls back to the default instead of failing. */
function withoutEmptyValues(raw: RawEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(raw).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

const databaseEnvSchema = envSchema.pick({
  DATABASE_URL: true,
  DATABASE_POOL_SIZE: true,
  DATABASE_STATEMENT_TIMEOUT_MS: true,
  DATABASE_MIGRATIONS_RUN: true,
});

/**
 * What the configuration is for: the worker (receives webhooks, uses Kafka: both are required), or a command-line
 * tool that does neither (it never verifies a signature or connects to Kafka, so it does not ask for them).
 */
export type ConfigPurpose = 'worker' | 'tool' | 'operator';

/** Stands in for DATABASE_URL in an operator command run without one; nothing connects to it. */
const NO_DATABASE_URL = 'postgres://no-database@127.0.0.1:1/unused';

/** Parses the configuration of a command-line tool (see ConfigPurpose). */
export function parseToolConfig(raw: RawEnv): AppConfig {
  return parseConfig(raw, undefined, 'tool');
}

/**
 * Parses the configuration of an operator command that talks to Tango (`tango …`): TANGO_API_KEY (or its _FILE) is
 * required, DATABASE_URL optional. With a database the command shares the workers' request budget and can look in
 * their tables; without one it paces itself and `database` is false.
 */
export function parseOperatorConfig(raw: RawEnv): { readonly config: AppConfig; readonly database: boolean } {
  const database = withoutEmptyValues(raw).DATABASE_URL !== undefined;
  const config = parseConfig(
    database ? raw : { ...raw, DATABASE_URL: NO_DATABASE_URL },
    undefined,
    'operator',
  );
  return { config, database };
}

/** Parses only the DATABASE_* keys (for the TypeORM CLI and scripts that need nothing else). */
export function parseDatabaseConfig(raw: RawEnv): AppConfig['db'] {
  const result = databaseEnvSchema.safeParse(withoutEmptyValues(raw));
  if (!result.success) {
    throw new ConfigValidationError(describeIssues(result.error));
  }
  return {
    url: result.data.DATABASE_URL,
    poolSize: result.data.DATABASE_POOL_SIZE,
    statementTimeoutMs: result.data.DATABASE_STATEMENT_TIMEOUT_MS,
    migrationsRun: result.data.DATABASE_MIGRATIONS_RUN,
  };
}

/**
 * Parses a raw environment (never mutated) into the nested, typed configuration. `<KEY>_FILE` settings are read
 * first (see resolveSecretFiles); `readFile` is for tests.
 */
export function parseConfig(
  raw: RawEnv,
  readFile?: ReadSecretFile,
  purpose: ConfigPurpose = 'worker',
): AppConfig {
  const fromFiles = resolveSecretFiles(raw, readFile);
  const present = withoutEmptyValues(fromFiles.env);
  // The worker needs Kafka; a tool does not (it never connects to it).
  const purposeProblems =
    purpose === 'worker' && present.KAFKA_BROKERS === undefined ? ['KAFKA_BROKERS: required'] : [];
  const result = envSchema.safeParse(present);
  if (!result.success || fromFiles.problems.length > 0 || purposeProblems.length > 0) {
    throw new ConfigValidationError([
      ...fromFiles.problems,
      ...purposeProblems,
      ...(result.success ? [] : describeIssues(result.error)),
    ]);
  }
  const env = result.data;
  const problems: string[] = [];
  if (purpose === 'worker' && env.KAFKA_BROKERS.length === 0) {
    problems.push('KAFKA_BROKERS: at least one broker is required');
  }
  if (purpose === 'worker' && env.WEBHOOK_SECRETS.length === 0 && !env.WEBHOOK_INSECURE_NO_SIGNATURE) {
    problems.push(
      'WEBHOOK_SECRETS: required (comma-separated); set WEBHOOK_INSECURE_NO_SIGNATURE=true only for local development',
    );
  }
  if (purpose === 'operator' && env.TANGO_API_KEY === undefined) {
    problems.push('TANGO_API_KEY: required (or TANGO_API_KEY_FILE) to call Tango');
  }
  if (env.TANGO_BACKOFF_BASE_MS > env.TANGO_BACKOFF_MAX_MS) {
    problems.push('TANGO_BACKOFF_BASE_MS: must not exceed TANGO_BACKOFF_MAX_MS');
  }
  if (
    env.WEBHOOK_WRITE_CONCURRENCY !== undefined &&
    env.WEBHOOK_WRITE_CONCURRENCY >= env.DATABASE_POOL_SIZE
  ) {
    problems.push(
      'WEBHOOK_WRITE_CONCURRENCY: must be below DATABASE_POOL_SIZE (ingest must leave connections for the rest)',
    );
  }
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
  return toAppConfig(env);
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(environment)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message;
    return `${key}: ${message}`;
  });
}

function toAppConfig(env: Env): AppConfig {
  return {
    env: env.NODE_ENV,
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    http: { host: env.HTTP_HOST, port: env.HTTP_PORT, shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    db: {
      url: env.DATABASE_URL,
      poolSize: env.DATABASE_POOL_SIZE,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      migrationsRun: env.DATABASE_MIGRATIONS_RUN,
    },
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: env.KAFKA_CLIENT_ID,
      topicPrefix: env.KAFKA_TOPIC_PREFIX,
      topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      connectionTimeoutMs: env.KAFKA_CONNECTION_TIMEOUT_MS,
      requestTimeoutMs: env.KAFKA_REQUEST_TIMEOUT_MS,
    },
    tango: {
      baseUrl: env.TANGO_BASE_URL.replace(/\/+$/, ''),
      apiKey: env.TANGO_API_KEY,
      timeoutMs: env.TANGO_TIMEOUT_MS,
      maxAttempts: env.TANGO_MAX_ATTEMPTS,
      backoffBaseMs: env.TANGO_BACKOFF_BASE_MS,
      backoffMaxMs: env.TANGO_BACKOFF_MAX_MS,
      connections: env.TANGO_CONNECTIONS,
      liveReserveShare: env.TANGO_LIVE_RESERVE_SHARE,
      liveBurstReserveShare: env.TANGO_LIVE_BURST_RESERVE_SHARE,
    },
    webhook: {
      path: env.WEBHOOK_PATH,
      secrets: env.WEBHOOK_SECRETS,
      secretsFile: env.WEBHOOK_SECRETS_FILE,
      insecureNoSignature: env.WEBHOOK_INSECURE_NO_SIGNATURE,
      maxBodyBytes: env.WEBHOOK_MAX_BODY_BYTES,
      writeConcurrency:
        env.WEBHOOK_WRITE_CONCURRENCY ?? Math.max(1, Math.min(2, Math.floor(env.DATABASE_POOL_SIZE / 2))),
      writeBatchMax: env.WEBHOOK_WRITE_BATCH_MAX,
      maxIdsPerEvent: env.WEBHOOK_MAX_IDS_PER_EVENT,
      maxIdsPerDelivery: env.WEBHOOK_MAX_IDS_PER_DELIVERY,
    },
    fetcher: {
      enabled: env.FETCHER_ENABLED,
      groupId: env.FETCHER_GROUP_ID,
      batchSize: env.FETCHER_BATCH_SIZE,
      concurrency: env.FETCHER_CONCURRENCY,
      maxAttempts: env.FETCHER_MAX_ATTEMPTS,
      retryBaseMs: env.FETCHER_RETRY_BASE_MS,
      retryMaxMs: env.FETCHER_RETRY_MAX_MS,
    },
    relay: {
      enabled: env.RELAY_ENABLED,
      pollIntervalMs: env.RELAY_POLL_INTERVAL_MS,
      batchSize: env.RELAY_BATCH_SIZE,
      leaseMs: env.RELAY_LEASE_MS,
    },
    health: {
      checkTimeoutMs: env.HEALTH_CHECK_TIMEOUT_MS,
      reconcileMaxQuotaShare: env.HEALTH_RECONCILE_MAX_QUOTA_SHARE,
      lagDegradedSeconds: env.HEALTH_LAG_DEGRADED_SECONDS,
      alertPollIntervalMs: env.HEALTH_ALERT_POLL_INTERVAL_MS,
      reconcileIntervalMs: env.HEALTH_RECONCILE_INTERVAL_MS,
      gapGraceSeconds: env.HEALTH_GAP_GRACE_SECONDS,
      overlapSeconds: env.HEALTH_OVERLAP_SECONDS,
      sweepMaxPages: env.HEALTH_SWEEP_MAX_PAGES,
      driftSampleSize: env.HEALTH_DRIFT_SAMPLE_SIZE,
      shapeProbeIntervalMs: env.HEALTH_SHAPE_PROBE_INTERVAL_MS,
    },
    backfill: {
      concurrency: env.BACKFILL_CONCURRENCY,
      leaseMs: env.BACKFILL_LEASE_MS,
      pollIntervalMs: env.BACKFILL_POLL_INTERVAL_MS,
    },
    consoleToken: env.CONSOLE_TOKEN,
    consoleSampleIntervalMs: env.CONSOLE_SAMPLE_INTERVAL_MS,
    retention: {
      intervalMs: env.RETENTION_INTERVAL_MS,
      batchSize: env.RETENTION_BATCH_SIZE,
      batchPauseMs: env.RETENTION_BATCH_PAUSE_MS,
      days: {
        changeEvents: env.RETENTION_CHANGE_EVENTS_DAYS,
        deliveries: env.RETENTION_DELIVERIES_DAYS,
        unprocessedDeliveries: env.RETENTION_UNPROCESSED_DELIVERIES_DAYS,
        fetchTargets: env.RETENTION_FETCH_TARGETS_DAYS,
        fetchFailures: env.RETENTION_FETCH_FAILURES_DAYS,
        rejections: env.RETENTION_REJECTIONS_DAYS,
        alertObservations: env.RETENTION_ALERT_OBSERVATIONS_DAYS,
        history: env.RETENTION_HISTORY_DAYS,
      },
    },
  };
}
