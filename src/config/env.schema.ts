import { z } from 'zod';
import { parseSchedules, selectResources } from '../tango-contract/resource-selection';

/** `true`/`false`/`1`/`0`/`yes`/`no` as a boolean; anything else is an error (never a silent `false`). */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().nonnegative();
/**
 * A transform by a parser that answers `{ok: true, …}` or `{ok: false, problems}`: every problem becomes an issue
 * of the setting (all of them at once), and what it parsed is picked by `value`.
 */
function checkedBy<I, P extends { readonly ok: true }, T>(
  parse: (input: I) => P | { readonly ok: false; readonly problems: readonly string[] },
  value: (parsed: P) => T,
) {
  return (input: I, context: z.RefinementCtx): T => {
    const parsed = parse(input);
    if (!parsed.ok) {
      for (const message of parsed.problems) {
        context.addIssue({ code: 'custom', message });
      }
      return z.NEVER;
    }
    return value(parsed);
  };
}

const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);

/**
 * Shape paths per family: `contracts:transactions,subawards_summary;entities:past_performance` (families separated
 * by `;`, paths by `,`; a family named twice is an error). Family names and paths are checked against the families
 * and Tango's contract where the shapes are built (src/tango/shape-narrowing.ts).
 */
const familyPathLists = z.string().transform((value, ctx) => {
  const lists: Record<string, string[]> = {};
  for (const part of value
    .split(';')
    .map((item) => item.trim())
    .filter((item) => item.length > 0)) {
    const match = /^([a-z_]+)\s*:\s*(.+)$/.exec(part);
    const family = match?.[1];
    const paths = (match?.[2] ?? '')
      .split(',')
      .map((path) => path.trim())
      .filter((path) => path.length > 0);
    if (
      family === undefined ||
      paths.length === 0 ||
      paths.some((path) => !/^[a-z0-9_]+(\.[a-z0-9_]+)*$/.test(path))
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" is not <family>:<path>[,<path>…] (paths like recipient.uei)`,
      });
      return z.NEVER;
    }
    if (family in lists) {
      ctx.addIssue({ code: 'custom', message: `family ${family} is named twice` });
      return z.NEVER;
    }
    lists[family] = paths;
  }
  return lists;
});

/** Tango's plan levels that `shape_gated_by_level` names (4.25.1: free, pro, business). */
export const TANGO_PLAN_LEVELS = ['free', 'pro', 'business', 'enterprise'] as const;

/** Days to keep rows (fractions allowed); 0 keeps them forever. */
const retentionDays = z.coerce.number().nonnegative();

const postgresUrl = z
  .url({ message: 'expected a postgres:// URL' })
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'expected a postgres:// URL');

const hostPort = /^[^\s:,]+:\d{1,5}$/;

// ---------------------------------------------------------------------------------------------------------------
// The environment variables, by the configuration group that reads them
// ---------------------------------------------------------------------------------------------------------------

const runtimeEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
});

const logEnv = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

const httpEnv = z.object({
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
});

const databaseEnv = z.object({
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: positiveInt.max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt.default(30_000),
  DATABASE_MIGRATIONS_RUN: booleanFlag.default(true),
});

const kafkaEnv = z.object({
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
});

