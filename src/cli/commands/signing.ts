import { type Command } from 'commander';
import { cliContext, type CliIo, type GlobalOptions } from '../cli-context';
import { registerSignCommand } from './sign';
import { registerSimulateCommand } from './simulate';
import { registerVerifyCommand } from './verify';

/**
 * Local webhook tools, modelled on Tango's SDK CLIs (`tango webhooks sign|verify|simulate`): sign a body the way
 * Tango does, check a saved delivery against the configured secrets, and POST a signed delivery to a receiver
 * (this worker's, usually). Nothing here talks to Tango, and no secret is ever printed (only its fingerprint).
 */
export function registerSigningCommands(program: Command, io: CliIo, globals: () => GlobalOptions): void {
  const context = cliContext(io, globals);
  registerSignCommand(program, context);
  registerVerifyCommand(program, context);
  registerSimulateCommand(program, context);
}
