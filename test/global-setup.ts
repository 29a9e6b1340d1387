/**
 * Runs once before the integration and e2e projects. Connection settings come from TEST_DATABASE_URL and
 * TEST_KAFKA_BROKERS (scripts/services.sh writes them); without them it starts containers with testcontainers,
 * and without Docker it fails with a message that says how to start the local services.
 * The test database is reset and migrated with the real migrations.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { assertTestDatabaseUrl } from './support/test-database';

interface Stoppable {
  stop(): Promise<unknown>;
}

const HOW_TO =
  'Start local services with `bash scripts/services.sh up && source .services/env` (or run `npm test`, which does both).';

function noContainerRuntime(variable: string, error: unknown): never {
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(
    `${variable} is not set and testcontainers could not start a container (${reason}). ${HOW_TO}`,
  );
}

async function waitForKafka(brokers: string[], timeoutMs = 60_000): Promise<void> {
  const admin = new Kafka({ clientId: 'tango-sync-test-setup', brokers, logLevel: logLevel.NOTHING }).admin();
  const started = Date.now();
  for (;;) {
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.listTopics();
      await admin.disconnect();
      return;
    } catch (error) {
      await admin.disconnect().catch(() => undefined);
      if (Date.now() - started > timeoutMs) {
        throw new Error(`Kafka at ${brokers.join(',')} is not ready: ${String(error)}. ${HOW_TO}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function resetAndMigrate(url: string): Promise<void> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, poolSize: 2, statementTimeoutMs: 60_000, migrationsRun: false }),
  );
  await dataSource.initialize();
  try {
    await dataSource.query('DROP SCHEMA IF EXISTS analyst CASCADE');
    await dataSource.query('DROP SCHEMA IF EXISTS public CASCADE');
    await dataSource.query('CREATE SCHEMA public');
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

export default async function globalSetup(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']);
  const started: Stoppable[] = [];
  if (!process.env.TEST_DATABASE_URL) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine')
      .withDatabase('tango_sync_test')
      .start()
      .catch((error: unknown) => noContainerRuntime('TEST_DATABASE_URL', error));
    process.env.TEST_DATABASE_URL = container.getConnectionUri();
    process.env.TEST_DATABASE_ADMIN_URL = container.getConnectionUri();
    started.push(container);
  }
  if (!process.env.TEST_KAFKA_BROKERS) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.1')
      .withKraft()
      .start()
      .catch((error: unknown) => noContainerRuntime('TEST_KAFKA_BROKERS', error));
    process.env.TEST_KAFKA_BROKERS = `${container.getHost()}:${container.getMappedPort(9093)}`;
    started.push(container);
  }
  const databaseUrl = process.env.TEST_DATABASE_URL;
  assertTestDatabaseUrl(databaseUrl);
  process.env.TEST_DATABASE_ADMIN_URL ??= databaseUrl;
  await resetAndMigrate(databaseUrl);
  await waitForKafka(process.env.TEST_KAFKA_BROKERS.split(','));
  (globalThis as { __TANGO_SYNC_CONTAINERS__?: Stoppable[] }).__TANGO_SYNC_CONTAINERS__ = started;
}
