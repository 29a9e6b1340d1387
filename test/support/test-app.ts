import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory';
import { createRootLogger } from '../../src/common/logging/logger';
import { type AppConfig } from '../../src/config/app-config';

export interface RunningTestApp {
  readonly app: NestFastifyApplication;
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** Starts the real application (same wiring as main.ts) on a free port of 127.0.0.1. */
export async function startTestApp(config: AppConfig): Promise<RunningTestApp> {
  const app = await createApp(config, createRootLogger({ level: config.log.level, format: 'json' }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { app, baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}
