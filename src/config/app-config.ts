import { z } from 'zod';
import {
  type AppConfig,
  CONFIG_GROUPS,
  type ConfigGroup,
  configGroups,
  configGroupRules,
  signingToolEnvSchema,
} from './env.schema';
import {
  type ReadSecretFile,
  resolveSecretFiles,
  SECRET_FILE_KEYS,
  type SecretFileKey,
} from './secret-files';

export type { AppConfig, ConfigGroup };

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

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(environment)';
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'required' : issue.message;
    return `${key}: ${message}`;
  });
}

/** The `<KEY>_FILE` settings the given groups read (a database-only command never opens a secret file). */
function secretFileKeysOf(groups: readonly ConfigGroup[]): SecretFileKey[] {
  return SECRET_FILE_KEYS.filter((key) => groups.some((group) => key in configGroups[group].in.shape));
}

interface ParsedGroups<G extends ConfigGroup> {
  readonly config: Pick<AppConfig, G>;
  /** The secret files that could not be used (named first). */
  readonly fileProblems: readonly string[];
  /** Problems with single settings (each named once: a setting may be read by two groups). */
  readonly problems: readonly string[];
  /** The environment as parsed (empty values dropped, secret files read). */
  readonly present: Readonly<Record<string, string>>;
}

/** Parses each of `groups` from the raw environment, collecting every problem (each named once). */
function parseGroups<G extends ConfigGroup>(
  raw: RawEnv,
  groups: readonly G[],
  readFile?: ReadSecretFile,
): ParsedGroups<G> {
  const fromFiles = resolveSecretFiles(raw, readFile, secretFileKeysOf(groups));
  const present = withoutEmptyValues(fromFiles.env);
  const config: Partial<Record<ConfigGroup, unknown>> = {};
  const issues: z.core.$ZodIssue[] = [];
  for (const group of groups) {
    const result = configGroups[group].safeParse(present);
    if (result.success) {
      config[group] = result.data;
    } else {
      issues.push(...result.error.issues);
    }
  }
  return {
    // Every group parsed when there is no problem (the callers check first): the record is complete then.
    config: config as Pick<AppConfig, G>,
    fileProblems: fromFiles.problems,
    problems: [...new Set(describeIssues(issues))],
    present,
  };
}

/** The rules between settings of `groups` (see configGroupRules), on an environment whose settings all parsed. */
function ruleProblems(groups: readonly ConfigGroup[], present: Readonly<Record<string, string>>): string[] {
  return groups.flatMap((group) => {
    const result = configGroupRules[group]?.safeParse(present);
    return result === undefined || result.success ? [] : describeIssues(result.error.issues);
  });
}

/**
 * Parses only the given configuration groups (a command asks for the settings it uses, nothing else): every
 * problem of those groups in one ConfigValidationError.
 */
export function parseConfigGroups<G extends ConfigGroup>(
  raw: RawEnv,
  groups: readonly G[],
  readFile?: ReadSecretFile,
): Pick<AppConfig, G> {
  const parsed = parseGroups(raw, groups, readFile);
  const plain = [...parsed.fileProblems, ...parsed.problems];
  const problems = plain.length > 0 ? plain : ruleProblems(groups, parsed.present);
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
  return parsed.config;
}

/**
 * What the configuration is for: the worker (receives webhooks, uses Kafka: both are required), or a command-line
 * tool that does neither (it never verifies a signature or connects to Kafka, so it does not ask for them).
 */
export type ConfigPurpose = 'worker' | 'tool' | 'operator';

/** What a purpose requires on top of the schema's rules, once every setting parsed. */
const PURPOSE_REQUIREMENTS: Readonly<Record<ConfigPurpose, (config: AppConfig) => string[]>> = {
  worker: (config) => [
    ...(config.kafka.brokers.length === 0 ? ['KAFKA_BROKERS: at least one broker is required'] : []),
    ...(config.webhook.secrets.length === 0 && !config.webhook.insecureNoSignature
      ? [
          'WEBHOOK_SECRETS: required (comma-separated); set WEBHOOK_INSECURE_NO_SIGNATURE=true only for local development',
        ]
      : []),
  ],
  tool: () => [],
  operator: (config) =>
    config.tango.apiKey === undefined
      ? ['TANGO_API_KEY: required (or TANGO_API_KEY_FILE) to call Tango']
      : [],
};

