import { Logger } from '@nestjs/common';
import { ShutdownState } from '../../src/health/shutdown-state';
import { TcpProxy } from '../support/tcp-proxy';
import { requireEnv, testConfig } from '../support/test-config';
import { startTestApp, type RunningTestApp } from '../support/test-app';
import { withDatabaseName } from '../support/test-database';

interface HealthBody {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

async function getJson(url: string): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('health endpoints of the running service', () => {
  let proxy: TcpProxy;
  let running: RunningTestApp;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const databaseUrl = new URL(requireEnv('TEST_DATABASE_URL'));
    proxy = await TcpProxy.start(databaseUrl.hostname, Number(databaseUrl.port || 5432));
    const proxiedUrl = new URL(withDatabaseName(databaseUrl.toString(), databaseUrl.pathname.slice(1)));
    proxiedUrl.port = String(proxy.port);
    running = await startTestApp(
      testConfig({
        DATABASE_URL: proxiedUrl.toString(),
        HEALTH_CHECK_TIMEOUT_MS: '1000',
        RELAY_ENABLED: 'false',
        FETCHER_ENABLED: 'false',
      }),
    );
  });

  afterAll(async () => {
    proxy.restore();
    await running.close();
    await proxy.close();
  });

  it('reports the process alive', async () => {
    const { status, body } = await getJson(`${running.baseUrl}/health/live`);
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
  });

  it('is ready when Postgres and Kafka answer', async () => {
    const { status, body } = await getJson(`${running.baseUrl}/health/ready`);
    expect(status).toBe(200);
    expect(body.info).toMatchObject({
      postgres: { status: 'up' },
      kafka: { status: 'up' },
      lifecycle: { status: 'up' },
    });
  });

  it('turns not-ready (503) within the probe timeout while Postgres is unreachable, and ready again after', async () => {
    proxy.cut();
    const started = Date.now();
    const down = await getJson(`${running.baseUrl}/health/ready`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(down.status).toBe(503);
    expect(down.body.error).toMatchObject({ postgres: { status: 'down' } });
    expect(down.body.info).toMatchObject({ kafka: { status: 'up' } });
    const live = await getJson(`${running.baseUrl}/health/live`);
    expect(live.status).toBe(200);

    proxy.restore();
    const up = await eventually(
      () => getJson(`${running.baseUrl}/health/ready`),
      (result) => result.status === 200,
      15_000,
    );
    expect(up.status).toBe(200);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await fetch(`${running.baseUrl}/no/such/route`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/json/);
  });

  it('turns not-ready as soon as shutdown begins, while still alive', async () => {
    running.app.get(ShutdownState).beforeApplicationShutdown();
    const { status, body } = await getJson(`${running.baseUrl}/health/ready`);
    expect(status).toBe(503);
    expect(body.error).toMatchObject({ lifecycle: { status: 'down', message: 'shutting down' } });
  });
});
