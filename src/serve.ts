import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigValidationError } from './config/app-config';
import { loadConfigFromProcessEnv } from './config/process-env';
import { createRootLogger } from './common/logging/logger';

/** Runs the worker until a signal stops it (the image's default command, and `tango-sync serve`). */
export async function serve(): Promise<void> {
  let config;
  try {
    config = loadConfigFromProcessEnv();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`tango-sync: ${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const rootLogger = createRootLogger({ level: config.log.level, format: config.log.format });
  const app = await createApp(config, rootLogger);
  await app.listen({ host: config.http.host, port: config.http.port });
  const logger = new Logger('Bootstrap');
  logger.log({ url: await app.getUrl(), env: config.env }, 'tango-sync is listening');

  // A stuck shutdown must not hang forever: the orchestrator's SIGKILL would lose the log line that says why.
  const forceExit = (): void => {
    setTimeout(() => {
      logger.error({ timeoutMs: config.http.shutdownTimeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, config.http.shutdownTimeoutMs).unref();
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);
}
