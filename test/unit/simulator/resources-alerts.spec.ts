import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { RESOURCE_SPECS, type RunningSimulator, startSimulator } from '../../../simulator/index';
import { FAMILIES } from '../../../simulator/options';
import { type JsonObject, scalarText } from '../../../simulator/dataset/json';
import { verifySignature } from '../../../simulator/webhooks/signer';
import { call } from './resource-helpers';

const SECRET = 'resource-alerts-secret';

interface Delivery {
  readonly body: { timestamp: string; delivery_id?: string; events: JsonObject[] };
  readonly verified: boolean;
}

/** A loopback receiver that acknowledges every delivery and keeps it. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const header = request.headers['x-tango-signature'];
      deliveries.push({
        body: JSON.parse(raw.toString('utf8')) as Delivery['body'],
        verified: typeof header === 'string' && verifySignature(raw, header, SECRET),
      });
      response.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, deliveries, server };
}

describe('simulator: alerts on the resources Tango alerts on', () => {
  let sim: RunningSimulator;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let endpoint: string;
  const events = (): JsonObject[] => receiver.deliveries.flatMap((delivery) => delivery.body.events);

  beforeAll(async () => {
    receiver = await startReceiver();
    sim = await startSimulator({
      sizes: Object.fromEntries(FAMILIES.map((family) => [family, 10])),
      webhooks: { schedule: false },
    });
    endpoint = sim.control.createEndpoint({
      name: 'resources',
      callback_url: receiver.url,
      secret: SECRET,
    }).id;
  });

  afterAll(async () => {
    await sim.close();
    await new Promise<void>((resolve) =>
      receiver.server.close(() => {
        resolve();
      }),
    );
  });

  beforeEach(async () => {
    await sim.control.flush();
    receiver.deliveries.length = 0;
  });

  it('should list the resources’ alert types and name the alerted resources in the identity table', async () => {
    const listed = await call<{ event_types: { event_type: string }[] }>(
      sim,
      'GET',
      '/api/webhooks/event-types/',
    );
    const types = listed.body.event_types.map((item) => item.event_type);
    const alerted = Object.values(RESOURCE_SPECS).flatMap((spec) => spec.identity.alertQueryType ?? []);
    expect(alerted).toEqual(['exclusion', 'dibbs_rfq', 'dibbs_rfp', 'sled_opportunity']);
    expect(alerted.filter((type) => !types.includes(`alerts.${type}.match`))).toEqual([]);
  });

  it('should deliver alerts.exclusion.match naming a created exclusion’s exclusion_key, in the alerts envelope', async () => {
    const alert = sim.control.createAlert({
      name: 'excluded recipients',
      query_type: 'exclusion',
      filters: { uei: 'ZQ7KJ4MNP2X1' },
      endpoint,
    });
    const created = sim.control.createRecord('exclusions', {
      uei: 'ZQ7KJ4MNP2X1',
      entity_uei: 'ZQ7KJ4MNP2X1',
    });
    sim.control.createRecord('exclusions', { uei: 'OTHER0000000' });
    await sim.control.flush();
    const key = scalarText(created.exclusion_key);
    expect(receiver.deliveries).toHaveLength(1);
    const delivery = receiver.deliveries[0];
    expect(delivery?.verified).toBe(true);
    expect(delivery?.body).toMatchObject({ timestamp: expect.any(String), delivery_id: expect.any(String) });
    expect(events()).toEqual([
      {
        event_type: 'alerts.exclusion.match',
        created_at: expect.any(String),
        alert_id: alert.alert_id,
        query_type: 'exclusion',
        filters: { uei: 'ZQ7KJ4MNP2X1' },
        matches: {
          new_count: 1,
          modified_count: 0,
          new: [
            // The id alone: Tango's documents show no summary of an exclusion match.
            { exclusion_key: key },
          ],
          modified: [],
          new_ids: [key],
          modified_ids: [],
        },
        checked_at: expect.any(String),
      },
    ]);
    alert.status = 'paused';
  });

  it('should deliver a modified DIBBS RFQ under matches.modified, and a created RFP under matches.new', async () => {
    const rfq = sim.control.createAlert({
      name: 'rfqs',
      query_type: 'dibbs_rfq',
      filters: { solicitation: 'SPE7M1-26-T-0001' },
      endpoint,
    });
    const rfp = sim.control.createAlert({
      name: 'rfps',
      query_type: 'dibbs_rfp',
      filters: { nsn: '5340-01-234-5678' },
      endpoint,
    });
    const [rfqId = ''] = sim.control.ids('dibbs_rfqs');
    sim.control.modifyRecord('dibbs_rfqs', rfqId, { solicitation: 'SPE7M1-26-T-0001' });
    const created = sim.control.createRecord('dibbs_rfps', { nsn: '5340-01-234-5678' });
    await sim.control.flush();
    const byType = new Map(events().map((event) => [scalarText(event.event_type), event]));
    expect(byType.get('alerts.dibbs_rfq.match')?.matches).toEqual({
      new_count: 0,
      modified_count: 1,
      new: [],
      modified: [{ uuid: rfqId }],
      new_ids: [],
      modified_ids: [rfqId],
    });
    expect(byType.get('alerts.dibbs_rfp.match')?.matches).toMatchObject({
      new: [{ uuid: created.uuid }],
      new_ids: [created.uuid],
    });
    rfq.status = 'paused';
    rfp.status = 'paused';
  });

  it('should send nothing for changes its filters do not match, nor for deletions', async () => {
    const alert = sim.control.createAlert({
      name: 'since',
      query_type: 'exclusion',
      filters: { excluding_agency_code: 'NO-SUCH-AGENCY' },
      endpoint,
    });
    const created = sim.control.createRecord('exclusions');
    sim.control.deleteRecord('exclusions', scalarText(created.exclusion_key));
    await sim.control.flush();
    expect(events().filter((event) => event.alert_id === alert.alert_id)).toEqual([]);
    alert.status = 'paused';
  });

  it('should match an alert on the since filter by the record’s change day', async () => {
    const alert = sim.control.createAlert({
      name: 'all exclusions',
      query_type: 'exclusion',
      filters: { update_date_after: '1900-01-01' },
      endpoint,
    });
    const [id = ''] = sim.control.ids('exclusions');
    sim.control.modifyRecord('exclusions', id);
    await sim.control.flush();
    expect(events().map((event) => (event.matches as JsonObject).modified_ids)).toEqual([[id]]);
    alert.status = 'paused';
  });
});
