import { randomBytes } from 'node:crypto';
import { parseConfig, type AppConfig } from '../../src/config/app-config';
import { NO_TANGO } from './no-public-tango';

/** A short random suffix so that each test file has its own topics and consumer groups on the shared broker. */
export function uniqueSuffix(): string {
  return `${process.env.JEST_WORKER_ID ?? '0'}-${randomBytes(4).toString('hex')}`;
}

export function requireEnv(
  name: 'TEST_DATABASE_URL' | 'TEST_KAFKA_BROKERS' | 'TEST_DATABASE_ADMIN_URL',
): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: integration and e2e tests run through jest's globalSetup (npm test)`,
    );
  }
  return value;
}

/** Configuration for an app under test: real services, unique topic prefix, quiet logs. */
export function testConfig(overrides: Record<string, string> = {}): AppConfig {
  return parseConfig({
    NODE_ENV: 'test',
    // Quiet by default (failures speak through assertions); TEST_LOG_LEVEL=debug to see the worker's logs.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    HTTP_PORT: '0',
    DATABASE_URL: requireEnv('TEST_DATABASE_URL'),
    DATABASE_POOL_SIZE: '4',
    KAFKA_BROKERS: requireEnv('TEST_KAFKA_BROKERS'),
    KAFKA_TOPIC_PREFIX: `test-${uniqueSuffix()}`,
    KAFKA_TOPIC_PARTITIONS: '3',
    WEBHOOK_SECRETS: 'test-secret',
    // Never Tango's public URL (the configuration's default): a test that talks to Tango names its simulator.
    TANGO_BASE_URL: NO_TANGO,
    HEALTH_CHECK_TIMEOUT_MS: '1500',
    // Tests drive gap detection and reconciliation themselves: no background jobs counting requests.
    HEALTH_ALERT_POLL_INTERVAL_MS: '0',
    HEALTH_RECONCILE_INTERVAL_MS: '0',
    HEALTH_SHAPE_PROBE_INTERVAL_MS: '0',
    HEALTH_HISTORY_CHECK_INTERVAL_MS: '0',
    // Nor the newest-first poll or the modified_after probe (which the latter sends at start): freshness e2e drives them.
    HEALTH_NEWEST_POLL_INTERVAL_SECONDS: '0',
    HEALTH_MODIFIED_SINCE_PROBE_INTERVAL_SECONDS: '0',
    RETENTION_INTERVAL_MS: '0',
    // The nine families unless a test turns contract resources on (their refreshes then run on its command).
    TANGO_RESOURCES: 'families',
    RESOURCE_REFRESH_INTERVAL_MS: '0',
    ...overrides,
  });
}
