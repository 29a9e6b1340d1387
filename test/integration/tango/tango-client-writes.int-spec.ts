import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Logger } from '@nestjs/common';
import { parseOperatorConfig } from '../../../src/config/app-config';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { LocalRequestPacer } from '../../../src/tango/request-pacer';
import { TangoApiVersionTracker, UnstoredApiVersions } from '../../../src/tango/tango-api-version';
import { TangoClient } from '../../../src/tango/tango-client';
import { TangoRequestError } from '../../../src/tango/tango-errors';
import { TangoWebhooksApi } from '../../../src/tango/tango-webhooks-api';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A local HTTP server standing in for Tango, answering each request with the next scripted handler. */
describe("writes to Tango's management API", () => {
  let server: Server;
  let baseUrl: string;
  let script: Handler[];
  let seen: { method: string; url: string; body: string; contentType: string | undefined }[];
  let client: TangoClient;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        seen.push({
          method: request.method ?? '',
          url: request.url ?? '',
          body,
          contentType: request.headers['content-type'],
        });
        const next = script.shift() ?? ((_q, _b, r) => r.writeHead(500).end());
        next(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  beforeEach(() => {
    script = [];
    seen = [];
    const { config } = parseOperatorConfig({
      TANGO_BASE_URL: baseUrl,
      TANGO_API_KEY: 'k',
      TANGO_MAX_ATTEMPTS: '3',
      TANGO_BACKOFF_BASE_MS: '1',
      TANGO_BACKOFF_MAX_MS: '5',
    });
    const metrics = new MetricsService();
    const versions = new TangoApiVersionTracker(config, new UnstoredApiVersions(), metrics);
    client = new TangoClient(config, new LocalRequestPacer(), metrics, versions);
  });

  afterEach(async () => {
    await client.onApplicationShutdown();
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const json =
    (status: number, value: unknown): Handler =>
    (_request, _body, response) => {
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };

  it('sends JSON, and resends a write only after a 429 (Tango did nothing)', async () => {
    script = [
      json(429, { detail: 'Request was throttled.', wait_in_seconds: 0 }),
      json(201, { id: 'e1', name: 'n', callback_url: 'https://x', is_active: true, secret: 's' }),
    ];
    const api = new TangoWebhooksApi(client);
    const created = await api.createEndpoint({ name: 'n', callback_url: 'https://x' });
    expect(created.secret).toBe('s');
    expect(seen.map((request) => [request.method, request.url, request.contentType])).toEqual([
      ['POST', '/api/webhooks/endpoints/', 'application/json'],
      ['POST', '/api/webhooks/endpoints/', 'application/json'],
    ]);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ name: 'n', callback_url: 'https://x' });
  });

  it('never resends a write after a 5xx (it may have been applied), but a read it does', async () => {
    script = [json(502, { detail: 'bad gateway' })];
    await expect(
      client.write({ method: 'POST', path: '/api/webhooks/alerts/', body: { name: 'a' }, route: 'test' }),
    ).rejects.toMatchObject({ failure: 'server_error', status: 502 });
    expect(seen).toHaveLength(1);
    script = [json(502, {}), json(200, { event_types: [] })];
    await expect(new TangoWebhooksApi(client).eventTypes()).resolves.toEqual({ event_types: [] });
    expect(seen).toHaveLength(3);
  });

  it('reads a 204 as no body, a 404 on delete as already gone, and a 400 as Tango refusing with its reasons', async () => {
    const api = new TangoWebhooksApi(client);
    script = [(_q, _b, response) => response.writeHead(204).end()];
    await expect(api.deleteAlert('a/1')).resolves.toBe(true);
    expect(seen[0]).toMatchObject({ method: 'DELETE', url: '/api/webhooks/alerts/a%2F1/' });
    script = [json(404, { detail: 'Not found.' })];
    await expect(api.deleteAlert('gone')).resolves.toBe(false);
    script = [json(400, { name: ['webhook endpoint with this name already exists.'] })];
    const refused = api.createEndpoint({ name: 'n', callback_url: 'https://x' });
    await expect(refused).rejects.toBeInstanceOf(TangoRequestError);
    await expect(refused).rejects.toThrow(
      'Tango answered 400: name: webhook endpoint with this name already exists.',
    );
  });

  it('refuses an answer that is not what the API documents', async () => {
    script = [json(200, { results: [{ id: 1 }], next: null })];
    await expect(new TangoWebhooksApi(client).listEndpoints()).rejects.toThrow(
      /webhooks\.endpoints\.list .*is not what its API documents: item 0 of page 1/,
    );
  });
});
