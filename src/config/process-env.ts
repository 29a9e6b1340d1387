import {
  type AppConfig,
  parseConfig,
  parseDatabaseConfig,
  parseOperatorConfig,
  parseSigningSecretSetting,
  parseToolConfig,
  parseWebhookSecretsSetting,
  type WebhookSecretsSetting,
} from './app-config';

let cached: AppConfig | undefined;

/**
 * The one place that reads `process.env`. The worker's configuration is parsed once per process; every other module
 * receives the typed `AppConfig` through dependency injection (see ConfigModule). The command-line tools load only
 * what their command uses, when it runs (so `--help` needs no setting).
 */
export function loadConfigFromProcessEnv(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/** For tools that need only the database (the TypeORM CLI, `migrate`): parses just the DATABASE_* keys. */
export function loadDatabaseConfigFromProcessEnv(): AppConfig['db'] {
  return parseDatabaseConfig(process.env);
}

/** The configuration of a command-line tool (see parseToolConfig). */
export function loadToolConfigFromProcessEnv(): AppConfig {
  return parseToolConfig(process.env);
}

/** The configuration of a `tango …` operator command (see parseOperatorConfig). */
export function loadOperatorConfigFromProcessEnv(): {
  readonly config: AppConfig;
  readonly database: boolean;
} {
  return parseOperatorConfig(process.env);
}

/** WEBHOOK_SECRETS or its file, for `verify` (see parseWebhookSecretsSetting). */
export function loadWebhookSecretsFromProcessEnv(): WebhookSecretsSetting | undefined {
  return parseWebhookSecretsSetting(process.env);
}

/** TANGO_WEBHOOK_SECRET, for `sign` and `simulate` (see parseSigningSecretSetting). */
export function loadSigningSecretFromProcessEnv(): string | undefined {
  return parseSigningSecretSetting(process.env);
}
