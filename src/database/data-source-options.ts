import { type DataSourceOptions } from 'typeorm';
import { type AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { TypeOrmLogBridge } from './typeorm-log-bridge';

/**
 * The one DataSource definition, shared by the Nest application and the TypeORM CLI (data-source.ts).
 * The schema changes only through the explicitly registered migrations: `synchronize` is always false.
 */
export function buildDataSourceOptions(
  db: AppConfig['db'],
  applicationName = 'tango-sync',
): DataSourceOptions {
  return {
    type: 'postgres',
    url: db.url,
    synchronize: false,
    migrationsRun: false,
    migrations: [...MIGRATIONS],
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    entities: [],
    poolSize: db.poolSize,
    connectTimeoutMS: 5_000,
    applicationName,
    logging: ['error', 'warn', 'migration'],
    logger: new TypeOrmLogBridge(),
    maxQueryExecutionTime: 2_000,
    extra: {
      statement_timeout: db.statementTimeoutMs,
      idle_in_transaction_session_timeout: db.statementTimeoutMs * 2,
      // Keep a broken pool from hanging requests forever while Postgres is down.
      connectionTimeoutMillis: 5_000,
    },
  };
}
