import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { DeliveryReprocessor } from '../../../src/webhook/delivery-reprocessor';
import { WebhookRepository } from '../../../src/webhook/webhook.repository';
import { testConfig } from '../../support/test-config';
import { openTestDataSource } from '../../support/test-data-source';

describe('DeliveryReprocessor against Postgres', () => {
  let dataSource: DataSource;
  let reprocessor: DeliveryReprocessor;

  beforeAll(async () => {
    dataSource = await openTestDataSource(2);
    reprocessor = new DeliveryReprocessor(new WebhookRepository(dataSource), testConfig());
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  /** Stores a delivery the way an older parser would have left it: raw body kept, status not processed. */
  async function storeAsOlderParserDid(body: string, status: 'unrecognized' | 'malformed'): Promise<string> {
    const sha = createHash('sha256').update(body).digest('hex');
    const rows = await dataSource.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (delivery_key, delivery_id, body_sha256, raw_body, format, status, event_count, target_count, verified_by)
       VALUES ($1, NULL, $2, $3, 'unknown', $4, 0, 0, 'test') RETURNING id::text AS id`,
      [`-:${sha}`, sha, Buffer.from(body), status],
    );
    return rows[0]!.id;
  }

  it('re-parses stored deliveries, enqueues their targets and marks them processed', async () => {
    const uei = `R${randomUUID().replace(/-/g, '').slice(0, 11).toUpperCase()}`;
    const pk = await storeAsOlderParserDid(
      JSON.stringify({ events: [{ event_type: 'entities.updated', uei }] }),
      'unrecognized',
    );
    const stillBad = await storeAsOlderParserDid(`garbage ${randomUUID()}`, 'malformed');

    const dryRun = await reprocessor.reprocessAll({ dryRun: true });
    expect(dryRun.examined).toBeGreaterThanOrEqual(2);
    expect(dryRun.targetsEnqueued).toBe(0);
    expect(await dataSource.query(`SELECT 1 FROM fetch_targets WHERE record_id = $1`, [uei])).toHaveLength(0);

    const summary = await reprocessor.reprocessAll({ dryRun: false });
    expect(summary.nowProcessed).toBeGreaterThanOrEqual(1);
    expect(summary.stillMalformed).toBeGreaterThanOrEqual(1);
    const delivery = await dataSource.query<
      { status: string; event_count: number; reprocessed_at: Date | null }[]
    >('SELECT status, event_count, reprocessed_at FROM webhook_deliveries WHERE id = $1', [pk]);
    expect(delivery[0]).toMatchObject({
      status: 'processed',
      event_count: 1,
      reprocessed_at: expect.any(Date),
    });
    expect(
      await dataSource.query(`SELECT resource, status FROM fetch_targets WHERE record_id = $1`, [uei]),
    ).toEqual([{ resource: 'entities', status: 'pending' }]);
    const events = await dataSource.query<{ event_type: string; status: string }[]>(
      'SELECT event_type, status FROM webhook_events WHERE delivery_pk = $1',
      [pk],
    );
    expect(events).toEqual([{ event_type: 'entities.updated', status: 'recognized' }]);
    const bad = await dataSource.query<{ status: string }[]>(
      'SELECT status FROM webhook_deliveries WHERE id = $1',
      [stillBad],
    );
    expect(bad[0]?.status).toBe('malformed');

    // Running again finds the fixed delivery done; the malformed one stays visible.
    const again = await reprocessor.reprocessAll({ dryRun: false });
    expect(again.nowProcessed).toBe(0);
    expect(
      await dataSource.query(`SELECT hint_count FROM fetch_targets WHERE record_id = $1`, [uei]),
    ).toEqual([{ hint_count: 1 }]);
  });
});
