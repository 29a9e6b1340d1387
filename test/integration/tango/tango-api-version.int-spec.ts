import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { parseOperatorConfig } from '../../../src/config/app-config';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { LocalRequestPacer } from '../../../src/tango/request-pacer';
import { PostgresApiVersionStore, TangoApiVersionTracker } from '../../../src/tango/tango-api-version';
import { TangoClient } from '../../../src/tango/tango-client';
import { ScratchDatabase } from '../../support/scratch-database';

/** A stand-in for Tango answering `{}` with whatever `x-tango-api-version` the test sets (none when undefined). */
describe('the live Tango API version, read from every answer and kept in Postgres', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  let server: Server;
  let header: string | undefined;
  let baseUrl: string;
  const clients: TangoClient[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    ({ dataSource, close } = await ScratchDatabase.migrated('api_version', 3));
    server = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'application/json',
        ...(header === undefined ? {} : { 'x-tango-api-version': header }),
      });
      response.end('{"results": []}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.onApplicationShutdown()));
    await new Promise((resolve) => server.close(resolve));
    await close();
  });

  /** One replica's client and tracker. */
  function replica(): { client: TangoClient; tracker: TangoApiVersionTracker } {
    const { config } = parseOperatorConfig({ TANGO_BASE_URL: baseUrl, TANGO_API_KEY: 'k' });
    const metrics = new MetricsService();
    const tracker = new TangoApiVersionTracker(config, new PostgresApiVersionStore(dataSource), metrics);
    const client = new TangoClient(config, new LocalRequestPacer(), metrics, tracker);
    clients.push(client);
    return { client, tracker };
  }

  const get = (client: TangoClient) =>
    client.get({ path: '/api/contracts/', priority: 'live', route: 'contracts.list' });

  /** The stored row and its physical version (ctid changes on every write). */
  async function row(): Promise<{ version: string; ctid: string } | undefined> {
    const rows = await dataSource.query<{ version: string; ctid: string }[]>(
      'SELECT version, ctid::text AS ctid FROM tango_api_version',
    );
    return rows[0];
  }

  it('records "unknown" (no row) while answers carry no readable version, and answers normally', async () => {
    const { client, tracker } = replica();
    header = undefined;
    expect((await get(client)).status).toBe(200);
    header = 'not-a-version';
    expect((await get(client)).status).toBe(200);
    expect(await tracker.newest()).toBeNull();
  });

  it('stores the version once, keeps the newest across replicas, and says when it was first seen', async () => {
    const first = replica();
    header = '4.22.0';
    await get(first.client);
    const stored = await row();
    expect(stored?.version).toBe('4.22.0');
    await get(first.client);
    await get(replica().client);
    expect(await row()).toEqual(stored);

    header = '4.25.1';
    const before = new Date();
    await get(first.client);
    const newest = await first.tracker.newest();
    expect(newest?.version).toBe('4.25.1');
    expect(newest?.seenAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1_000);

    // Another replica still answered by an older Tango node never moves the version back.
    header = '4.22.0';
    const lagging = replica();
    await get(lagging.client);
    expect((await lagging.tracker.newest())?.version).toBe('4.25.1');
  });
});
