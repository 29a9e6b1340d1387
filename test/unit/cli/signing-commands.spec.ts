import { createHmac } from 'node:crypto';
import { DESCRIBED_FAMILIES } from '../../../src/common/tango/resource-family';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { CliUsageError } from '../../../src/cli/cli-errors';
import { registerSigningCommands } from '../../../src/cli/commands/signing';
import { sampleDelivery, sampleEventTypes } from '../../../src/cli/sample-deliveries';
import { parseDelivery } from '../../../src/webhook/delivery-parser';
import { secretFingerprint, type SignatureCheck, verifySignature } from '../../../src/webhook/signature';

/** The event types of the simulator's fixtures (simulator/fixtures/sample-alert-events.json). */
const SAMPLE_EVENT_TYPES = sampleEventTypes();

/** The partner guide's test vector (node:tests/unit/webhooks.signing.test.ts recipe). */
const GOLDEN_SECRET = 'shh';
const GOLDEN_BODY = '{"events":[{"event_type":"entities.updated","uei":"ABC123"}]}';
const GOLDEN_HEX = 'd3c0bac2ef3bb0bf5ddcacbbb1cdcbd443670e81e37d150c14331314f9a3a384';

interface Run {
  out: string;
  err: string;
}

async function run(...argv: string[]): Promise<Run> {
  const result: Run = { out: '', err: '' };
  const io = {
    out: (text: string): void => {
      result.out += text;
    },
    err: (text: string): void => {
      result.err += text;
    },
  };
  const program = new Command('tango-sync')
    .option('--verbose')
    .option('--json')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerSigningCommands(program, io, () => program.opts<{ verbose: boolean; json: boolean }>());
  await program.parseAsync(argv, { from: 'user' });
  return result;
}

/** The error a command threw (fails the test when it threw none). */
async function failure(...argv: string[]): Promise<Error> {
  try {
    await run(...argv);
  } catch (error) {
    if (error instanceof Error) {
      return error;
    }
    throw error;
  }
  throw new Error(`expected ${argv.join(' ')} to fail`);
}

interface Seen {
  readonly method: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly check: SignatureCheck;
}

