import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { secretFingerprint } from '../../src/webhook/signature';
import { RejectionRecorder } from '../../src/webhook/rejection-recorder';
import { TcpProxy } from '../support/tcp-proxy';
import { requireEnv, testConfig } from '../support/test-config';
import { startTestApp, type RunningTestApp } from '../support/test-app';
import { postDelivery, tangoSignature } from '../support/webhook-client';

const SECRETS = ['shh', 'rotated-secret'];

function opportunityAlert(deliveryId: string | undefined, ids: string[], alertId = randomUUID()): string {
  return JSON.stringify({
    timestamp: '2026-07-06T14:03:11Z',
    ...(deliveryId === undefined ? {} : { delivery_id: deliveryId }),
    events: [
      {
        event_type: 'alerts.opportunity.match',
        created_at: '2026-07-06T14:03:10.221Z',
        alert_id: alertId,
        query_type: 'opportunity',
        filters: { naics: '541512' },
        matches: { new_count: ids.length, modified_count: 0, new_ids: ids, modified_ids: [] },
        checked_at: '2026-07-06T14:03:10.000Z',
      },
    ],
  });
}

describe('webhook ingest over HTTP with a real Postgres', () => {
  let running: RunningTestApp;
  let db: Client;
  let url: string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    running = await startTestApp(
      testConfig({ WEBHOOK_SECRETS: SECRETS.join(','), RELAY_ENABLED: 'false', FETCHER_ENABLED: 'false' }),
    );
    url = `${running.baseUrl}/tango/webhooks`;
    db = new Client({ connectionString: requireEnv('TEST_DATABASE_URL') });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await running.close();
  });

  async function pendingTargets(
    resource: string,
    recordId: string,
  ): Promise<{ hint_count: number; status: string }[]> {
    const result = await db.query<{ hint_count: number; status: string }>(
      'SELECT hint_count, status FROM fetch_targets WHERE resource = $1 AND record_id = $2 ORDER BY id',
      [resource, recordId],
    );
    return result.rows;
  }

  it('stores a signed alert delivery with its events and targets, then answers 202', async () => {
    const deliveryId = randomUUID();
    const ids = [randomUUID(), randomUUID()];
    const alertId = randomUUID();
    const body = opportunityAlert(deliveryId, ids, alertId);
    const response = await postDelivery(url, body, { secret: 'shh' });
    expect(response.status).toBe(202);
    expect(response.body).toEqual({ status: 'accepted', delivery_id: deliveryId, events: 1, targets: 2 });

    const delivery = await db.query(
      'SELECT raw_body, status, format, event_count, target_count, verified_by, tango_timestamp FROM webhook_deliveries WHERE delivery_id = $1',
      [deliveryId],
    );
    expect(delivery.rows).toHaveLength(1);
    expect((delivery.rows[0].raw_body as Buffer).toString('utf8')).toBe(body);
    expect(delivery.rows[0]).toMatchObject({
      status: 'processed',
      format: 'alerts',
      event_count: 1,
      target_count: 2,
      verified_by: `secret:${secretFingerprint('shh')}`,
    });
    for (const id of ids) {
      expect(await pendingTargets('opportunities', id)).toEqual([{ hint_count: 1, status: 'pending' }]);
    }
    const alertState = await db.query(
      `SELECT last_delivery_id, last_checked_at FROM delivery_state WHERE scope = 'alert' AND scope_key = $1`,
      [alertId],
    );
    expect(alertState.rows[0]).toEqual({
      last_delivery_id: deliveryId,
      last_checked_at: new Date('2026-07-06T14:03:10.000Z'),
    });
    const familyState = await db.query(
      `SELECT last_delivery_received_at FROM delivery_state WHERE scope = 'resource' AND scope_key = 'opportunities'`,
    );
    expect(familyState.rows[0].last_delivery_received_at).toBeInstanceOf(Date);
  });

  it('answers a repeated delivery 200 duplicate and creates no new work', async () => {
    const deliveryId = randomUUID();
    const id = randomUUID();
    const body = opportunityAlert(deliveryId, [id]);
    expect((await postDelivery(url, body, { secret: 'shh' })).status).toBe(202);
    const again = await postDelivery(url, body, { secret: 'shh' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ status: 'duplicate', delivery_id: deliveryId });
    expect(await pendingTargets('opportunities', id)).toEqual([{ hint_count: 1, status: 'pending' }]);
    const row = await db.query(
      'SELECT count(*)::int AS n, max(duplicate_count) AS d FROM webhook_deliveries WHERE delivery_id = $1',
      [deliveryId],
    );
    expect(row.rows[0]).toEqual({ n: 1, d: 1 });
  });

  it('de-duplicates deliveries without a delivery id by their body hash', async () => {
    const id = randomUUID();
    const body = opportunityAlert(undefined, [id]);
    expect((await postDelivery(url, body, { secret: 'shh' })).status).toBe(202);
    expect((await postDelivery(url, body, { secret: 'shh' })).body).toEqual({
      status: 'duplicate',
      delivery_id: null,
    });
  });

  it('answers concurrent deliveries only after they are stored, sharing statements, with repeats and shared records', async () => {
    const shared = randomUUID();
    const bodies = Array.from({ length: 40 }, () => opportunityAlert(randomUUID(), [shared, randomUUID()]));
    const batchesBefore = await writeBatchCount();
    // Every body twice, all at once: each pair is one stored delivery and one duplicate, whichever lands first.
    const responses = await Promise.all(
      [...bodies, ...bodies].map((body) => postDelivery(url, body, { secret: 'shh' })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array<number>(40).fill(200), ...Array<number>(40).fill(202)]);

    const ids = bodies.map((body) => (JSON.parse(body) as { delivery_id: string }).delivery_id);
    const stored = await db.query<{ n: number; duplicates: number; events: number }>(
      `SELECT count(*)::int AS n, sum(duplicate_count)::int AS duplicates,
              (SELECT count(*)::int FROM webhook_events e JOIN webhook_deliveries d ON d.id = e.delivery_pk
                WHERE d.delivery_id = ANY($1)) AS events
         FROM webhook_deliveries WHERE delivery_id = ANY($1)`,
      [ids],
    );
    expect(stored.rows[0]).toEqual({ n: 40, duplicates: 40, events: 40 });
    // The record all 40 name is one pending target that counted every stored delivery's hint, and no repeat's.
    expect(await pendingTargets('opportunities', shared)).toEqual([{ hint_count: 40, status: 'pending' }]);
    // 80 requests in flight at once cannot have needed 80 statements.
    expect((await writeBatchCount()) - batchesBefore).toBeLessThan(80);
  });

  async function writeBatchCount(): Promise<number> {
    const metrics = await fetch(`${running.baseUrl}/metrics`).then((response) => response.text());
    const line = metrics
      .split('\n')
      .find((row) => row.startsWith('tango_sync_webhook_write_batch_deliveries_count'));
    return Number(line?.split(' ').at(-1) ?? Number.NaN);
  }

  it('takes the delivery id from X-Tango-Delivery-Id when the body has none', async () => {
    const headerId = randomUUID();
    const response = await postDelivery(url, opportunityAlert(undefined, [randomUUID()]), {
      secret: 'shh',
      headers: { 'x-tango-delivery-id': headerId },
    });
    expect(response.body.delivery_id).toBe(headerId);
  });

  it('coalesces hints for a pending target and fetches once more after the target was claimed', async () => {
    const id = randomUUID();
    await postDelivery(url, opportunityAlert(randomUUID(), [id]), { secret: 'shh' });
    await postDelivery(url, opportunityAlert(randomUUID(), [id]), { secret: 'shh' });
    expect(await pendingTargets('opportunities', id)).toEqual([{ hint_count: 2, status: 'pending' }]);
    // The relay claims it (the fetch has started); a newer hint must not be absorbed by it.
    await db.query(
      `UPDATE fetch_targets SET status = 'published', published_at = now() WHERE resource = 'opportunities' AND record_id = $1`,
      [id],
    );
    await postDelivery(url, opportunityAlert(randomUUID(), [id]), { secret: 'shh' });
    expect(await pendingTargets('opportunities', id)).toEqual([
      { hint_count: 2, status: 'published' },
      { hint_count: 1, status: 'pending' },
    ]);
  });

  it('accepts the published test vector, a bare-hex signature and a rotated secret, counting each secret position', async () => {
    const verified = async (position: string): Promise<number> => {
      const text = await fetch(`${running.baseUrl}/metrics`).then((response) => response.text());
      const match = new RegExp(
        `^tango_sync_webhook_verified_total\\{[^}]*secret_position="${position}"[^}]*\\} (\\d+)$`,
        'm',
      ).exec(text);
      return Number(match?.[1] ?? 0);
    };
    const [firstBefore, secondBefore] = [await verified('1'), await verified('2')];
    const vector = '{"events":[{"event_type":"entities.updated","uei":"ABC123"}]}';
    const first = await postDelivery(url, vector, {
      signature: 'sha256=d3c0bac2ef3bb0bf5ddcacbbb1cdcbd443670e81e37d150c14331314f9a3a384',
    });
    expect([200, 202]).toContain(first.status);
    const bareBody = opportunityAlert(randomUUID(), [randomUUID()]);
    const bare = await postDelivery(url, bareBody, {
      signature: tangoSignature(bareBody, 'shh').slice('sha256='.length),
    });
    expect(bare.status).toBe(202);
    const rotatedId = randomUUID();
    const rotated = await postDelivery(url, opportunityAlert(rotatedId, [randomUUID()]), {
      secret: 'rotated-secret',
    });
    expect(rotated.status).toBe(202);
    const row = await db.query('SELECT verified_by FROM webhook_deliveries WHERE delivery_id = $1', [
      rotatedId,
    ]);
    expect(row.rows[0].verified_by).toBe(`secret:${secretFingerprint('rotated-secret')}`);
    // Two deliveries matched the first secret, one the second; the metric never carries a secret.
    expect(await verified('1')).toBe(firstBefore + 2);
    expect(await verified('2')).toBe(secondBefore + 1);
    const text = await fetch(`${running.baseUrl}/metrics`).then((response) => response.text());
    expect(text).not.toContain('rotated-secret');
  });

  it.each([
    ['a missing signature', null, 'WEBHOOK.SIGNATURE_MISSING'],
    ['an empty signature', '', 'WEBHOOK.SIGNATURE_MISSING'],
    ['a wrong secret', 'wrong', 'WEBHOOK.SIGNATURE_INVALID'],
    ['another algorithm', 'sha1=abc', 'WEBHOOK.SIGNATURE_INVALID'],
    ['a non-hex digest', 'sha256=zzzz', 'WEBHOOK.SIGNATURE_INVALID'],
  ])('rejects %s with 401, stores nothing and records the rejection', async (_label, signature, code) => {
    const deliveryId = randomUUID();
    const body = opportunityAlert(deliveryId, [randomUUID()]);
    const header = signature === 'wrong' ? tangoSignature(body, 'not-configured') : signature;
    const response = await postDelivery(url, body, {
      signature: header,
      headers: { 'x-tango-delivery-id': deliveryId },
    });
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code } });
    const stored = await db.query('SELECT 1 FROM webhook_deliveries WHERE delivery_id = $1', [deliveryId]);
    expect(stored.rows).toHaveLength(0);
    await running.app.get(RejectionRecorder).flush();
    const rejection = await db.query(
      'SELECT http_status, code FROM webhook_rejections WHERE delivery_id = $1',
      [deliveryId],
    );
    expect(rejection.rows).toEqual([{ http_status: 401, code }]);
  });

  it('also rejects a body changed after signing', async () => {
    const body = opportunityAlert(randomUUID(), [randomUUID()]);
    const response = await postDelivery(url, body.replace('541512', '541511'), {
      signature: tangoSignature(body, 'shh'),
    });
    expect(response.status).toBe(401);
  });

  it('answers a 10 MB body with a 413 the client can read, on a connection it can use again', async () => {
    const tenMegabytes = JSON.stringify({ events: [], padding: 'x'.repeat(10 * 1024 * 1024) });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const answer = await postDelivery(url, tenMegabytes, { secret: 'shh' });
      expect(answer.status).toBe(413);
      expect(answer.body).toMatchObject({ error: { code: 'REQUEST.PAYLOAD_TOO_LARGE' } });
    }
    // A client that streams the body (no Content-Length) and is still writing when the answer comes.
    const streamed = await new Promise<string>((resolve) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.on('end', () => {
          resolve(`${res.statusCode ?? 0} ${text}`);
        });
      });
      req.on('error', (error) => {
        resolve(`error ${error.message}`);
      });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    expect(streamed).toMatch(/^413 .*REQUEST\.PAYLOAD_TOO_LARGE/);
    const after = await postDelivery(url, opportunityAlert(randomUUID(), [randomUUID()]), { secret: 'shh' });
    expect(after.status).toBe(202);
  });

  it('refuses other methods (405), other content types (415) and bodies over the limit (413), and records each', async () => {
    const marker = randomUUID();
    const get = await fetch(url, { headers: { 'x-tango-delivery-id': marker } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toMatchObject({ error: { code: 'REQUEST.METHOD_NOT_ALLOWED' } });

    const body = opportunityAlert(randomUUID(), [randomUUID()]);
    const text = await postDelivery(url, body, {
      secret: 'shh',
      contentType: 'text/plain',
      headers: { 'x-tango-delivery-id': marker },
    });
    expect(text.status).toBe(415);
    expect(text.body).toMatchObject({ error: { code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE' } });
    const none = await postDelivery(url, body, {
      secret: 'shh',
      contentType: null,
      headers: { 'x-tango-delivery-id': marker },
    });
    expect(none.status).toBe(415);
    const charset = await postDelivery(url, opportunityAlert(randomUUID(), [randomUUID()]), {
      secret: 'shh',
      contentType: 'application/json; charset=utf-8',
    });
    expect(charset.status).toBe(202);

    const huge = JSON.stringify({ events: [], padding: 'x'.repeat(262_144) });
    const tooLarge = await postDelivery(url, huge, {
      secret: 'shh',
      headers: { 'x-tango-delivery-id': marker },
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toMatchObject({ error: { code: 'REQUEST.PAYLOAD_TOO_LARGE' } });

    await running.app.get(RejectionRecorder).flush();
    const recorded = await db.query(
      'SELECT http_status FROM webhook_rejections WHERE delivery_id = $1 ORDER BY id',
      [marker],
    );
    expect(recorded.rows.map((row: { http_status: number }) => row.http_status)).toEqual([
      405, 415, 415, 413,
    ]);
  });

  it('stores correctly signed bodies it cannot use, and acknowledges them', async () => {
    const notJson = `not json ${randomUUID()}`;
    const malformed = await postDelivery(url, notJson, { secret: 'shh' });
    expect(malformed.status).toBe(202);
    expect(malformed.body).toMatchObject({ status: 'malformed', events: 0, targets: 0 });
    const unknownId = randomUUID();
    const unknown = await postDelivery(
      url,
      JSON.stringify({ delivery_id: unknownId, events: [{ event_type: 'vehicles.updated', id: 1 }] }),
      {
        secret: 'shh',
      },
    );
    expect(unknown.body).toMatchObject({
      status: 'unrecognized',
      delivery_id: unknownId,
      events: 1,
      targets: 0,
    });
    const row = await db.query('SELECT status, problems FROM webhook_deliveries WHERE delivery_id = $1', [
      unknownId,
    ]);
    expect(row.rows[0]).toEqual({
      status: 'unrecognized',
      problems: ['event 0: event type "vehicles.updated" is not known'],
    });
  });
});

describe('webhook ingest while Postgres is unreachable', () => {
  let proxy: TcpProxy;
  let running: RunningTestApp;
  let url: string;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const databaseUrl = new URL(requireEnv('TEST_DATABASE_URL'));
    proxy = await TcpProxy.start(databaseUrl.hostname, Number(databaseUrl.port || 5432));
    databaseUrl.port = String(proxy.port);
    running = await startTestApp(
      testConfig({
        DATABASE_URL: databaseUrl.toString(),
        WEBHOOK_SECRETS: 'shh',
        DATABASE_STATEMENT_TIMEOUT_MS: '2000',
      }),
    );
    url = `${running.baseUrl}/tango/webhooks`;
  });

  afterAll(async () => {
    proxy.restore();
    await running.close();
    await proxy.close();
  });

  it('answers 503 with Retry-After and records nothing, then stores the retry once Postgres is back', async () => {
    const deliveryId = randomUUID();
    const body = opportunityAlert(deliveryId, [randomUUID()]);
    proxy.cut();
    const during = await postDelivery(url, body, { secret: 'shh' });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(during.body).toMatchObject({ error: { code: 'DATABASE.UNAVAILABLE' } });
    const recorder = running.app.get(RejectionRecorder);
    expect(recorder.pending).toBeGreaterThanOrEqual(1);

    proxy.restore();
    let after = await postDelivery(url, body, { secret: 'shh' });
    for (let attempt = 0; attempt < 20 && after.status !== 202; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await postDelivery(url, body, { secret: 'shh' });
    }
    expect(after.status).toBe(202);
    await recorder.flush();
    const db = new Client({ connectionString: requireEnv('TEST_DATABASE_URL') });
    await db.connect();
    try {
      const stored = await db.query(
        'SELECT count(*)::int AS n FROM webhook_deliveries WHERE delivery_id = $1',
        [deliveryId],
      );
      expect(stored.rows[0].n).toBe(1);
      const rejection = await db.query(
        'SELECT http_status, code FROM webhook_rejections WHERE delivery_id = $1',
        [deliveryId],
      );
      expect(rejection.rows).toEqual([{ http_status: 503, code: 'DATABASE.UNAVAILABLE' }]);
    } finally {
      await db.end();
    }
  });
});
