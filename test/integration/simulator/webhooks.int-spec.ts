import { createHmac } from 'node:crypto';
import { type RunningSimulator, startSimulator } from '../../../simulator/index';
import { type ListBody, Receiver, type Row, getJson, sendJson, text } from './sim-test-helpers';

/** Independent signature check: HMAC-SHA256 over the raw bytes with the secret's UTF-8 text. */
function independentSignature(raw: Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

describe('simulator webhooks', () => {
  let sim: RunningSimulator;
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await new Receiver().start();
    sim = await startSimulator({
      sizes: { contracts: 50, entities: 20, opportunities: 10, notices: 10, grants: 10, forecasts: 10 },
      timeScale: 1000,
      webhooks: { schedule: false, retryBaseDelaySeconds: 1, deliveryTimeoutMs: 2000 },
    });
  });

  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  it('should return the endpoint secret only on create', async () => {
    const created = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/', {
      name: 'worker',
      callback_url: receiver.url,
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^[0-9a-f]{64}$/);
    const listed = await getJson<ListBody>(sim.baseUrl, '/api/webhooks/endpoints/');
    expect(listed.body.results[0]).not.toHaveProperty('secret');
    const fetched = await getJson(sim.baseUrl, `/api/webhooks/endpoints/${text(created.body.id)}/`);
    expect(fetched.body).not.toHaveProperty('secret');
    const duplicate = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/', {
      name: 'worker',
      callback_url: receiver.url,
    });
    expect(duplicate.status).toBe(400);
    expect(
      (await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/', { name: 'x' }, false)).status,
    ).toBe(401);
  });

  it('should deliver a signed alerts envelope for matching changes and nothing when nothing matched', async () => {
    const endpoint = (
      await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/', {
        name: 'w',
        callback_url: receiver.url,
      })
    ).body;
    const alert = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
      name: 'all contracts',
      query_type: 'contract',
      filters: { sim_match_all: true },
    });
    expect(alert.status).toBe(201);
    expect(
      (
        await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
          name: 'plural',
          query_type: 'contracts',
          filters: { a: 1 },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
          name: 'empty',
          query_type: 'contract',
          filters: {},
        })
      ).status,
    ).toBe(400);

    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(0);
    const checked = (await getJson<ListBody>(sim.baseUrl, '/api/webhooks/alerts/')).body.results[0]!;
    expect(checked.last_checked_at).toEqual(expect.any(String));
    expect(checked.match_count).toBe(0);

    const created = sim.control.createRecord('contracts');
    const key = sim.control.ids('contracts')[10]!;
    sim.control.modifyRecord('contracts', key);
    sim.control.modifyRecord('entities', sim.control.ids('entities')[0]!);
    const deleted = sim.control.ids('contracts')[11]!;
    sim.control.deleteRecord('contracts', deleted);
    await sim.control.flush();

    expect(receiver.deliveries).toHaveLength(1);
    const delivery = receiver.deliveries[0]!;
    expect(delivery.signature).toBe(independentSignature(delivery.raw, text(endpoint.secret)));
    expect(delivery.body).toMatchObject({
      timestamp: expect.stringMatching(/Z$/),
      delivery_id: expect.any(String),
    });
    const [event] = delivery.body.events;
    expect(event).toMatchObject({
      event_type: 'alerts.contract.match',
      alert_id: alert.body.alert_id,
      query_type: 'contract',
    });
    expect(event!.matches).toMatchObject({
      new_count: 1,
      modified_count: 1,
      new_ids: [created.key],
      modified_ids: [key],
    });
    expect(JSON.stringify(delivery.body)).not.toContain(deleted);
    expect((await getJson<ListBody>(sim.baseUrl, '/api/webhooks/alerts/')).body.results[0]!.match_count).toBe(
      2,
    );
    expect(sim.control.counters()).toMatchObject({ deliveriesAttempted: 1, deliveriesAcknowledged: 1 });
  });

  it('should honour alert filters, paused status and the counts-only variant', async () => {
    const { endpoint } = sim.control.registerWebhook({
      url: receiver.url,
      secret: 'shh',
      queryTypes: ['entity'],
      countsOnly: true,
    });
    const [first, second] = sim.control.ids('entities');
    const filtered = sim.control.createAlert({
      name: 'one entity',
      query_type: 'entity',
      filters: { uei: second! },
      endpoint: endpoint.id,
    });
    sim.control.modifyRecord('entities', first!);
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(1);
    const events = receiver.deliveries[0]!.body.events;
    expect(events).toHaveLength(1);
    expect(events[0]!.matches).toEqual({ new_count: 0, modified_count: 1 });
    await sendJson(sim.baseUrl, 'PATCH', `/api/webhooks/alerts/${filtered.alert_id}/`, { is_active: false });
    sim.control.modifyRecord('entities', second!);
    await sim.control.flush();
    expect(receiver.deliveries[1]!.body.events.map((e) => e.alert_id)).not.toContain(filtered.alert_id);
  });

  it('should send legacy subject-based envelopes for every family', async () => {
    sim.control.registerWebhook({ url: receiver.url, secret: 'legacy', format: 'legacy' });
    sim.control.createRecord('contracts');
    sim.control.modifyRecord('contracts', sim.control.ids('contracts')[5]!);
    sim.control.createRecord('entities');
    sim.control.modifyRecord('grants', sim.control.ids('grants')[0]!);
    sim.control.createRecord('forecasts');
    sim.control.createRecord('notices');
    await sim.control.flush();
    const body = receiver.deliveries[0]!.body;
    expect(Object.keys(body)).toEqual(['timestamp', 'events']);
    expect(body.events.map((event) => event.event_type)).toEqual([
      'awards.new_award',
      'awards.new_transaction',
      'entities.new_entity',
      'grants.updated',
      'forecasts.new_forecast',
      'opportunities.new_notice',
    ]);
    expect(body.events[1]!.transaction_ids).toHaveLength(1);
    expect(body.events[4]!.forecast_id).toMatch(/^[A-Z]+:\d+$/);
  });

  it('should retry 5xx five times in total with the same delivery_id and bytes, then drop the delivery', async () => {
    sim.control.registerWebhook({ url: receiver.url, secret: 's', queryTypes: ['contract'] });
    receiver.respond = () => 503;
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(5);
    const first = receiver.deliveries[0]!;
    for (const delivery of receiver.deliveries) {
      expect(delivery.raw.equals(first.raw)).toBe(true);
      expect(delivery.signature).toBe(first.signature);
    }
    expect(sim.control.deliveries()[0]!.outcome).toBe('given-up');
    expect(sim.control.counters().deliveriesGivenUp).toBe(1);
  });

  it('should make 2 attempts in total for 4xx and recover when the receiver succeeds', async () => {
    sim.control.registerWebhook({ url: receiver.url, secret: 's', queryTypes: ['contract'] });
    receiver.respond = () => 400;
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(2);
    receiver.respond = (_delivery, n) => (n === 3 ? 500 : 200);
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(4);
    expect(receiver.deliveries[3]!.body.delivery_id).toBe(receiver.deliveries[2]!.body.delivery_id);
    expect(sim.control.deliveries()[1]!.outcome).toBe('acknowledged');
  });

  it('should make 7 attempts for network errors', async () => {
    const { endpoint } = sim.control.registerWebhook({
      url: 'http://127.0.0.1:9/unreachable',
      secret: 's',
      queryTypes: ['grant'],
    });
    sim.control.setWebhookSettings({ breakerFailureThreshold: 100 });
    sim.control.createRecord('grants');
    await sim.control.flush();
    const attempts = sim.control.attempts().filter((attempt) => attempt.endpoint_id === endpoint.id);
    expect(attempts).toHaveLength(7);
    expect(attempts.every((attempt) => attempt.status === null && attempt.error !== null)).toBe(true);
  });

  it('should open the circuit after 5 failures, skip deliveries, then close after a successful half-open probe', async () => {
    sim.control.setWebhookSettings({ breakerOpenSeconds: 300, maxAttempts5xx: 5 });
    const { endpoint } = sim.control.registerWebhook({
      url: receiver.url,
      secret: 's',
      queryTypes: ['contract'],
    });
    receiver.respond = () => 500;
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(5);
    expect(sim.control.breakerState(endpoint.id)).toBe('open');
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(5);
    expect(sim.control.counters().deliveriesSkippedCircuitOpen).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(sim.control.breakerState(endpoint.id)).toBe('half-open');
    receiver.respond = () => 200;
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(6);
    expect(sim.control.breakerState(endpoint.id)).toBe('closed');
  });

  it('should re-open the circuit when the half-open probe fails', async () => {
    sim.control.setWebhookSettings({
      breakerOpenSeconds: 100,
      breakerReopenSeconds: 100_000,
      maxAttempts5xx: 1,
    });
    const { endpoint } = sim.control.registerWebhook({
      url: receiver.url,
      secret: 's',
      queryTypes: ['contract'],
    });
    receiver.respond = () => 500;
    for (let i = 0; i < 5; i += 1) {
      sim.control.createRecord('contracts');
      await sim.control.flush();
    }
    expect(sim.control.breakerState(endpoint.id)).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 150));
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(6);
    expect(sim.control.breakerState(endpoint.id)).toBe('open');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sim.control.breakerState(endpoint.id)).toBe('open');
  });

  it('should duplicate deliveries on purpose when asked', async () => {
    sim.control.setWebhookSettings({ duplicateRate: 1 });
    sim.control.registerWebhook({ url: receiver.url, secret: 's', queryTypes: ['contract'] });
    sim.control.createRecord('contracts');
    await sim.control.flush();
    expect(receiver.deliveries).toHaveLength(2);
    expect(receiver.deliveries[0]!.raw.equals(receiver.deliveries[1]!.raw)).toBe(true);
  });

  it('should serve event types, sample payloads and a signed test delivery', async () => {
    const types = await getJson<{ event_types: Row[] }>(sim.baseUrl, '/api/webhooks/event-types/');
    expect(types.body.event_types.map((t) => t.event_type)).toContain('alerts.contract.match');
    const sample = await getJson<{ sample_delivery: { events: Row[] } }>(
      sim.baseUrl,
      '/api/webhooks/endpoints/sample-payload/?event_type=alerts.opportunity.match',
    );
    expect(sample.body.sample_delivery.events[0]!.event_type).toBe('alerts.opportunity.match');
    const all = await getJson<{ samples: Row }>(sim.baseUrl, '/api/webhooks/endpoints/sample-payload/');
    expect(Object.keys(all.body.samples)).toContain('awards.new_transaction');
    expect(
      (await getJson(sim.baseUrl, '/api/webhooks/endpoints/sample-payload/?event_type=nope')).status,
    ).toBe(400);
    const created = (
      await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/', {
        name: 't',
        callback_url: receiver.url,
      })
    ).body;
    const result = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/test-delivery/', {
      endpoint: created.id,
    });
    expect(result.body).toMatchObject({ success: true, status_code: 200, endpoint_url: receiver.url });
    expect(receiver.deliveries[0]!.signature).toBe(
      independentSignature(receiver.deliveries[0]!.raw, text(created.secret)),
    );
  });
});

describe('simulator webhooks on a schedule', () => {
  it('should register the configured target at start, trickle changes and deliver realtime alerts without flush()', async () => {
    const receiver = await new Receiver().start();
    const sim = await startSimulator({
      sizes: { contracts: 30, entities: 30 },
      timeScale: 1000,
      trickleRatePerSecond: 0.02,
      webhookTarget: { url: receiver.url, secret: 'demo-secret' },
    });
    try {
      const deadline = Date.now() + 5000;
      while (receiver.deliveries.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(receiver.deliveries.length).toBeGreaterThan(0);
      const delivery = receiver.deliveries[0]!;
      expect(delivery.signature).toBe(independentSignature(delivery.raw, 'demo-secret'));
      expect(sim.control.alerts().every((alert) => alert.last_checked_at !== null)).toBe(true);
    } finally {
      await sim.close();
      await receiver.close();
    }
  });
});
