import { z } from 'zod';

/** `true`/`false`/`1`/`0`/`yes`/`no` as a boolean; anything else is an error (never a silent `false`). */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/** Days to keep rows (fractions allowed); 0 keeps them forever. */
const retentionDays = z.coerce.number().nonnegative();

const postgresUrl = z
  .url({ message: 'expected a postgres:// URL' })
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'expected a postgres:// URL');

const hostPort = /^[^\s:,]+:\d{1,5}$/;

/**
 * Every environment variable tango-sync reads, with its default. `.env.example` documents the same list and a
 * unit test keeps the two (and docker-compose.yml) in step.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),

  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),

  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: positiveInt.max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt.default(30_000),
  DATABASE_MIGRATIONS_RUN: booleanFlag.default(true),

  // Required by the worker (parseConfig says so); the command-line tools never connect to Kafka.
  KAFKA_BROKERS: commaList
    .pipe(z.array(z.string().regex(hostPort, 'each broker must be host:port')))
    .default([]),
  KAFKA_CLIENT_ID: z.string().min(1).default('tango-sync'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, underscore and dash only')
    .default('tango'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.max(1000).default(6),
  KAFKA_REPLICATION_FACTOR: positiveInt.max(10).default(1),
  KAFKA_CONNECTION_TIMEOUT_MS: positiveInt.default(3_000),
  KAFKA_REQUEST_TIMEOUT_MS: positiveInt.default(30_000),

  TANGO_BASE_URL: z.url().default('https://tango.makegov.com'),
  TANGO_API_KEY: z.string().min(1).optional(),
  TANGO_API_KEY_FILE: z.string().min(1).optional(),
  TANGO_TIMEOUT_MS: positiveInt.default(30_000),
  TANGO_MAX_ATTEMPTS: positiveInt.max(20).default(4),
  TANGO_BACKOFF_BASE_MS: positiveInt.default(250),
  TANGO_BACKOFF_MAX_MS: positiveInt.default(10_000),
  TANGO_CONNECTIONS: positiveInt.max(64).default(8),
  TANGO_LIVE_RESERVE_SHARE: z.coerce.number().min(0).max(1).default(0.1),

  WEBHOOK_PATH: z
    .string()
    .regex(/^\/[A-Za-z0-9/_-]*$/, 'must start with / and hold only URL path characters')
    .default('/tango/webhooks'),
  WEBHOOK_SECRETS: commaList.default([]),
  WEBHOOK_SECRETS_FILE: z.string().min(1).optional(),
  WEBHOOK_INSECURE_NO_SIGNATURE: booleanFlag.default(false),
  WEBHOOK_MAX_BODY_BYTES: positiveInt.default(262_144),
  WEBHOOK_WRITE_CONCURRENCY: positiveInt.max(64).optional(),
  WEBHOOK_WRITE_BATCH_MAX: positiveInt.max(500).default(16),
  WEBHOOK_MAX_IDS_PER_EVENT: positiveInt.default(1_000),
  WEBHOOK_MAX_IDS_PER_DELIVERY: positiveInt.default(5_000),

  FETCHER_ENABLED: booleanFlag.default(true),
  FETCHER_GROUP_ID: z.string().min(1).default('tango-sync-fetcher'),
  FETCHER_BATCH_SIZE: positiveInt.max(100).default(100),
  FETCHER_CONCURRENCY: positiveInt.max(64).default(4),
  FETCHER_MAX_ATTEMPTS: positiveInt.max(100).default(5),
  FETCHER_RETRY_BASE_MS: positiveInt.default(5_000),
  FETCHER_RETRY_MAX_MS: positiveInt.default(3_600_000),

  RELAY_ENABLED: booleanFlag.default(true),
  RELAY_POLL_INTERVAL_MS: positiveInt.default(1_000),
  RELAY_BATCH_SIZE: positiveInt.max(10_000).default(500),
  RELAY_LEASE_MS: positiveInt.min(1_000).default(30_000),

  HEALTH_CHECK_TIMEOUT_MS: positiveInt.default(3_000),
  HEALTH_RECONCILE_MAX_QUOTA_SHARE: z.coerce.number().min(0).max(1).default(0.2),
  HEALTH_LAG_DEGRADED_SECONDS: nonNegativeInt.default(300),
  HEALTH_ALERT_POLL_INTERVAL_MS: nonNegativeInt.default(60_000),
  HEALTH_RECONCILE_INTERVAL_MS: nonNegativeInt.default(300_000),
  HEALTH_GAP_GRACE_SECONDS: nonNegativeInt.default(900),
  HEALTH_OVERLAP_SECONDS: nonNegativeInt.default(3_600),
  HEALTH_SWEEP_MAX_PAGES: positiveInt.max(10_000).default(50),
  HEALTH_DRIFT_SAMPLE_SIZE: nonNegativeInt.default(100),
  HEALTH_SHAPE_PROBE_INTERVAL_MS: nonNegativeInt.default(600_000),

  RETENTION_INTERVAL_MS: nonNegativeInt.default(3_600_000),
  RETENTION_BATCH_SIZE: positiveInt.max(10_000).default(1_000),
  RETENTION_BATCH_PAUSE_MS: nonNegativeInt.default(50),
  RETENTION_CHANGE_EVENTS_DAYS: retentionDays.default(7),
  RETENTION_DELIVERIES_DAYS: retentionDays.default(14),
  RETENTION_UNPROCESSED_DELIVERIES_DAYS: retentionDays.default(90),
  RETENTION_FETCH_TARGETS_DAYS: retentionDays.default(2),
  RETENTION_FETCH_FAILURES_DAYS: retentionDays.default(30),
  RETENTION_REJECTIONS_DAYS: retentionDays.default(30),
  RETENTION_ALERT_OBSERVATIONS_DAYS: retentionDays.default(30),
  RETENTION_HISTORY_DAYS: retentionDays.default(0),

  // Managed backfills: every worker reads segments of running jobs (0 concurrency: this worker reads none).
  BACKFILL_CONCURRENCY: nonNegativeInt.max(64).default(6),
  BACKFILL_LEASE_MS: positiveInt.min(3_000).default(30_000),
  BACKFILL_POLL_INTERVAL_MS: positiveInt.default(2_000),
  // Share of the burst window kept for live fetches while backfills and sweeps run.
  TANGO_LIVE_BURST_RESERVE_SHARE: z.coerce.number().min(0).max(0.5).default(0.05),

  // Operator token for the HTTP actions (backfills, console); without it those endpoints are read-only.
  CONSOLE_TOKEN: z.string().min(16).optional(),
  CONSOLE_TOKEN_FILE: z.string().min(1).optional(),
  // How often each worker records its activity for the console's charts (0: never).
  CONSOLE_SAMPLE_INTERVAL_MS: nonNegativeInt.default(60_000),
});

export type Env = z.infer<typeof envSchema>;
export type EnvKey = keyof typeof envSchema.shape;

export const envKeys = Object.keys(envSchema.shape) as EnvKey[];