const tangoEnv = z.object({
  TANGO_BASE_URL: z
    .url()
    .default('https://tango.makegov.com')
    .transform((url) => url.replace(/\/+$/, '')),
  TANGO_API_KEY: z.string().min(1).optional(),
  TANGO_API_KEY_FILE: z.string().min(1).optional(),
  TANGO_TIMEOUT_MS: positiveInt.default(30_000),
  TANGO_MAX_ATTEMPTS: positiveInt.max(20).default(4),
  TANGO_BACKOFF_BASE_MS: positiveInt.default(250),
  TANGO_BACKOFF_MAX_MS: positiveInt.default(10_000),
  TANGO_CONNECTIONS: positiveInt.max(64).default(8),
  TANGO_LIVE_RESERVE_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  // Share of the burst window kept for live fetches while backfills and sweeps run.
  TANGO_LIVE_BURST_RESERVE_SHARE: z.coerce.number().min(0).max(0.5).default(0.05),
  // Narrowing of the whole records (by default every field and expand of Tango's contract is mirrored).
  TANGO_SHAPE_FIELDS: familyPathLists.default({}),
  TANGO_SHAPE_EXCLUDE: familyPathLists.default({}),
  // The account's plan: shape items its level may not ask for (`shape_gated_by_level`) are left out up front.
  TANGO_PLAN: z.enum(TANGO_PLAN_LEVELS).optional(),
  // The resources mirrored: groups (families, dimensions, default, all), names, and -name to leave one out.
  TANGO_RESOURCES: commaList.default(['default']).transform(checkedBy(selectResources, (ok) => ok.resources)),
});

const webhookEnv = z.object({
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
});

const fetcherEnv = z.object({
  FETCHER_ENABLED: booleanFlag.default(true),
  FETCHER_GROUP_ID: z.string().min(1).default('tango-sync-fetcher'),
  FETCHER_BATCH_SIZE: positiveInt.max(100).default(100),
  FETCHER_CONCURRENCY: positiveInt.max(64).default(4),
  FETCHER_MAX_ATTEMPTS: positiveInt.max(100).default(5),
  FETCHER_RETRY_BASE_MS: positiveInt.default(5_000),
  FETCHER_RETRY_MAX_MS: positiveInt.default(3_600_000),
});

const relayEnv = z.object({
  RELAY_ENABLED: booleanFlag.default(true),
  RELAY_POLL_INTERVAL_MS: positiveInt.default(1_000),
  RELAY_BATCH_SIZE: positiveInt.max(10_000).default(500),
  RELAY_LEASE_MS: positiveInt.min(1_000).default(30_000),
});

const healthEnv = z.object({
  HEALTH_CHECK_TIMEOUT_MS: positiveInt.default(3_000),
  // Share of the daily quota reconciliation sweeps may use.
  HEALTH_RECONCILE_MAX_QUOTA_SHARE: z.coerce.number().min(0).max(1).default(0.2),
  // Fetch backlog age that marks a family degraded.
  HEALTH_LAG_DEGRADED_SECONDS: nonNegativeInt.default(300),
  // Poll `GET /api/webhooks/alerts/` this often (ms); 0 turns the scheduled poll off.
  HEALTH_ALERT_POLL_INTERVAL_MS: nonNegativeInt.default(60_000),
  // Run gap detection and reconciliation sweeps this often (ms); 0 turns the schedule off.
  HEALTH_RECONCILE_INTERVAL_MS: nonNegativeInt.default(300_000),
  // An alert check younger than this may still have its delivery in Tango's retry schedule: wait before judging.
  HEALTH_GAP_GRACE_SECONDS: nonNegativeInt.default(900),
  // Sweeps re-read this much before a gap's start (clock skew, late commits on Tango's side).
  HEALTH_OVERLAP_SECONDS: nonNegativeInt.default(3_600),
  // Most list pages one gap's sweep may read per run.
  HEALTH_SWEEP_MAX_PAGES: positiveInt.max(10_000).default(50),
  // Mirrored records re-fetched per family per run to spot modifications and deletions no filter exposes.
  HEALTH_DRIFT_SAMPLE_SIZE: nonNegativeInt.default(100),
  // Probe families whose shape Tango refused for the full shape this often (ms); 0 turns the probe off.
  HEALTH_SHAPE_PROBE_INTERVAL_MS: nonNegativeInt.default(600_000),
  // Compare a rotating sample of the mirror with the fold of its history this often (ms); 0 turns it off.
  HEALTH_HISTORY_CHECK_INTERVAL_MS: nonNegativeInt.default(600_000),
  // Records per resource each history check compares.
  HEALTH_HISTORY_CHECK_SAMPLE: positiveInt.max(10_000).default(100),
});

