import { createHmac } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { request } from 'undici';
import { runCli } from '../../../simulator/cli';
import { type RunningSimulator, startSimulator } from '../../../simulator/index';
import { Receiver, type Row, getJson, sendJson } from './sim-test-helpers';

async function cli(args: string[]): Promise<{ code: number; output: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const code = await runCli(args, out);
  return { code, output: Buffer.concat(chunks).toString('utf8') };
}

describe('simulator control API over HTTP', () => {
  let sim: RunningSimulator;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
    sim = await startSimulator({ sizes: { contracts: 10, forecasts: 5 }, webhooks: { schedule: false } });
  });

  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  it('should create, modify and delete records, producing deliveries only for creations and modifications', async () => {
    const registered = await sendJson(
      sim.baseUrl,
      'POST',
      '/_sim/webhooks/register',
      { url: receiver.url, secret: 'demo', query_types: ['forecast'] },
      false,
    );
    expect(registered.status).toBe(201);
    expect(registered.body.endpoint).toMatchObject({ secret: 'demo' });
    const created = await sendJson(
      sim.baseUrl,
      'POST',
      '/_sim/records/forecasts',
      { fields: { title: 'Made by a test' } },
      false,
    );
    expect(created.status).toBe(201);
    expect(created.body.title).toBe('Made by a test');
    const id = String(created.body.id);
    expect((await sendJson(sim.baseUrl, 'PATCH', `/_sim/records/forecasts/${id}`, {}, false)).status).toBe(
      200,
    );
    expect(
      (await sendJson(sim.baseUrl, 'PATCH', `/_sim/records/forecasts/${id}`, { fields: { id: 1 } }, false))
        .status,
    ).toBe(400);
    const flushed = await sendJson(sim.baseUrl, 'POST', '/_sim/flush', undefined, false);
    expect(flushed.body.deliveries).toHaveLength(1);
    expect(receiver.deliveries[0]!.body.events[0]).toMatchObject({ matches: { new_ids: [created.body.id] } });
    expect(
      (await sendJson(sim.baseUrl, 'DELETE', `/_sim/records/forecasts/${id}`, undefined, false)).status,
    ).toBe(204);
    await sendJson(sim.baseUrl, 'POST', '/_sim/flush', undefined, false);
    expect(receiver.deliveries).toHaveLength(1);
    expect((await getJson(sim.baseUrl, `/api/forecasts/${id}/`)).status).toBe(404);
  });

  it('should stream the ground truth as JSON and NDJSON with counters', async () => {
    const json = await getJson<{ counters: Row; families: Record<string, { records: Row }> }>(
      sim.baseUrl,
      '/_sim/state',
      {},
    );
    expect(Object.keys(json.body.families)).toEqual([
      'contracts',
      'idvs',
      'otas',
      'otidvs',
      'opportunities',
      'notices',
      'entities',
      'grants',
      'forecasts',
    ]);
    expect(Object.keys(json.body.families.contracts!.records)).toHaveLength(10);
    expect(json.body.counters).toHaveProperty('deliveriesAcknowledged', 1);
    const ndjson = await request(`${sim.baseUrl}/_sim/state?format=ndjson&family=contracts`);
    const lines = (await ndjson.body.text())
      .trim()
      .split('\n')
      .map((line): unknown => JSON.parse(line));
    expect(lines).toHaveLength(11);
    expect(lines[0]).toEqual({
      family: 'contracts',
      id: expect.stringMatching(/^CONT_AWD_/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('should switch faults and limits over HTTP', async () => {
    expect(
      (await sendJson(sim.baseUrl, 'PUT', '/_sim/faults', { errorIn200Rate: 1 }, false)).body.errorIn200Rate,
    ).toBe(1);
    expect((await getJson(sim.baseUrl, '/api/contracts/')).body).toHaveProperty('error');
    await sendJson(sim.baseUrl, 'DELETE', '/_sim/faults', undefined, false);
    expect((await sendJson(sim.baseUrl, 'PUT', '/_sim/rate-limits', { burstLimit: 'x' }, false)).status).toBe(
      400,
    );
    expect((await getJson(sim.baseUrl, '/api/contracts/')).status).toBe(200);
  });
});

describe('simulator CLI', () => {
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await new Receiver().start();
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('should sign and send a sample delivery to any URL', async () => {
    const { code, output } = await cli([
      'simulate',
      '--secret',
      'dev',
      '--event-type',
      'entities.updated',
      '--to',
      receiver.url,
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(output)).toMatchObject({ delivered: true, status_code: 200 });
    const delivery = receiver.deliveries[0]!;
    expect(delivery.signature).toBe(
      `sha256=${createHmac('sha256', 'dev').update(delivery.raw).digest('hex')}`,
    );
    expect(delivery.body.events[0]!.event_type).toBe('entities.updated');
  });

  it('should sign a payload file and print without sending', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-cli-'));
    const file = join(dir, 'payload.json');
    writeFileSync(file, '{"events":[{"uei":"ABC123","event_type":"entities.updated"}]}');
    const { output } = await cli(['simulate', '--secret', 'shh', '--payload-file', file]);
    const printed = JSON.parse(output);
    expect(printed.delivered).toBe(false);
    expect(printed.headers['X-Tango-Signature']).toBe(
      'sha256=d3c0bac2ef3bb0bf5ddcacbbb1cdcbd443670e81e37d150c14331314f9a3a384',
    );
  });

  it('should print the sample payload for an event type and fail for unknown ones', async () => {
    const { output } = await cli(['sample', '--event-type', 'alerts.grant.match']);
    const sample: { events: { matches: { new_ids: unknown[] } }[] } = JSON.parse(output);
    expect(sample.events[0]!.matches.new_ids[0]).toEqual(expect.any(Number));
    await expect(cli(['sample', '--event-type', 'nope'])).rejects.toThrow('unknown event type');
    expect((await cli([])).code).toBe(2);
  });
});
