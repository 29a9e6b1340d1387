import { type Command } from 'commander';
import { type DataSource } from 'typeorm';
import { type CliContext, withDatabase } from '../cli-context';

interface MigrationState {
  readonly name: string;
  readonly applied: boolean;
}

/** Every migration the code knows, and whether the database has applied it. */
async function migrationStates(dataSource: DataSource): Promise<MigrationState[]> {
  const applied = new Set(
    (await dataSource.query<{ name: string }[]>('SELECT name FROM typeorm_migrations').catch(() => [])).map(
      (row) => row.name,
    ),
  );
  return dataSource.migrations.map((migration) => ({
    name: migration.name ?? migration.constructor.name,
    applied: applied.has(migration.name ?? migration.constructor.name),
  }));
}

/** `migrate up|down|status`: the database migrations, on DATABASE_URL alone. */
export function registerMigrateCommands(program: Command, { io, globals, print }: CliContext): void {
  const migrate = program.command('migrate').description('apply, revert or list the database migrations');
  migrate
    .command('up')
    .description('apply pending migrations (DATABASE_URL)')
    .action(async () => {
      const applied = await withDatabase(globals().verbose, (dataSource) =>
        dataSource.runMigrations({ transaction: 'each' }),
      );
      print({ command: 'migrate up', applied: applied.map((migration) => migration.name) });
    });
  migrate
    .command('down')
    .description('revert the last applied migration (DATABASE_URL)')
    .action(async () => {
      await withDatabase(globals().verbose, (dataSource) =>
        dataSource.undoLastMigration({ transaction: 'each' }),
      );
      print({ command: 'migrate down', reverted: 1 });
    });
  migrate
    .command('status')
    .description('list migrations and whether each is applied (DATABASE_URL)')
    .action(async () => {
      const rows = await withDatabase(globals().verbose, migrationStates);
      if (globals().json) {
        print({ command: 'migrate status', migrations: rows });
      } else {
        io.out(rows.map((row) => `${row.applied ? 'applied' : 'pending'}  ${row.name}`).join('\n') + '\n');
      }
    });
}