/**
 * Parses a raw environment (never mutated) into the nested, typed configuration: every group. `<KEY>_FILE`
 * settings are read first (see resolveSecretFiles); `readFile` is for tests.
 */
export function parseConfig(
  raw: RawEnv,
  readFile?: ReadSecretFile,
  purpose: ConfigPurpose = 'worker',
): AppConfig {
  const parsed = parseGroups(raw, CONFIG_GROUPS, readFile);
  // The worker needs Kafka; a tool does not (it never connects to it).
  const missing =
    purpose === 'worker' && parsed.present.KAFKA_BROKERS === undefined ? ['KAFKA_BROKERS: required'] : [];
  const plain = [...parsed.fileProblems, ...missing, ...parsed.problems];
  if (plain.length > 0) {
    throw new ConfigValidationError(plain);
  }
  const problems = [
    ...PURPOSE_REQUIREMENTS[purpose](parsed.config),
    ...ruleProblems(CONFIG_GROUPS, parsed.present),
  ];
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
  return parsed.config;
}

/** Parses the configuration of a command-line tool (see ConfigPurpose). */
export function parseToolConfig(raw: RawEnv): AppConfig {
  return parseConfig(raw, undefined, 'tool');
}

/** Stands in for DATABASE_URL in an operator command run without one; nothing connects to it. */
const NO_DATABASE_URL = 'postgres://no-database@127.0.0.1:1/unused';

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
  return parseConfigGroups(raw, ['db']).db;
}

/** The secrets `verify` checks against when given none, and where they came from (the worker's settings). */
export interface WebhookSecretsSetting {
  readonly secrets: readonly string[];
  readonly source: 'WEBHOOK_SECRETS' | 'WEBHOOK_SECRETS_FILE';
}

/**
 * WEBHOOK_SECRETS, or the content of WEBHOOK_SECRETS_FILE, split and checked exactly as the worker does; undefined
 * when neither is set.
 */
export function parseWebhookSecretsSetting(
  raw: RawEnv,
  readFile?: ReadSecretFile,
): WebhookSecretsSetting | undefined {
  const fromFiles = resolveSecretFiles(raw, readFile, ['WEBHOOK_SECRETS']);
  const schema = signingToolEnvSchema.pick({ WEBHOOK_SECRETS: true, WEBHOOK_SECRETS_FILE: true });
  const result = schema.safeParse(withoutEmptyValues(fromFiles.env));
  if (!result.success || fromFiles.problems.length > 0) {
    throw new ConfigValidationError([
      ...fromFiles.problems,
      ...(result.success ? [] : describeIssues(result.error.issues)),
    ]);
  }
  if (result.data.WEBHOOK_SECRETS.length === 0) {
    return undefined;
  }
  const source = result.data.WEBHOOK_SECRETS_FILE === undefined ? 'WEBHOOK_SECRETS' : 'WEBHOOK_SECRETS_FILE';
  return { secrets: result.data.WEBHOOK_SECRETS, source };
}

/** TANGO_WEBHOOK_SECRET (trimmed), the secret `sign` and `simulate` use without --secret; undefined when unset. */
export function parseSigningSecretSetting(raw: RawEnv): string | undefined {
  const schema = signingToolEnvSchema.pick({ TANGO_WEBHOOK_SECRET: true });
  const result = schema.safeParse(withoutEmptyValues(raw));
  if (!result.success) {
    throw new ConfigValidationError(describeIssues(result.error.issues));
  }
  return result.data.TANGO_WEBHOOK_SECRET;
}