/** A tiny receiver on 127.0.0.1 that checks each delivery's signature and answers as told. */
async function receiver(
  secrets: readonly string[],
  answer: { status: number; body: string },
): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = request.headers['x-tango-signature'];
      seen.push({
        method: request.method,
        headers: request.headers,
        body,
        check: verifySignature(body, typeof header === 'string' ? header : undefined, secrets),
      });
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tango/webhooks`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

describe('tango-sync sign / verify / simulate', () => {
  const saved = { ...process.env };
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'signing-commands-'));
  });

  beforeEach(() => {
    for (const key of ['TANGO_WEBHOOK_SECRET', 'WEBHOOK_SECRETS', 'WEBHOOK_SECRETS_FILE']) {
      Reflect.deleteProperty(process.env, key);
    }
  });

  afterAll(() => {
    Object.assign(process.env, saved);
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  describe('sign', () => {
    it('gives the partner-guide golden vector', async () => {
      expect(createHmac('sha256', GOLDEN_SECRET).update(GOLDEN_BODY).digest('hex')).toBe(GOLDEN_HEX);
      const result = await run('sign', '--body', GOLDEN_BODY, '--secret', GOLDEN_SECRET);
      expect(result).toEqual({ out: `sha256=${GOLDEN_HEX}\n`, err: '' });
    });

    it('reads the secret from TANGO_WEBHOOK_SECRET and the body from a file, with --json', async () => {
      process.env.TANGO_WEBHOOK_SECRET = GOLDEN_SECRET;
      const result = await run('--json', 'sign', '--payload-file', file('golden.json', GOLDEN_BODY));
      expect(JSON.parse(result.out)).toEqual({
        header: 'X-Tango-Signature',
        value: `sha256=${GOLDEN_HEX}`,
        bytes: Buffer.byteLength(GOLDEN_BODY),
      });
      expect(result.out.trim().split('\n')).toHaveLength(1);
    });

    it('signs the exact bytes of the file, never a re-serialisation', async () => {
      const pretty = `${JSON.stringify(JSON.parse(GOLDEN_BODY), null, 2)}\n`;
      const result = await run(
        'sign',
        '--payload-file',
        file('pretty.json', pretty),
        '--secret',
        GOLDEN_SECRET,
      );
      const expected = createHmac('sha256', GOLDEN_SECRET).update(pretty).digest('hex');
      expect(result.out).toBe(`sha256=${expected}\n`);
      expect(expected).not.toBe(GOLDEN_HEX);
    });

    it('says which secret source is missing, as a usage error', async () => {
      const error = await failure('sign', '--body', GOLDEN_BODY);
      expect(error).toBeInstanceOf(CliUsageError);
      expect(error.message).toMatch(/--secret/);
      expect(error.message).toMatch(/TANGO_WEBHOOK_SECRET/);
    });

    it('refuses two body sources and an unreadable file', async () => {
      const both = await failure('sign', '--body', '{}', '--payload-file', 'x.json', '--secret', 's');
      expect(both).toBeInstanceOf(CliUsageError);
      const missing = await failure('sign', '--payload-file', join(dir, 'nope.json'), '--secret', 's');
      expect(missing).not.toBeInstanceOf(CliUsageError);
      expect(missing.message).toMatch(/cannot read --payload-file .*nope\.json \(ENOENT\)/);
      const empty = await failure('sign', '--payload-file', file('empty.json', ''), '--secret', 's');
      expect(empty).toBeInstanceOf(CliUsageError);
      expect(empty.message).toMatch(/the body is empty/);
    });

    it('round-trips the SDK docs examples (python and node guides)', async () => {
      const examples = [
        { body: '{"events":[{"event_type":"entities.updated","uei":"ABC"}]}', secret: 'test_secret' },
        { body: '{"events":[{"event_type":"entities.updated","uei":"X"}]}', secret: 's' },
        {
          body: JSON.stringify({
            event_type: 'alerts.entity.match',
            alert_id: 'alert_123',
            query_type: 'entity',
            filters: { uei: 'ABC123' },
            matches: { new: [], modified: [], new_count: 0, modified_count: 0 },
            checked_at: '2024-01-01T00:00:00Z',
          }),
          secret: 'test_secret',
        },
      ];
      for (const example of examples) {
        const signed = await run('sign', '--body', example.body, '--secret', example.secret);
        const value = signed.out.trim();
        expect(value).toMatch(/^sha256=[0-9a-f]{64}$/);
        expect(value).toBe(
          `sha256=${createHmac('sha256', example.secret).update(example.body).digest('hex')}`,
        );
        const verified = await run(
          'verify',
          '--body',
          example.body,
          '--signature',
          value,
          '--secret',
          example.secret,
        );
        expect(verified.out).toMatch(/^verified: secret 1 of 1/);
      }
    });
  });

  describe('verify', () => {
    it('verifies the golden vector in every accepted header form', async () => {
      for (const signature of [
        `sha256=${GOLDEN_HEX}`,
        GOLDEN_HEX,
        `SHA256=${GOLDEN_HEX.toUpperCase()}`,
        `X-Tango-Signature: sha256=${GOLDEN_HEX}`,
      ]) {
        const result = await run(
          'verify',
          '--body',
          GOLDEN_BODY,
          '--signature',
          signature,
          '--secret',
          GOLDEN_SECRET,
        );
        expect(result.out).toBe(
          `verified: secret 1 of 1 (from --secret) matched, fingerprint ${secretFingerprint(GOLDEN_SECRET)}, ` +
            `${Buffer.byteLength(GOLDEN_BODY)} bytes\n`,
        );
      }
    });

    it('reports position 2 when the second secret matches, and never prints a secret', async () => {
      const result = await run(
        'verify',
        '--payload-file',
        file('golden-2.json', GOLDEN_BODY),
        '--signature',
        `sha256=${GOLDEN_HEX}`,
        '--secret',
        'whsec_new_rotated_one',
        '--secret',
        GOLDEN_SECRET,
      );
      expect(result.out).toMatch(/secret 2 of 2/);
      expect(result.out).toContain(secretFingerprint(GOLDEN_SECRET));
      expect(result.out + result.err).not.toContain('whsec_new_rotated_one');
      expect(result.out + result.err).not.toMatch(/\bshh\b/);

      const json = await run(
        '--json',
        'verify',
        '--body',
        GOLDEN_BODY,
        '--signature',
        GOLDEN_HEX,
        '--secret',
        'whsec_new_rotated_one',
        '--secret',
        GOLDEN_SECRET,
      );
      expect(JSON.parse(json.out)).toEqual({
        verified: true,
        secret_position: 2,
        secret_count: 2,
        secret_fingerprint: secretFingerprint(GOLDEN_SECRET),
        secrets_from: '--secret',
        bytes: Buffer.byteLength(GOLDEN_BODY),
      });
    });

    it('takes the secrets from WEBHOOK_SECRETS or --secrets-file in the worker order', async () => {
      process.env.WEBHOOK_SECRETS = ` first-one , ${GOLDEN_SECRET} ,`;
      const fromEnv = await run('verify', '--body', GOLDEN_BODY, '--signature', `sha256=${GOLDEN_HEX}`);
      expect(fromEnv.out).toMatch(/secret 2 of 2 \(from WEBHOOK_SECRETS\)/);

      const path = file('secrets.txt', `one\ntwo,three\n${GOLDEN_SECRET}\n`);
      const fromFile = await run(
        'verify',
        '--body',
        GOLDEN_BODY,
        '--signature',
        `sha256=${GOLDEN_HEX}`,
        '--secrets-file',
        path,
      );
      expect(fromFile.out).toMatch(/secret 4 of 4 \(from --secrets-file\)/);
    });

    it('fails with exit-1 errors naming the reason', async () => {
      const verify = (...extra: string[]): Promise<Error> =>
        failure('verify', '--body', GOLDEN_BODY, '--secret', 'not-the-secret', ...extra);
      const mismatch = await verify('--signature', `sha256=${GOLDEN_HEX}`);
      expect(mismatch).not.toBeInstanceOf(CliUsageError);
      expect(mismatch.message).toMatch(/^does not verify \(mismatch\): /);
      expect(mismatch.message).not.toContain('\n');
      expect(mismatch.message).not.toContain('not-the-secret');
      expect((await verify()).message).toMatch(/\(missing\)/);
      expect((await verify('--signature', 'sha256=abc123def456')).message).toMatch(/\(malformed\)/);
      expect((await verify('--signature', 'sha256=')).message).toMatch(/\(malformed\)/);
      expect((await verify('--signature', `sha1=${GOLDEN_HEX.slice(0, 40)}`)).message).toMatch(
        /\(unsupported_algorithm\)/,
      );
    });

    it('prints one JSON line before failing with --json, and hints at an added trailing newline', async () => {
      const path = file('newline.json', `${GOLDEN_BODY}\n`);
      let out = '';
      try {
        const program = new Command('tango-sync').option('--verbose').option('--json').exitOverride();
        registerSigningCommands(
          program,
          {
            out: (text) => {
              out += text;
            },
            err: () => undefined,
          },
          () => program.opts<{ verbose: boolean; json: boolean }>(),
        );
        await program.parseAsync(
          ['--json', 'verify', '--payload-file', path, '--signature', GOLDEN_HEX, '--secret', GOLDEN_SECRET],
          { from: 'user' },
        );
        throw new Error('expected a failure');
      } catch (error) {
        expect((error as Error).message).toMatch(/mismatch.*verify without the trailing newline/);
      }
      expect(JSON.parse(out)).toEqual({
        verified: false,
        reason: 'mismatch',
        secret_count: 1,
        bytes: Buffer.byteLength(GOLDEN_BODY) + 1,
      });
    });

    it('needs a secret', async () => {
      const error = await failure('verify', '--body', GOLDEN_BODY, '--signature', GOLDEN_HEX);
      expect(error).toBeInstanceOf(CliUsageError);
      expect(error.message).toMatch(/WEBHOOK_SECRETS/);
    });
  });

  describe('simulate', () => {
    it('POSTs a signed delivery from a file and prints the status', async () => {
      const server = await receiver(['whsec_new', 'dev_secret'], {
        status: 202,
        body: '{"status":"accepted","delivery_id":"3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e"}',
      });
      try {
        const payload =
          '{"timestamp":"2026-07-06T14:03:11Z","delivery_id":"3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e",' +
          '"events":[{"event_type":"entities.updated","uei":"ABC123"}]}';
        const result = await run(
          'simulate',
          '--to',
          server.url,
          '--payload-file',
          file('delivery.json', payload),
          '--secret',
          'dev_secret',
        );
        expect(server.seen).toHaveLength(1);
        const seen = server.seen[0]!;
        expect(seen.method).toBe('POST');
        expect(seen.body.toString('utf8')).toBe(payload);
        expect(seen.check).toEqual({
          ok: true,
          secretPosition: 2,
          secretFingerprint: secretFingerprint('dev_secret'),
        });
        expect(seen.headers['content-type']).toBe('application/json');
        expect(seen.headers['x-tango-delivery-id']).toBe('3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e');
        expect(result.out).toMatch(
          /^202 Accepted in \d+ ms from http:\/\/127\.0\.0\.1:\d+\/tango\/webhooks /,
        );
        expect(result.out).toContain('{"status":"accepted"');
        expect(result.out).not.toContain('dev_secret');
      } finally {
        await server.close();
      }
    });

    it('builds, signs and sends an --event-type delivery, with --json', async () => {
      process.env.TANGO_WEBHOOK_SECRET = 'dev_secret';
      const server = await receiver(['dev_secret'], { status: 202, body: 'x'.repeat(800) });
      try {
        const result = await run(
          '--json',
          'simulate',
          '--to',
          server.url,
          '--event-type',
          'alerts.contract.match',
        );
        const seen = server.seen[0]!;
        expect(seen.check.ok).toBe(true);
        const body = JSON.parse(seen.body.toString('utf8')) as { delivery_id: string; events: unknown[] };
        expect(seen.headers['x-tango-delivery-id']).toBe(body.delivery_id);
        const printed = JSON.parse(result.out) as Record<string, unknown>;
        expect(printed).toMatchObject({
          to: server.url,
          status: 202,
          delivery_id: body.delivery_id,
          signature: seen.headers['x-tango-signature'],
          bytes: seen.body.length,
        });
        expect(printed.answer).toBe('x'.repeat(500));
        expect(typeof printed.ms).toBe('number');
      } finally {
        await server.close();
      }
    });

    it('fails with exit 1 on a non-2xx answer, saying the status and the first 200 chars', async () => {
      const server = await receiver(['right'], {
        status: 401,
        body: `{"error":"invalid_signature","detail":"${'y'.repeat(400)}"}`,
      });
      try {
        const error = await failure(
          'simulate',
          '--to',
          server.url,
          '--event-type',
          'entities.updated',
          '--secret',
          'wrong',
        );
        expect(error).not.toBeInstanceOf(CliUsageError);
        expect(error.message).toMatch(/answered 401 Unauthorized: \{"error":"invalid_signature"/);
        expect(error.message).not.toContain('\n');
        const excerpt = error.message.slice(error.message.indexOf(': ') + 2);
        expect(excerpt).toHaveLength(200);
        expect(server.seen[0]!.check).toEqual({ ok: false, reason: 'mismatch' });
      } finally {
        await server.close();
      }
    });

    it('prints the golden request with --dry-run for entities.updated, without sending', async () => {
      const result = await run(
        'simulate',
        '--dry-run',
        '--event-type',
        'entities.updated',
        '--secret',
        GOLDEN_SECRET,
      );
      expect(result.out).toMatch(/^\(not sent: --dry-run\)\nContent-Type: application\/json\n/);
      expect(result.out).toContain(`X-Tango-Signature: sha256=${GOLDEN_HEX}\n`);
      expect(result.out).toMatch(/X-Tango-Delivery-Id: [0-9a-f-]{36}\n/);
      expect(result.out.endsWith(`\n\n${GOLDEN_BODY}\n`)).toBe(true);

      const json = await run(
        '--json',
        'simulate',
        '--dry-run',
        '--to',
        'http://127.0.0.1:9/never',
        '--event-type',
        'entities.updated',
        '--secret',
        GOLDEN_SECRET,
      );
      expect(JSON.parse(json.out)).toMatchObject({
        dry_run: true,
        to: 'http://127.0.0.1:9/never',
        headers: { 'X-Tango-Signature': `sha256=${GOLDEN_HEX}` },
        body: GOLDEN_BODY,
      });
    });

    it('refuses an unknown --event-type as a usage error listing the known ones', async () => {
      const error = await failure(
        'simulate',
        '--dry-run',
        '--event-type',
        'alerts.spaceship.match',
        '--secret',
        's',
      );
      expect(error).toBeInstanceOf(CliUsageError);
      expect(error.message).toMatch(/unknown event type "alerts\.spaceship\.match"/);
      for (const known of ['alerts.contract.match', 'alerts.notice.match', 'entities.updated']) {
        expect(error.message).toContain(known);
      }
    });

    it('refuses a missing --to, a bad URL and ambiguous payload sources', async () => {
      const noTo = await failure('simulate', '--event-type', 'entities.updated', '--secret', 's');
      expect(noTo).toBeInstanceOf(CliUsageError);
      expect(noTo.message).toMatch(/--to/);
      const badUrl = await failure(
        'simulate',
        '--to',
        'ftp://x',
        '--event-type',
        'entities.updated',
        '--secret',
        's',
      );
      expect(badUrl).toBeInstanceOf(CliUsageError);
      const both = await failure('simulate', '--dry-run', '--event-type', 'entities.updated', '--body', '{}');
      expect(both).toBeInstanceOf(CliUsageError);
      const none = await failure('simulate', '--dry-run', '--secret', 's');
      expect(none).toBeInstanceOf(CliUsageError);
    });

    it('says when the receiver cannot be reached', async () => {
      const server = await receiver([], { status: 202, body: '' });
      const url = server.url;
      await server.close();
      const error = await failure(
        'simulate',
        '--to',
        url,
        '--event-type',
        'entities.updated',
        '--secret',
        's',
      );
      expect(error.message).toMatch(
        /^cannot reach http:\/\/127\.0\.0\.1:\d+\/tango\/webhooks \(ECONNREFUSED\)$/,
      );
    });
  });

  describe('sample deliveries', () => {
    it('covers the alert query types and the legacy types', () => {
      for (const queryType of ['contract', 'idv', 'entity', 'opportunity', 'notice', 'grant', 'forecast']) {
        expect(SAMPLE_EVENT_TYPES).toContain(`alerts.${queryType}.match`);
      }
      expect(SAMPLE_EVENT_TYPES).toContain('entities.updated');
      expect(SAMPLE_EVENT_TYPES).toContain('awards.new_award');
    });

    it.each(SAMPLE_EVENT_TYPES)('builds a %s delivery the worker parses', (eventType) => {
      const now = new Date('2026-07-06T14:03:11.221Z');
      const delivery = sampleDelivery(eventType, now, '3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e');
      expect(delivery).toBeDefined();
      const parsed = parseDelivery(Buffer.from(JSON.stringify(delivery)), undefined);
      expect(parsed.events).toHaveLength(1);
      const event = parsed.events[0]!;
      expect(event.eventType).toBe(eventType);
      if (/^alerts\.(exclusion|dibbs_rfq|dibbs_rfp)\.match$/.test(eventType)) {
        // No route by id the worker may use: one sweep that polls the resource until the named id is seen.
        expect([parsed.status, event.problems]).toEqual(['processed', []]);
        expect(event.targets).toEqual([
          expect.objectContaining({
            kind: 'sweep',
            sweep: expect.objectContaining({ ids: [expect.any(String)] }),
          }),
        ]);
        const nineOnly = parseDelivery(
          Buffer.from(JSON.stringify(delivery)),
          undefined,
          undefined,
          new Set(DESCRIBED_FAMILIES),
        );
        expect(nineOnly.status).toBe('not_mirrored');
        expect(nineOnly.events[0]?.problems).toEqual([
          expect.stringMatching(/TANGO_RESOURCES does not turn on$/),
        ]);
        return;
      }
      expect(event.problems).toEqual([]);
      expect(parsed.status).toBe('processed');
      expect(event.status).toBe('recognized');
      expect(event.targets.length).toBeGreaterThan(0);
      expect(event.targets.every((target) => target.kind === 'record')).toBe(true);
      if (eventType.startsWith('alerts.')) {
        expect(parsed).toMatchObject({
          format: 'alerts',
          deliveryId: '3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e',
          tangoTimestamp: '2026-07-06T14:03:11.000Z',
        });
      } else {
        expect(parsed.format).toBe('legacy');
      }
    });

    it('gives undefined for an unknown type', () => {
      expect(sampleDelivery('alerts.spaceship.match', new Date(), 'id')).toBeUndefined();
      expect(sampleDelivery('awards.exploded', new Date(), 'id')).toBeUndefined();
    });
  });
});
