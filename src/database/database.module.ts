import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DatabaseHealth } from './database-health';
import { buildDataSourceOptions } from './data-source-options';
import { MigrationRunner } from './migration-runner';
import { PoolMetrics } from './pool-metrics';
import { PostgresNotifications } from './postgres-notifications';

/**
 * Owns the Postgres connection pool (through TypeORM's DataSource), applies migrations at boot, and closes the
 * pool on shutdown (TypeOrmModule destroys the DataSource in onApplicationShutdown).
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.db),
        // Fail fast at boot: the orchestrator restarts us; an endless in-process retry hides the problem.
        retryAttempts: 3,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [MigrationRunner, DatabaseHealth, PostgresNotifications, PoolMetrics],
  exports: [MigrationRunner, DatabaseHealth, PostgresNotifications],
})
export class DatabaseModule {}
