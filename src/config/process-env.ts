import { parseConfig, parseDatabaseConfig, type AppConfig } from './app-config';

let cached: AppConfig | undefined;

/**
 * The one place that reads `process.env`. Parsed once per process; every other module receives the typed
 * `AppConfig` through dependency injection (see ConfigModule).
 */
export function loadConfigFromProcessEnv(): AppConfig {
  cached ??= parseConfig(process.env);
  return cached;
}

/** For tools that need only the database (the TypeORM CLI): parses just the DATABASE_* keys. */
export function loadDatabaseConfigFromProcessEnv(): AppConfig['db'] {
  return parseDatabaseConfig(process.env);
}

/** A copy of the raw environment, for entry points that add their own defaults before parsing. */
export function loadRawEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}
