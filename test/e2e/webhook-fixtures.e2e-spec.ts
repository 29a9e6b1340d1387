import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { LEGACY_EVENT_TYPES } from '../../simulator/webhooks/envelopes';
import { requireEnv, testConfig } from '../support/test-config';
import { startTestApp, type RunningTestApp } from '../support/test-app';
import { postDelivery } from '../support/webhook-client';
import { alertQueryTypeOf, classifyEventType, familyForQueryType } from '../../src/common/tango/families';
import { isDescribedFamily } from '../../src/common/tango/resource-family';

const FIXTURES = join(__dirname, '..', 'fixtures');
const SECRET = 'fixture-secret';

function fixture(path: string): Buffer {
  return readFileSync(join(FIXTURES, path));
}

/** What the receiver must make of each document example, sent byte for byte. */
const DOCUMENT_EXAMPLES: readonly { file: string; status: string; targets: Record<string, number> }[] = [
  { file: 'tango-api/alerts-opportunity-delivery.json', status: 'accepted', targets: { opportunities: 2 } },
  { file: 'tango-api/alerts-contract-delivery.json', status: 'accepted', targets: { contracts: 2 } },
  { file: 'tango-api/signing-vector-body.json', status: 'accepted', targets: { entities: 1 } },
  { file: 'partner-guide/delivery.json', status: 'accepted', targets: { otas: 1 } },
  { file: 'partner-guide/new-transaction-event.json', status: 'accepted', targets: { contracts: 1 } },
  { file: 'partner-guide/entity-new-event.json', status: 'accepted', targets: { entities: 1 } },
  { file: 'partner-guide/entity-updated-event.json', status: 'accepted', targets: { entities: 1 } },
  // The guide's own example carries a `//` comment: not JSON, so it is stored raw and acknowledged.
  { file: 'partner-guide/new-award-event.jsonc', status: 'malformed', targets: {} },
];

describe('webhook receiver on golden fixtures and on every simulated event type', () => {
  let running: RunningTestApp;
  let sim: RunningSimulator;
  let db: Client;
  let url: string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    running = await startTestApp(
      testConfig({ WEBHOOK_SECRETS: SECRET, RELAY_ENABLED: 'false', FETCHER_ENABLED: 'false' }),
    );
    url = `${running.baseUrl}/tango/webhooks`;
    sim = await startSimulator({ port: 0 });
    db = new Client({ connectionString: requireEnv('TEST_DATABASE_URL') });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sim.close();
    await running.close();
  });

  async function targetsByResource(
    deliveryId: string | null,
    bodySha: string,
  ): Promise<Record<string, number>> {
    const rows = await db.query<{ resource: string; n: number }>(
      `SELECT t.resource, count(*)::int AS n
         FROM webhook_deliveries d JOIN fetch_targets t ON t.last_delivery_pk = d.id OR t.first_delivery_pk = d.id
        WHERE d.body_sha256 = $1 AND ($2::text IS NULL OR d.delivery_id = $2)
        GROUP BY t.resource`,
      [bodySha, deliveryId],
    );
    return Object.fromEntries(rows.rows.map((row) => [row.resource, row.n]));
  }

  it('has every document example on disk', () => {
    const files = ['tango-api', 'partner-guide'].flatMap((dir) =>
      readdirSync(join(FIXTURES, dir)).map((name) => `${dir}/${name}`),
    );
    for (const example of DOCUMENT_EXAMPLES) {
      expect(files).toContain(example.file);
    }
  });

  it.each(DOCUMENT_EXAMPLES)(
    'acknowledges $file byte for byte and enqueues what it names',
    async ({ file, status, targets }) => {
      const body = fixture(file);
      const response = await postDelivery(url, body, { secret: SECRET });
      // The same example may already have been sent by another test in this run (a duplicate is a success too).
      expect([200, 202]).toContain(response.status);
      if (response.status === 202) {
        expect(response.body.status).toBe(status);
      }
      const { createHash } = await import('node:crypto');
      const sha = createHash('sha256').update(body).digest('hex');
      expect(await targetsByResource(null, sha)).toEqual(targets);
    },
  );

  it('accepts the sample delivery of every event type the simulator dispatches: targets for mirrored families, none for the others', async () => {
    const listed = (await (
      await fetch(`${sim.baseUrl}/api/webhooks/event-types/`, { headers: { 'x-api-key': 'sim-key' } })
    ).json()) as { event_types: { event_type: string }[] };
    // The current (alert) types Tango lists, and the legacy subject-based types it used to send.
    const eventTypes = [...listed.event_types.map((item) => item.event_type), ...LEGACY_EVENT_TYPES];
    expect(eventTypes).toEqual(
      expect.arrayContaining([
        'alerts.contract.match',
        'alerts.forecast.match',
        'awards.new_award',
        'forecasts.updated',
      ]),
    );
    const outcomes: Record<string, string> = {};
    for (const eventType of eventTypes) {
      const answer = await fetch(
        `${sim.baseUrl}/api/webhooks/endpoints/sample-payload/?event_type=${encodeURIComponent(eventType)}`,
        { headers: { 'x-api-key': 'sim-key' } },
      );
      expect(answer.status).toBe(200);
      const sample = ((await answer.json()) as { sample_delivery: unknown }).sample_delivery;
      // A fresh delivery id per type, so samples that share the fixed sample id are not taken for duplicates.
      const body = JSON.stringify({
        ...(sample as Record<string, unknown>),
        delivery_id: `sample-${eventType}`,
      });
      const response = await postDelivery(url, body, { secret: SECRET });
      outcomes[eventType] =
        `${response.status}:${String(response.body.status)}:${Number(response.body.targets) > 0 ? 'targets' : 'none'}`;
    }
    // Alerts of resources this worker does not turn on (the test configuration: the nine families) are
    // acknowledged and stored, with no work; tango-sync knows them all (a resource turned on gets targets).
    const turnedOn = (type: string): boolean => {
      const queryType = alertQueryTypeOf(type);
      const resource = queryType === null ? undefined : familyForQueryType(queryType);
      return queryType === null || (resource !== undefined && isDescribedFamily(resource));
    };
    expect(outcomes).toEqual(
      Object.fromEntries(
        eventTypes.map((type) => [type, turnedOn(type) ? '202:accepted:targets' : '202:not_mirrored:none']),
      ),
    );
    // The SDK catalog's alert types of contract resources (4.25 adds SLED opportunities): none is unknown.
    expect(eventTypes.filter((type) => !turnedOn(type)).sort()).toEqual([
      'alerts.dibbs_rfp.match',
      'alerts.dibbs_rfq.match',
      'alerts.exclusion.match',
      'alerts.sled_opportunity.match',
    ]);
    expect(eventTypes.filter((type) => classifyEventType(type) !== 'mirrored')).toEqual([]);
  });
});