// Freshness by what Tango really sends (README "Freshness"): a newest-first poll of the families Tango lists no
// alert type for, a rolling re-verification of every mirrored record, and the modified_after probe.
const freshnessEnv = z.object({
  // Newest-first poll of each family without an alert type in Tango's catalog, this often (s); 0 turns it off.
  HEALTH_NEWEST_POLL_INTERVAL_SECONDS: nonNegativeInt.default(900),
  // The poll re-reads this many days back from today (records Tango publishes late keep their earlier date).
  HEALTH_NEWEST_POLL_LOOKBACK_DAYS: positiveInt.max(366).default(3),
  // Share of the daily quota the rolling re-verification of every mirrored record may use.
  HEALTH_REVERIFY_QUOTA_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  // A family whose least recently verified record is older than this reports degraded (s).
  HEALTH_VERIFICATION_DEGRADED_SECONDS: positiveInt.default(7 * 86_400),
  // Probe whether Tango honours modified_after on award lists this often (s); 0: never.
  HEALTH_MODIFIED_SINCE_PROBE_INTERVAL_SECONDS: nonNegativeInt.default(86_400),
});

const retentionEnv = z.object({
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
});

// Managed backfills: every worker reads segments of running jobs (0 concurrency: this worker reads none).
const backfillEnv = z.object({
  BACKFILL_CONCURRENCY: nonNegativeInt.max(64).default(6),
  BACKFILL_LEASE_MS: positiveInt.min(3_000).default(30_000),
  BACKFILL_POLL_INTERVAL_MS: positiveInt.default(2_000),
});

/** The list walks that keep contract resources fresh (src/resources); unset periods take each resource's default. */
const resourcesEnv = z.object({
  // How often the refresh job looks for a due poll or walk (0: never; tests and `tango-sync refresh` drive it).
  RESOURCE_REFRESH_INTERVAL_MS: nonNegativeInt.default(60_000),
  // Seconds between incremental polls of resources with a change filter or ordering (default 3600).
  RESOURCE_POLL_SECONDS: positiveInt.optional(),
  // Seconds between full walks of a dimension (agencies, NAICS, …; default 86400).
  RESOURCE_DIMENSION_REFRESH_SECONDS: positiveInt.optional(),
  // Seconds between full walks of the other resources, which see deletions (default 604800).
  RESOURCE_FULL_WALK_SECONDS: positiveInt.optional(),
  // Per resource: <resource>:poll=<seconds>,full=<seconds>;… (over the periods above and the defaults).
  RESOURCE_SCHEDULES: z
    .string()
    .default('')
    .transform(checkedBy(parseSchedules, (ok) => ok.schedules)),
  // Pages one walk may read before it stops, reported on /health (a safety net, not a budget).
  RESOURCE_MAX_PAGES: positiveInt.default(5_000),
});

const consoleEnv = z.object({
  // Operator token for the HTTP actions (backfills, console); without it those endpoints are read-only.
  CONSOLE_TOKEN: z.string().min(16).optional(),
  CONSOLE_TOKEN_FILE: z.string().min(1).optional(),
  // How often each worker records its activity for the console's charts (0: never).
  CONSOLE_SAMPLE_INTERVAL_MS: nonNegativeInt.default(60_000),
});

/**
 * Every environment variable the worker reads, with its default. `.env.example` documents the same list and a
 * unit test keeps the two (and docker-compose.yml) in step.
 */
export const envSchema = z.object({
  ...runtimeEnv.shape,
  ...logEnv.shape,
  ...httpEnv.shape,
  ...databaseEnv.shape,
  ...kafkaEnv.shape,
  ...tangoEnv.shape,
  ...webhookEnv.shape,
  ...fetcherEnv.shape,
  ...relayEnv.shape,
  ...healthEnv.shape,
  ...freshnessEnv.shape,
  ...retentionEnv.shape,
  ...backfillEnv.shape,
  ...resourcesEnv.shape,
  ...consoleEnv.shape,
});

