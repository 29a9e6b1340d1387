import pino from 'pino';
import { CLI_COMMANDS, runCli } from './cli';
import { collectServeFlags, parseArgv, toSimulatorOptions } from './cli-args';
import { startSimulator } from './index';

/**
 * Standalone entry: `node dist/src/simulator/main.js [--flags]` serves the simulator;
 * `main.js simulate|sample|event-types ...` runs the CLI instead.
 */
async function main(argv: readonly string[]): Promise<void> {
  const first = argv[0];
  if (first !== undefined && (CLI_COMMANDS as readonly string[]).includes(first)) {
    process.exitCode = await runCli(argv);
    return;
  }
  const { flags } = parseArgv(first === 'serve' ? argv.slice(1) : argv);
  const serveFlags = collectServeFlags(flags, process.env);
  const logger = pino({ name: 'tango-simulator', level: serveFlags['log-level'] });
  const simulator = await startSimulator(toSimulatorOptions(serveFlags));
  logger.info(
    {
      baseUrl: simulator.baseUrl,
      sizes: simulator.options.sizes,
      apiKeys: simulator.options.apiKeys.length,
      timeScale: simulator.options.timeScale,
    },
    'simulator listening',
  );
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) {
      return;
    }
    closing = true;
    logger.info({ signal }, 'simulator stopping');
    simulator.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error({ err: error }, 'simulator close failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', () => {
    shutdown('SIGINT');
  });
  process.once('SIGTERM', () => {
    shutdown('SIGTERM');
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
