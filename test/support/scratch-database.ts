import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { randomBytes } from 'node:crypto';
import { requireEnv } from './test-config';
import { withDatabaseName } from './test-database';

/**
 * A throwaway database on the test server, for tests that change the schema itself (migration round trips) and
 * must not disturb the shared, migrated test database. Dropped by `drop()`.
 */
export class ScratchDatabase {
  private constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  static async create(label: string): Promise<ScratchDatabase> {
    const name = `tango_sync_test_${label}_${randomBytes(4).toString('hex')}`;
    const testUrl = requireEnv('TEST_DATABASE_URL');
    const owner = decodeURIComponent(new URL(testUrl).username) || 'postgres';
    await withAdmin(async (admin) => {
      await admin.query(`CREATE DATABASE ${name} OWNER "${owner.replace(/"/g, '""')}"`);
    });
    return new ScratchDatabase(name, withDatabaseName(testUrl, name));
  }

  /** A scratch database with every migration applied, and a DataSource on it; `close()` destroys both. */
  static async migrated(
    label: string,
    poolSize = 3,
  ): Promise<{ scratch: ScratchDatabase; dataSource: DataSource; close: () => Promise<void> }> {
    const scratch = await ScratchDatabase.create(label);
    const dataSource = new DataSource(
      buildDataSourceOptions({
        url: scratch.url,
        poolSize,
        statementTimeoutMs: 30_000,
        migrationsRun: false,
      }),
    );
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    return {
      scratch,
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await scratch.drop();
      },
    };
  }

  async drop(): Promise<void> {
    await withAdmin(async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    });
  }
}

async function withAdmin(work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** Undoes, newest first, every applied migration newer than `name` (so a test can step back to that one). */
export async function undoMigrationsNewerThan(dataSource: DataSource, name: string): Promise<void> {
  for (;;) {
    const rows = await dataSource.query<{ name: string }[]>(
      'SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1',
    );
    if (rows[0] === undefined || rows[0].name === name) {
      return;
    }
    await dataSource.undoLastMigration({ transaction: 'each' });
  }
}
