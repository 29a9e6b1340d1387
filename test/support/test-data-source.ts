import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { requireEnv } from './test-config';

/**
 * A DataSource on the shared, migrated test database (TEST_DATABASE_URL) for repository-level suites, with Nest's
 * logger silenced; the suite destroys it in afterAll.
 */
export async function openTestDataSource(poolSize = 3): Promise<DataSource> {
  Logger.overrideLogger(false);
  const dataSource = new DataSource(
    buildDataSourceOptions({
      url: requireEnv('TEST_DATABASE_URL'),
      poolSize,
      statementTimeoutMs: 30_000,
      migrationsRun: false,
    }),
  );
  await dataSource.initialize();
  return dataSource;
}
