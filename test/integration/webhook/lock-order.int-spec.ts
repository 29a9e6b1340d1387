import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { FetchTargetOutbox } from '../../../src/outbox/fetch-target-outbox';
import { MirrorRepository } from '../../../src/mirror/mirror.repository';
import { parseDelivery } from '../../../src/webhook/delivery-parser';
import { type DeliveryToStore, WebhookRepository } from '../../../src/webhook/webhook.repository';
import { ScratchDatabase } from '../../support/scratch-database';

function deliveryHinting(keys: readonly string[]): DeliveryToStore {
  const rawBody = Buffer.from(
    JSON.stringify({
      delivery_id: randomUUID(),
      events: [
        {
          event_type: 'alerts.contract.match',
          alert_id: 'lock-order-alert',
          query_type: 'contract',
          checked_at: new Date().toISOString(),
          matches: { new_count: keys.length, modified_count: 0, new_ids: keys, modified_ids: [] },
        },
      ],
    }),
  );
  const bodySha256 = createHash('sha256').update(rawBody).digest('hex');
  const parsed = parseDelivery(rawBody);
  return {
    deliveryKey: `${parsed.deliveryId ?? '-'}:${bodySha256}`,
    bodySha256,
    rawBody,
    headers: {},
    receivedAt: new Date(),
    verifiedBy: 'secret:test',
    parsed,
  };
}

const key = (): string => `CONT_AWD_${randomUUID().slice(0, 8).toUpperCase()}_9700_-NONE-_-NONE-`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The interleaving that deadlocked webhook ingest against the fetcher: a fetcher transaction that already holds
 * its family's `sync_state` row and then requeues a record, while an ingest statement hints that record and then
 * updates the family's last delivery. Ingest now only inserts its own rows for that (read through the `delivery_state`
 * view), and every writer of `fetch_targets` takes rows in one order, so neither waits for the other in a cycle.
 */
describe('lock order between webhook ingest and the fetcher', () => {
  let dataSource: DataSource;
  let scratch: ScratchDatabase;
  let close: () => Promise<void>;
  let ingest: WebhookRepository;
  let targets: FetchTargetOutbox;
  let mirror: MirrorRepository;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    ({ dataSource, scratch, close } = await ScratchDatabase.migrated('lock_order', 6));
    ingest = new WebhookRepository(dataSource);
    targets = new FetchTargetOutbox(dataSource);
    mirror = new MirrorRepository(dataSource);
  });

  afterAll(async () => {
    await close();
  });

  function retry(recordId: string): Parameters<FetchTargetOutbox['enqueue']>[0][number] {
    return {
      resource: 'contracts',
      recordId,
      idKind: 'key',
      kind: 'record',
      reason: 'retry',
      priority: 'live',
      sweep: null,
      attempt: 1,
      notBefore: new Date(),
    };
  }

  it('lets a fetcher transaction holding its family state and an ingest statement hinting its records both commit', async () => {
    for (let round = 0; round < 20; round += 1) {
      const [a, b] = [key(), key()].sort();
      await targets.enqueue([retry(a!), retry(b!)]);
      const fetcher = dataSource.transaction(async (manager) => {
        await mirror.touchFetchState('contracts', { succeeded: true, changes: 0, error: null }, manager);
        await sleep(30);
        await targets.enqueue([retry(a!), retry(b!)], manager);
        await sleep(30);
      });
      await sleep(10);
      const stored = ingest.storeDeliveries([deliveryHinting([b!, a!])]);
      await expect(Promise.all([fetcher, stored])).resolves.toBeDefined();
    }
    const deadlocks = await dataSource.query<{ deadlocks: string }[]>(
      'SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
    );
    expect(Number(deadlocks[0]?.deadlocks)).toBe(0);
  });

  it('lets two ingest statements hinting the same records in opposite orders both commit', async () => {
    for (let round = 0; round < 20; round += 1) {
      const keys = Array.from({ length: 6 }, key);
      const results = await Promise.all([
        ingest.storeDeliveries([deliveryHinting(keys)]),
        ingest.storeDeliveries([deliveryHinting([...keys].reverse())]),
        targets.enqueue(keys.map(retry)),
      ]);
      expect(results[0][0]?.outcome).toBe('stored');
      expect(results[1][0]?.outcome).toBe('stored');
    }
    const deadlocks = await dataSource.query<{ deadlocks: string }[]>(
      'SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
    );
    expect(Number(deadlocks[0]?.deadlocks)).toBe(0);
  });

  it('never makes an ingest statement wait on another: deliveries for the same family and alert share no row', async () => {
    // A second pool of exactly one connection with a transaction left open on it: an ingest statement sent through
    // it runs inside that transaction and keeps every row it wrote locked, as a statement still committing does.
    const open = new DataSource(
      buildDataSourceOptions({
        url: scratch.url,
        poolSize: 1,
        statementTimeoutMs: 5_000,
        migrationsRun: false,
      }),
    );
    await open.initialize();
    try {
      await open.query('BEGIN');
      const uncommitted = await new WebhookRepository(open).storeDeliveries([
        deliveryHinting([key(), key()]),
      ]);
      expect(uncommitted[0]?.outcome).toBe('stored');

      const started = Date.now();
      const others = await Promise.all(
        Array.from({ length: 4 }, () => ingest.storeDeliveries([deliveryHinting([key(), key()])])),
      );
      expect(others.map((outcome) => outcome[0]?.outcome)).toEqual(['stored', 'stored', 'stored', 'stored']);
      expect(Date.now() - started).toBeLessThan(1_000);
      await open.query('COMMIT');
    } finally {
      await open.destroy();
    }
  });
});
