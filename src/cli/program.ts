import { Command, CommanderError, Option } from 'commander';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createRootLogger, PinoNestLogger } from '../common/logging/logger';
import { isResourceFamily, RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { ConfigValidationError } from '../config/app-config';
import { loadDatabaseConfigFromProcessEnv, loadToolConfigFromProcessEnv } from '../config/process-env';
import { buildDataSourceOptions } from '../database/data-source-options';
import { SnapshotReplayService } from '../events/snapshot-replay.service';
import { FetchTargetRepository } from '../fetcher/fetch-target.repository';
import { HistoryReplayService } from '../history/history-replay.service';
import { HistoryRepository } from '../history/history.repository';
import { JobRunner } from '../jobs/job-runner';
import { RetentionService } from '../retention/retention.service';
import { serve } from '../serve';
import { FamilyShapes } from '../tango/family-shapes';
import { DeliveryReprocessor } from '../webhook/delivery-reprocessor';
import { registerBackfillCommands } from './backfill-commands';
import { CliUsageError } from './cli-errors';
import { CliModule } from './cli.module';
import { formatTimeline } from './format-timeline';
import { registerSigningCommands } from './signing-commands';
import { registerTangoCommands } from './tango-commands';

/** Where the program writes; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export { CliUsageError };

interface GlobalOptions {
  readonly verbose: boolean;
  readonly json: boolean;
}

const FAMILY_LIST = RESOURCE_FAMILIES.join(', ');

function family(value: string): ResourceFamily {
  if (!isResourceFamily(value)) {
    throw new CliUsageError(`unknown family "${value}" (one of: ${FAMILY_LIST})`);
  }
  return value;
}

function time(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    throw new CliUsageError(`${option} must be an ISO time, got "${value}"`);
  }
  return parsed;
}

/**
 * The application context a tool command runs in: the database and the services it drives, no HTTP server, no
 * Kafka. It asks only for the settings tools need (DATABASE_URL; Tango's for Tango calls) and closes after.
 */
async function withTools<T>(
  verbose: boolean,
  work: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const config = loadToolConfigFromProcessEnv();
  const logger = createRootLogger({
    level: verbose ? 'debug' : config.log.level === 'info' ? 'warn' : config.log.level,
    format: config.log.format,
  });
  const app = await NestFactory.createApplicationContext(CliModule.forConfig(config), {
    logger: new PinoNestLogger(logger),
  });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/**
 * A DataSource on DATABASE_URL alone (migrations need nothing else). Its logs go to stderr (only errors unless
 * --verbose), so stdout carries the command's answer alone.
 */
async function withDatabase<T>(verbose: boolean, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const db = loadDatabaseConfigFromProcessEnv();
  Logger.overrideLogger(
    new PinoNestLogger(
      createRootLogger({ level: verbose ? 'debug' : 'error', format: 'json' }, pino.destination(2)),
    ),
  );
  const dataSource = new DataSource({
    ...buildDataSourceOptions({ ...db, migrationsRun: false }),
    logging: false,
  });
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** The whole command tree. Nothing is read from the environment until a command runs, so `--help` needs none. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('tango-sync')
    .description('Mirror the Tango federal-spending API into Postgres and publish change events to Kafka.')
    .option('--verbose', 'debug logs, and a stack trace with errors', false)
    .option('--json', 'machine-readable output where a command has a human one', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const print = (value: unknown): void => {
    io.out(`${JSON.stringify(value)}\n`);
  };

  program
    .command('serve')
    .description('run the worker: webhook receiver, relays, fetcher, scheduled jobs, /health and /metrics')
    .action(() => serve());

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
      const rows = await withDatabase(globals().verbose, async (dataSource) => {
        const applied = new Set(
          (
            await dataSource.query<{ name: string }[]>('SELECT name FROM typeorm_migrations').catch(() => [])
          ).map((row) => row.name),
        );
        return dataSource.migrations.map((migration) => ({
          name: migration.name ?? migration.constructor.name,
          applied: applied.has(migration.name ?? migration.constructor.name),
        }));
      });
      if (globals().json) {
        print({ command: 'migrate status', migrations: rows });
      } else {
        io.out(rows.map((row) => `${row.applied ? 'applied' : 'pending'}  ${row.name}`).join('\n') + '\n');
      }
    });

  program
    .command('reprocess-deliveries')
    .description(
      're-parse stored unrecognized/malformed deliveries with the current parser and enqueue their targets',
    )
    .option('--dry-run', 'only count what would change', false)
    .action(async (options: { dryRun: boolean }) => {
      const summary = await withTools(globals().verbose, (app) =>
        app.get(DeliveryReprocessor).reprocessAll({ dryRun: options.dryRun }),
      );
      print({ command: 'reprocess-deliveries', dryRun: options.dryRun, ...summary });
    });

  registerBackfillCommands(program, io, globals, withTools);

  program
    .command('redrive')
    .description(
      'put dead-lettered records (or, with --all-open, every open fetch failure) back in the fetch outbox',
    )
    .argument('[family]', `one of: ${FAMILY_LIST} (default: all)`, family)
    .option('--all-open', 'also records that are failing but not dead-lettered yet', false)
    .action(async (name: ResourceFamily | undefined, options: { allOpen: boolean }) => {
      const enqueued = await withTools(globals().verbose, (app) =>
        app.get(FetchTargetRepository).redrive({
          ...(name === undefined ? {} : { resource: name }),
          includeOpen: options.allOpen,
        }),
      );
      print({ command: 'redrive', family: name ?? 'all', enqueued });
    });

  program
    .command('shapes')
    .description("show each family's shape state (full, reduced after Tango refused items, or unshaped)")
    .addOption(new Option('--restore <family>', 'put a family back on its full shape').argParser(family))
    .action(async (options: { restore?: ResourceFamily }) => {
      const states = await withTools(globals().verbose, async (app) => {
        const shapes = app.get(FamilyShapes);
        if (options.restore !== undefined) {
          await shapes.restore(options.restore, 'restored by an operator (tango-sync shapes --restore)');
        }
        return shapes.allStates();
      });
      for (const state of states) {
        print({ command: 'shapes', ...state });
      }
    });

  program
    .command('replay-events')
    .description(
      "re-emit a family's current state as snapshot events (--since), or re-publish a window's original events " +
        'from the record history (--from and --to)',
    )
    .argument('<family>', `one of: ${FAMILY_LIST}`, family)
    .option('--since <time>', 'snapshot: only records changed at or after this ISO time')
    .option('--from <time>', 'history: window start (ISO time, inclusive)')
    .option('--to <time>', 'history: window end (ISO time, exclusive)')
    .option('--replay-id <id>', 'resume an interrupted replay without writing anything twice')
    .action(
      async (
        name: ResourceFamily,
        options: { since?: string; from?: string; to?: string; replayId?: string },
      ) => {
        const replayId = options.replayId === undefined ? {} : { replayId: options.replayId };
        if (options.from !== undefined || options.to !== undefined) {
          const from = time('--from', options.from);
          const to = time('--to', options.to);
          if (from === undefined || to === undefined || options.since !== undefined) {
            throw new CliUsageError('a replay from history needs both --from and --to, and no --since');
          }
          const summary = await withTools(globals().verbose, (app) =>
            app.get(HistoryReplayService).replay(name, { from, to, ...replayId }),
          );
          print({ command: 'replay-events', source: 'history', ...summary });
          return;
        }
        const since = time('--since', options.since);
        const summary = await withTools(globals().verbose, (app) =>
          app
            .get(SnapshotReplayService)
            .replay(name, { ...(since === undefined ? {} : { since }), ...replayId }),
        );
        print({ command: 'replay-events', source: 'snapshot', ...summary });
      },
    );

  program
    .command('history')
    .description('the versions of one record: when each was valid, why it was fetched, what changed')
    .argument('<family>', `one of: ${FAMILY_LIST}`, family)
    .argument('<record-id>', "the record's id (contract key, UEI, …)")
    .action(async (name: ResourceFamily, recordId: string) => {
      const versions = await withTools(globals().verbose, (app) =>
        app.get(HistoryRepository).timeline(name, recordId),
      );
      if (versions.length === 0) {
        throw new Error(`no history for ${name} ${recordId}`);
      }
      io.out(globals().json ? `${JSON.stringify(versions)}\n` : formatTimeline(name, recordId, versions));
    });

  program
    .command('retention')
    .description("run the retention job once now (under the same lock as the workers' runs)")
    .action(async () => {
      const result = await withTools(globals().verbose, async (app) => {
        let pruned: unknown = null;
        const outcome = await app
          .get(JobRunner)
          .tick('retention', { intervalMs: 0, force: true }, async () => {
            pruned = await app.get(RetentionService).run();
            return { pruned, by: 'cli' };
          });
        return { ...outcome, pruned };
      });
      print({ command: 'retention', ...result });
      if (!result.ran) {
        process.exitCode = 1;
      }
    });

  registerTangoCommands(program, io, globals);
  registerSigningCommands(program, io, globals);

  return program;
}

/**
 * Runs the program and returns the exit code: 0 for success and for --help, 2 for usage errors (unknown command or
 * option, bad argument), 1 for failures, each said in one line (the stack only with --verbose).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version print and exit 0; every parse error was already printed in one line by commander.
      return error.exitCode === 0 ? 0 : 2;
    }
    const verbose = program.opts<GlobalOptions>().verbose;
    const name = program.args[0] ?? 'tango-sync';
    if (error instanceof CliUsageError) {
      io.err(`tango-sync ${name}: ${error.message}\n(run tango-sync ${name} --help for usage)\n`);
      return 2;
    }
    const message =
      error instanceof ConfigValidationError
        ? `missing or invalid settings: ${error.problems.join('; ')}`
        : error instanceof Error
          ? error.message
          : String(error);
    io.err(`tango-sync ${name}: ${message}\n`);
    if (verbose && error instanceof Error && error.stack !== undefined) {
      io.err(`${error.stack}\n`);
    }
    return 1;
  }
}
