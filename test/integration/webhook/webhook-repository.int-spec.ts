import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { parseDelivery } from '../../../src/webhook/delivery-parser';
import { type DeliveryToStore, WebhookRepository } from '../../../src/webhook/webhook.repository';
import { ScratchDatabase, undoMigrationsNewerThan } from '../../support/scratch-database';
import { requireEnv } from '../../support/test-config';

function connect(url: string): DataSource {
  return new DataSource(
    buildDataSourceOptions({ url, poolSize: 3, statementTimeoutMs: 30_000, migrationsRun: false }),
  );
}

/** A signed-and-verified delivery as the ingest service hands it to the repository. */
function deliveryOf(body: string, receivedAt = new Date()): DeliveryToStore {
  const rawBody = Buffer.from(body, 'utf8');
  const bodySha256 = createHash('sha256').update(rawBody).digest('hex');
  const parsed = parseDelivery(rawBody);
  return {
    deliveryKey: `${parsed.deliveryId ?? '-'}:${bodySha256}`,
    bodySha256,
    rawBody,
    headers: { 'content-type': 'application/json' },
    receivedAt,
    verifiedBy: 'secret:test',
    parsed,
  };
}

function alertBody(alertId: string, keys: readonly string[], checkedAt: string): string {
  return JSON.stringify({
    delivery_id: randomUUID(),
    timestamp: checkedAt,
    events: [
      {
        event_type: 'alerts.contract.match',
        alert_id: alertId,
        query_type: 'contract',
        checked_at: checkedAt,
        matches: { new_count: keys.length, modified_count: 0, new_ids: keys, modified_ids: [] },
      },
    ],
  });
}

function contractKey(): string {
  return `CONT_AWD_${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}_9700_-NONE-_-NONE-`;
}

describe('WebhookRepository.storeDeliveries against Postgres', () => {
  let dataSource: DataSource;
  let repository: WebhookRepository;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    dataSource = connect(requireEnv('TEST_DATABASE_URL'));
    await dataSource.initialize();
    repository = new WebhookRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  async function target(
    recordId: string,
  ): Promise<{ hint_count: number; first_delivery_pk: string; last_delivery_pk: string; status: string }[]> {
    return dataSource.query(
      `SELECT hint_count, first_delivery_pk::text AS first_delivery_pk, last_delivery_pk::text AS last_delivery_pk,
              status
         FROM fetch_targets WHERE resource = 'contracts' AND record_id = $1 ORDER BY id`,
      [recordId],
    );
  }

  it('commits several deliveries in one statement, answers in input order, and coalesces their targets', async () => {
    const shared = contractKey();
    const onlyFirst = contractKey();
    const alertId = `alert-${randomUUID()}`;
    const first = deliveryOf(alertBody(alertId, [shared, onlyFirst], '2026-11-30T10:00:00Z'));
    const second = deliveryOf(alertBody(alertId, [shared], '2026-11-30T11:00:00Z'));

    const outcomes = await repository.storeDeliveries([second, first, second]);

    expect(outcomes.map((o) => o.outcome)).toEqual(['stored', 'stored', 'duplicate']);
    const [secondOutcome, firstOutcome, repeat] = outcomes;
    expect(repeat?.deliveryPk).toBe(secondOutcome?.deliveryPk);
    expect(firstOutcome).toMatchObject({ targetCount: 2 });
    expect(secondOutcome).toMatchObject({ targetCount: 1 });
    const pks = [firstOutcome, secondOutcome].map((o) => BigInt(o?.deliveryPk ?? '0')).sort();
    expect(await target(shared)).toEqual([
      {
        hint_count: 2,
        first_delivery_pk: String(pks[0]),
        last_delivery_pk: String(pks[1]),
        status: 'pending',
      },
    ]);
    expect(await target(onlyFirst)).toEqual([expect.objectContaining({ hint_count: 1 })]);

    const deliveries = await dataSource.query<
      { delivery_key: string; duplicate_count: number; events: number }[]
    >(
      `SELECT d.delivery_key, d.duplicate_count,
              (SELECT count(*)::int FROM webhook_events e WHERE e.delivery_pk = d.id) AS events
         FROM webhook_deliveries d WHERE d.delivery_key = ANY($1) ORDER BY d.delivery_key`,
      [[first.deliveryKey, second.deliveryKey]],
    );
    expect(deliveries).toEqual(
      [
        { delivery_key: first.deliveryKey, duplicate_count: 0, events: 1 },
        { delivery_key: second.deliveryKey, duplicate_count: 1, events: 1 },
      ].sort((a, b) => (a.delivery_key < b.delivery_key ? -1 : 1)),
    );
    const alert = await dataSource.query<{ last_checked_at: Date }[]>(
      `SELECT last_checked_at FROM delivery_state WHERE scope = 'alert' AND scope_key = $1`,
      [alertId],
    );
    expect(alert[0]?.last_checked_at.toISOString()).toBe('2026-11-30T11:00:00.000Z');
    const counts = await dataSource.query<{ new_count: number; modified_count: number }[]>(
      `SELECT new_count, modified_count FROM webhook_events WHERE delivery_pk = $1`,
      [firstOutcome?.deliveryPk],
    );
    expect(counts).toEqual([{ new_count: 2, modified_count: 0 }]);
  });

  it('treats a delivery stored earlier as a duplicate inside a batch: counted, and no new hint or work', async () => {
    const key = contractKey();
    const earlier = deliveryOf(alertBody(`alert-${randomUUID()}`, [key], '2026-11-30T12:00:00Z'));
    await repository.storeDeliveries([earlier]);
    const fresh = deliveryOf(alertBody(`alert-${randomUUID()}`, [contractKey()], '2026-11-30T12:00:00Z'));

    const outcomes = await repository.storeDeliveries([fresh, earlier]);

    expect(outcomes.map((o) => o.outcome)).toEqual(['stored', 'duplicate']);
    expect(await target(key)).toEqual([expect.objectContaining({ hint_count: 1 })]);
    const stored = await dataSource.query<{ duplicate_count: number }[]>(
      `SELECT duplicate_count FROM webhook_deliveries WHERE delivery_key = $1`,
      [earlier.deliveryKey],
    );
    expect(stored).toEqual([{ duplicate_count: 1 }]);
  });

  it('stores a delivery whose JSON holds what jsonb refuses (NUL, lone surrogates), raw body byte for byte', async () => {
    const key = contractKey();
    const body = JSON.stringify({
      delivery_id: `nul-${randomUUID()}`,
      events: [
        {
          event_type: 'alerts.contract.match',
          alert_id: 'alert-with-\u0000-nul',
          query_type: 'contract',
          filters: { q: 'lone \uD800 surrogate', 'key\u0000': 1 },
          matches: { new_ids: [key] },
        },
      ],
    });
    const delivery = deliveryOf(body);

    const [outcome] = await repository.storeDeliveries([delivery]);

    expect(outcome).toMatchObject({ outcome: 'stored', targetCount: 1 });
    const rows = await dataSource.query<{ raw_body: Buffer; alert_id: string }[]>(
      `SELECT d.raw_body, e.alert_id FROM webhook_deliveries d JOIN webhook_events e ON e.delivery_pk = d.id
        WHERE d.id = $1`,
      [outcome?.deliveryPk],
    );
    expect(rows[0]?.raw_body.equals(delivery.rawBody)).toBe(true);
    expect(rows[0]?.alert_id).toBe('alert-with-\uFFFD-nul');
    expect(await target(key)).toHaveLength(1);
  });
});

