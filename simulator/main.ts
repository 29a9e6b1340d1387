import { connect, createServer, type Socket } from 'node:net';
import pino from 'pino';
import { CLI_COMMANDS, runCli } from './cli';
import { collectServeFlags, parseArgv, toSimulatorOptions } from './cli-args';
import { startSimulator } from './index';

const LOOPBACK = '127.0.0.1';

interface Relay {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Accepts connections on `host:port` and pipes each to the simulator on 127.0.0.1 (which never listens
 * elsewhere), so that a container can publish it: `--host 0.0.0.0`. The Host header passes through unchanged, so
 * `next`/`previous` links name the address the client used.
 */
async function startRelay(host: string, port: number, targetPort: number): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: LOOPBACK, port: targetPort });
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    sockets.add(client);
    sockets.add(upstream);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) {
          socket.destroy();
        }
        server.close(() => {
          resolve();
        });
      }),
  };
}

/**
 * Standalone entry: `node dist/simulator/main.js [--flags]` serves the simulator;
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
  const relayed = serveFlags.host !== LOOPBACK;
  const options = toSimulatorOptions(serveFlags);
  const simulator = await startSimulator(relayed ? { ...options, port: 0 } : options);
  let relay: Relay | undefined;
  if (relayed) {
    try {
      relay = await startRelay(serveFlags.host, serveFlags.port, simulator.port);
    } catch (error) {
      await simulator.close();
      throw error;
    }
  }
  logger.info(
    {
      baseUrl: simulator.baseUrl,
      ...(relay === undefined ? {} : { listening: `${serveFlags.host}:${relay.port}` }),
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
    Promise.all([relay?.close(), simulator.close()]).then(
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
