import { Command, CommanderError } from 'commander';
import { ConfigValidationError } from '../config/app-config';
import { cliContext, type CliIo, type GlobalOptions } from './cli-context';
import { CliUsageError } from './cli-errors';
import { registerBackfillCommands } from './commands/backfill';
import { registerContractCommands } from './commands/contract-diff';
import { registerHistoryCommand } from './commands/history';
import { registerMigrateCommands } from './commands/migrate';
import { registerRebuildCommand } from './commands/rebuild';
import { registerRedriveCommand } from './commands/redrive';
import { registerReplayEventsCommand } from './commands/replay-events';
import { registerReprocessDeliveriesCommand } from './commands/reprocess-deliveries';
import { registerResourcesCommands } from './commands/resources';
import { registerRetentionCommand } from './commands/retention';
import { registerServeCommand } from './commands/serve';
import { registerShapesCommand } from './commands/shapes';
import { registerSigningCommands } from './commands/signing';
import { registerTangoCommands } from './commands/tango';

export { type CliIo, CliUsageError };

/**
 * The whole command tree, one file per command group under commands/ (in the order `--help` lists them). Nothing
 * is read from the environment until a command runs, so `--help` needs none.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('tango-sync')
    .description('Mirror the Tango federal-spending API into Postgres and publish change events to Kafka.')
    .option('--verbose', 'debug logs, and a stack trace with errors', false)
    .option('--json', 'machine-readable output where a command has a human one', false)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const context = cliContext(io, globals);

  registerServeCommand(program);
  registerMigrateCommands(program, context);
  registerReprocessDeliveriesCommand(program, context);
  registerBackfillCommands(program, context);
  registerRedriveCommand(program, context);
  registerShapesCommand(program, context);
  registerResourcesCommands(program, context);
  registerReplayEventsCommand(program, context);
  registerHistoryCommand(program, context);
  registerRebuildCommand(program, context);
  registerRetentionCommand(program, context);
  registerTangoCommands(program, context);
  registerContractCommands(program, context);
  registerSigningCommands(program, io, globals);
  return program;
}

/** A failure in one line: settings problems all together, anything else by its message. */
function failureMessage(error: unknown): string {
  if (error instanceof ConfigValidationError) {
    return `missing or invalid settings: ${error.problems.join('; ')}`;
  }
  return error instanceof Error ? error.message : String(error);
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
    io.err(`tango-sync ${name}: ${failureMessage(error)}\n`);
    if (verbose && error instanceof Error && error.stack !== undefined) {
      io.err(`${error.stack}\n`);
    }
    return 1;
  }
}