describe('the ingest-path migrations (match counts, provenance without foreign keys, lighter writes)', () => {
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    ({ dataSource, close } = await ScratchDatabase.migrated('event_counts'));
  });

  afterAll(async () => {
    await close();
  });

  it('restores each event payload from the raw body on the way down and recomputes the counts on the way up', async () => {
    const keys = [contractKey(), contractKey()];
    const body = alertBody('alert-round-trip', keys, '2026-11-30T09:00:00Z');
    const [outcome] = await new WebhookRepository(dataSource).storeDeliveries([deliveryOf(body)]);
    // A target whose hinting delivery was pruned: allowed without the foreign key, cleared when it comes back.
    await dataSource.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason, first_delivery_pk, last_delivery_pk)
       VALUES ('contracts', $1, 'key', 'record', 'test', $2, 999999999)`,
      [contractKey(), outcome?.deliveryPk],
    );

    await dataSource.query(`INSERT INTO webhook_events (delivery_pk, event_index, status, target_count)
                            VALUES (999999999, 0, 'recognized', 0)`);
    await undoMigrationsNewerThan(dataSource, 'WebhookIngestLighterWrites1795337200000');
    await dataSource.undoLastMigration({ transaction: 'each' });
    const compression = await dataSource.query<{ attcompression: string }[]>(
      `SELECT attcompression FROM pg_attribute WHERE attrelid = 'webhook_deliveries'::regclass AND attname = 'raw_body'`,
    );
    expect(compression).toEqual([{ attcompression: 'p' }]);
    const eventKeys = await dataSource.query<{ conname: string }[]>(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'webhook_events'::regclass AND contype = 'f'`,
    );
    expect(eventKeys).toEqual([{ conname: 'webhook_events_delivery_pk_fkey' }]);
    const orphans = await dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_events WHERE delivery_pk = 999999999`,
    );
    expect(orphans).toEqual([{ n: 0 }]);

    await dataSource.undoLastMigration({ transaction: 'each' });
    const constraints = await dataSource.query<{ conname: string }[]>(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'fetch_targets'::regclass AND contype = 'f' ORDER BY 1`,
    );
    expect(constraints.map((c) => c.conname)).toEqual([
      'fetch_targets_first_delivery_pk_fkey',
      'fetch_targets_last_delivery_pk_fkey',
    ]);
    const dangling = await dataSource.query<{ first: string | null; last: string | null }[]>(
      `SELECT first_delivery_pk::text AS first, last_delivery_pk::text AS last FROM fetch_targets WHERE reason = 'test'`,
    );
    expect(dangling).toEqual([{ first: outcome?.deliveryPk, last: null }]);

    await dataSource.undoLastMigration({ transaction: 'each' });
    const down = await dataSource.query<{ payload: unknown }[]>(
      `SELECT payload FROM webhook_events WHERE delivery_pk = $1`,
      [outcome?.deliveryPk],
    );
    expect(down).toEqual([{ payload: (JSON.parse(body) as { events: unknown[] }).events[0] }]);

    await dataSource.runMigrations({ transaction: 'each' });
    const up = await dataSource.query<{ new_count: number; modified_count: number }[]>(
      `SELECT new_count, modified_count FROM webhook_events WHERE delivery_pk = $1`,
      [outcome?.deliveryPk],
    );
    expect(up).toEqual([{ new_count: 2, modified_count: 0 }]);
    const compressionUp = await dataSource.query<{ attcompression: string }[]>(
      `SELECT attcompression FROM pg_attribute WHERE attrelid = 'webhook_deliveries'::regclass AND attname = 'raw_body'`,
    );
    expect(compressionUp).toEqual([{ attcompression: 'l' }]);
  });
});
