import { type Command } from 'commander';
import { serve } from '../../serve';

/** `serve`: the worker. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the worker: webhook receiver, relays, fetcher, scheduled jobs, /health and /metrics')
    .action(() => serve());
}
