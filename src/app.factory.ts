import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Logger as PinoLogger } from 'pino';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { PinoNestLogger } from './common/logging/logger';
import { type AppConfig } from './config/app-config';
import { recordHttpDurations } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';

/** Builds the application (used by main.ts and by the e2e tests, so both run the same wiring). */
export async function createApp(config: AppConfig, rootLogger: PinoLogger): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.webhook.maxBodyBytes,
    // Requests are logged by the modules that handle them, with their own correlation ids.
    logger: false,
    forceCloseConnections: 'idle',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forConfig(config), adapter, {
    logger: new PinoNestLogger(rootLogger),
    bufferLogs: true,
    abortOnError: false,
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  // Before init: routes and scopes registered while the modules initialise inherit the hook.
  recordHttpDurations(adapter.getInstance(), app.get(MetricsService));
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
