import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { APP_CONFIG } from '../config/config.module';
import { type AppConfig } from '../config/app-config';

/** Arbitrary but fixed: every tango-sync replica contends for the same advisory lock. */
export const MIGRATION_LOCK_KEY = 7_261_337_001;
const LOCK_WAIT_MS = 120_000;
const LOCK_POLL_MS = 250;

/**
 * Applies pending migrations at boot, under a Postgres advisory lock so that two replicas never migrate at once
 * (the second waits, then finds nothing to do).
 */
@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger(MigrationRunner.name);

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.db.migrationsRun) {
      this.logger.log('migrations at boot are switched off (DATABASE_MIGRATIONS_RUN=false)');
      return;
    }
    await this.runPendingMigrations();
  }

  async runPendingMigrations(): Promise<string[]> {
    const lockRunner = this.dataSource.createQueryRunner();
    await lockRunner.connect();
    try {
      await this.acquireLock(lockRunner.query.bind(lockRunner));
      try {
        const applied = await this.dataSource.runMigrations({ transaction: 'each' });
        const names = applied.map((migration) => migration.name);
        this.logger.log({ applied: names }, names.length > 0 ? 'migrations applied' : 'schema is up to date');
        return names;
      } catch (error) {
        throw new AppError('DATABASE.MIGRATION_FAILED', 'applying migrations failed', undefined, {
          cause: error,
        });
      } finally {
        await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await lockRunner.release();
    }
  }

  private async acquireLock(query: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    let waitingLogged = false;
    for (;;) {
      const rows = (await query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY])) as {
        locked: boolean;
      }[];
      if (rows[0]?.locked === true) {
        return;
      }
      if (Date.now() > deadline) {
        throw new AppError(
          'DATABASE.MIGRATION_FAILED',
          `another process held the migration lock for ${LOCK_WAIT_MS} ms`,
        );
      }
      if (!waitingLogged) {
        this.logger.log('another replica is migrating; waiting for its lock');
        waitingLogged = true;
      }
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }
}