export type Env = z.infer<typeof envSchema>;
export type EnvKey = keyof typeof envSchema.shape;

export const envKeys = Object.keys(envSchema.shape) as EnvKey[];

// ---------------------------------------------------------------------------------------------------------------
// The configuration groups: each parses only its variables, so a command validates only the groups it uses
// ---------------------------------------------------------------------------------------------------------------

/** `CLIENT_ID` → `clientId`: a variable's name within its group, as a property of that group. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>;

/** A group's variables as its properties: `KAFKA_CLIENT_ID` → `clientId` (prefix dropped, camelCase). */
type Prefixed<T, P extends string> = {
  readonly [K in keyof T as K extends `${P}${infer Rest}` ? CamelCase<Rest> : never]: T[K];
};

function camelCase(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** A group's parsed variables as its properties: `KAFKA_TOPIC_PREFIX` → `topicPrefix`. */
function asGroup<T extends object, P extends string>(env: T, prefix: P): Prefixed<T, P> {
  const entries = Object.entries(env as Record<string, unknown>).map(([key, value]): [string, unknown] => [
    camelCase(key.slice(prefix.length)),
    value,
  ]);
  return Object.fromEntries(entries) as Prefixed<T, P>;
}

/**
 * The configuration group of a set of variables sharing a prefix: each variable becomes the property its name
 * says, so a group's shape is never written twice.
 */
function prefixedGroup<S extends z.ZodObject, P extends string>(schema: S, prefix: P) {
  return schema.transform((env) => asGroup(env, prefix));
}

const dbGroup = prefixedGroup(databaseEnv, 'DATABASE_');

const kafkaGroup = prefixedGroup(kafkaEnv, 'KAFKA_');

/** TANGO_API_KEY_FILE is read into apiKey before the groups parse (secret-files.ts). */
const tangoGroup = tangoEnv.transform(({ TANGO_API_KEY_FILE: _readIntoApiKey, ...env }) =>
  asGroup(env, 'TANGO_'),
);

/** The ingest write concurrency's default depends on the pool (see the webhook rule below). */
const webhookGroup = webhookEnv
  .extend({ DATABASE_POOL_SIZE: databaseEnv.shape.DATABASE_POOL_SIZE })
  .transform(({ DATABASE_POOL_SIZE: poolSize, ...env }) => {
    const { writeConcurrency, ...group } = asGroup(env, 'WEBHOOK_');
    return {
      ...group,
      writeConcurrency: writeConcurrency ?? Math.max(1, Math.min(2, Math.floor(poolSize / 2))),
    };
  });

const fetcherGroup = prefixedGroup(fetcherEnv, 'FETCHER_');

const relayGroup = prefixedGroup(relayEnv, 'RELAY_');

/** Health and reconciliation (see docs/health.md and the comments on the HEALTH_* variables above). */
const healthGroup = prefixedGroup(healthEnv, 'HEALTH_');

/** Freshness without webhooks (the HEALTH_* variables of `freshnessEnv`). */
const freshnessGroup = prefixedGroup(freshnessEnv, 'HEALTH_');

const retentionGroup = retentionEnv.transform((env) => ({
  /** Run the retention job this often (ms); 0 turns it off. */
  intervalMs: env.RETENTION_INTERVAL_MS,
  batchSize: env.RETENTION_BATCH_SIZE,
  batchPauseMs: env.RETENTION_BATCH_PAUSE_MS,
  /** Days each kind of row is kept (0: forever), by retention rule. */
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
}));

const backfillGroup = prefixedGroup(backfillEnv, 'BACKFILL_');

const resourcesGroup = prefixedGroup(resourcesEnv, 'RESOURCE_');

/**
 * The configuration, group by group: the key is the property of `AppConfig`, the schema reads the group's
 * variables from the flat environment. `AppConfig` is inferred from these schemas.
 */
export const configGroups = {
  env: runtimeEnv.transform((env) => env.NODE_ENV),
  log: logEnv.transform((env) => ({ level: env.LOG_LEVEL, format: env.LOG_FORMAT })),
  http: httpEnv.transform((env) => ({
    host: env.HTTP_HOST,
    port: env.HTTP_PORT,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  })),
  db: dbGroup,
  kafka: kafkaGroup,
  tango: tangoGroup,
  webhook: webhookGroup,
  fetcher: fetcherGroup,
  relay: relayGroup,
  health: healthGroup,
  freshness: freshnessGroup,
  backfill: backfillGroup,
  resources: resourcesGroup,
  /** The token HTTP actions require (Bearer); undefined: they are refused. */
  consoleToken: consoleEnv
    .pick({ CONSOLE_TOKEN: true, CONSOLE_TOKEN_FILE: true })
    .transform((env) => env.CONSOLE_TOKEN),
  /** How often this worker records its activity for the console's charts (ms; 0: never). */
  consoleSampleIntervalMs: consoleEnv
    .pick({ CONSOLE_SAMPLE_INTERVAL_MS: true })
    .transform((env) => env.CONSOLE_SAMPLE_INTERVAL_MS),
  retention: retentionGroup,
};

export type ConfigGroup = keyof typeof configGroups;

/**
 * Rules between settings of a group, checked once every setting parsed on its own (a rule never hides a plain
 * typo, and is never reported on a value that did not parse).
 */
export const configGroupRules: Readonly<Partial<Record<ConfigGroup, z.ZodType>>> = {
  tango: tangoEnv
    .pick({ TANGO_BACKOFF_BASE_MS: true, TANGO_BACKOFF_MAX_MS: true })
    .refine((env) => env.TANGO_BACKOFF_BASE_MS <= env.TANGO_BACKOFF_MAX_MS, {
      path: ['TANGO_BACKOFF_BASE_MS'],
      message: 'must not exceed TANGO_BACKOFF_MAX_MS',
    }),
  webhook: webhookEnv
    .pick({ WEBHOOK_WRITE_CONCURRENCY: true })
    .extend({ DATABASE_POOL_SIZE: databaseEnv.shape.DATABASE_POOL_SIZE })
    .refine(
      (env) =>
        env.WEBHOOK_WRITE_CONCURRENCY === undefined || env.WEBHOOK_WRITE_CONCURRENCY < env.DATABASE_POOL_SIZE,
      {
        path: ['WEBHOOK_WRITE_CONCURRENCY'],
        message: 'must be below DATABASE_POOL_SIZE (ingest must leave connections for the rest)',
      },
    ),
};

export const CONFIG_GROUPS = Object.keys(configGroups) as ConfigGroup[];

/** The parsed, typed configuration (injected as APP_CONFIG; see ConfigModule). */
export type AppConfig = { readonly [G in ConfigGroup]: z.output<(typeof configGroups)[G]> };

/**
 * What the local signing tools read (`sign`, `verify`, `simulate`): the worker's WEBHOOK_SECRETS (and its file), the
 * same definitions as the webhook group's, and TANGO_WEBHOOK_SECRET, which only these tools read (so it is not in
 * `envSchema`, the worker's list).
 */
export const signingToolEnvSchema = webhookEnv
  .pick({ WEBHOOK_SECRETS: true, WEBHOOK_SECRETS_FILE: true })
  .extend({
    /** The endpoint secret `sign` and `simulate` sign with when no --secret is given (trimmed; blank: unset). */
    TANGO_WEBHOOK_SECRET: z
      .string()
      .transform((value) => value.trim())
      .transform((value) => (value === '' ? undefined : value))
      .optional(),
  });

export type SigningToolEnv = z.output<typeof signingToolEnvSchema>;
