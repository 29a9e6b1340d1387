import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { type Command } from 'commander';
import { z } from 'zod';
import {
  parseSignatureHeader,
  secretFingerprint,
  signBody,
  type SignatureFailure,
  verifySignature,
} from '../webhook/signature';
import { CliUsageError } from './cli-errors';

/**
 * Local webhook tools, modelled on Tango's SDK CLIs (`tango webhooks sign|verify|simulate`): sign a body the way
 * Tango does, check a saved delivery against the configured secrets, and POST a signed delivery to a receiver
 * (this worker's, usually). Nothing here talks to Tango, and no secret is ever printed (only its fingerprint).
 */

/** Where the commands write; tests pass their own. */
export interface SigningIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

interface Globals {
  verbose: boolean;
  json: boolean;
}

export const SIGNATURE_HEADER = 'X-Tango-Signature';
/** The header the worker reads a delivery id from when the body has none (webhook-ingest.service.ts). */
export const DELIVERY_ID_HEADER = 'X-Tango-Delivery-Id';

const SIMULATE_TIMEOUT_MS = 10_000;
const ANSWER_PRINTED_CHARS = 500;
const ANSWER_ERROR_CHARS = 200;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = Record<string, Json>;

// ---------------------------------------------------------------------------------------------------------------
// Bodies and secrets
// ---------------------------------------------------------------------------------------------------------------

interface BodyOptions {
  readonly payloadFile?: string;
  readonly body?: string;
}

/** The exact bytes to sign or check: `--payload-file`, `--body`, or stdin (never re-serialised); never empty. */
async function readBody(options: BodyOptions, allowStdin: boolean): Promise<Buffer> {
  const body = await readBodySource(options, allowStdin);
  if (body.length === 0) {
    throw new CliUsageError('the body is empty (Tango never sends an empty delivery)');
  }
  return body;
}

async function readBodySource(options: BodyOptions, allowStdin: boolean): Promise<Buffer> {
  if (options.payloadFile !== undefined && options.body !== undefined) {
    throw new CliUsageError('pass --payload-file or --body, not both');
  }
  if (options.payloadFile !== undefined) {
    return readPayloadFile(options.payloadFile);
  }
  if (options.body !== undefined) {
    return Buffer.from(options.body, 'utf8');
  }
  if (!allowStdin || process.stdin.isTTY) {
    throw new CliUsageError(
      'no body: pass --payload-file <path> or --body <json-text>, or pipe the body on stdin',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  }
  return Buffer.concat(chunks);
}

async function readPayloadFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`cannot read --payload-file ${path} (${errorCode(error)})`, { cause: error });
  }
}

/** Errors read by shape (not `instanceof`: Node's internal errors may come from another realm). */
const errorShape = z.object({
  name: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
  cause: z.unknown().optional(),
});

/** `ENOENT`, `ECONNREFUSED`, … or else the message, for a one-line error. */
function errorCode(error: unknown): string {
  const shape = errorShape.safeParse(error);
  if (!shape.success) {
    return String(error);
  }
  return shape.data.code ?? shape.data.message ?? String(error);
}

/** One secret for signing: `--secret`, else TANGO_WEBHOOK_SECRET (trimmed, as the worker trims its secrets). */
function signingSecret(option: string | undefined): { secret: string; source: string } {
  const fromOption = option?.trim();
  if (fromOption !== undefined && fromOption !== '') {
    return { secret: fromOption, source: '--secret' };
  }
  if (option !== undefined) {
    throw new CliUsageError('--secret is empty');
  }
  const fromEnv = process.env.TANGO_WEBHOOK_SECRET?.trim();
  if (fromEnv !== undefined && fromEnv !== '') {
    return { secret: fromEnv, source: 'TANGO_WEBHOOK_SECRET' };
  }
  throw new CliUsageError('no secret: pass --secret <secret> or set TANGO_WEBHOOK_SECRET');
}

/** Secrets split the way the worker splits WEBHOOK_SECRETS (and its file): commas or lines, trimmed, no blanks. */
function splitSecrets(text: string): string[] {
  return text
    .split(/[\r\n,]+/)
    .map((secret) => secret.trim())
    .filter((secret) => secret.length > 0);
}

async function readSecretsFile(path: string, label: string): Promise<string[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${label} ${path} (${errorCode(error)})`, { cause: error });
  }
  const secrets = splitSecrets(content);
  if (secrets.length === 0) {
    throw new CliUsageError(`${label} ${path} holds no secret`);
  }
  return secrets;
}

/**
 * The secrets to check against, in order (positions are 1-based in this order, as the worker numbers them):
 * `--secret` (repeatable), else `--secrets-file`, else WEBHOOK_SECRETS, else WEBHOOK_SECRETS_FILE.
 */
async function verifySecrets(options: {
  readonly secret: readonly string[];
  readonly secretsFile?: string;
}): Promise<{ secrets: string[]; source: string }> {
  if (options.secret.length > 0 && options.secretsFile !== undefined) {
    throw new CliUsageError('pass --secret or --secrets-file, not both');
  }
  if (options.secret.length > 0) {
    const secrets = options.secret.map((secret) => secret.trim());
    if (secrets.some((secret) => secret === '')) {
      throw new CliUsageError('--secret is empty');
    }
    return { secrets, source: '--secret' };
  }
  if (options.secretsFile !== undefined) {
    return {
      secrets: await readSecretsFile(options.secretsFile, '--secrets-file'),
      source: '--secrets-file',
    };
  }
  const fromEnv = splitSecrets(process.env.WEBHOOK_SECRETS ?? '');
  if (fromEnv.length > 0) {
    return { secrets: fromEnv, source: 'WEBHOOK_SECRETS' };
  }
  const file = process.env.WEBHOOK_SECRETS_FILE;
  if (file !== undefined && file !== '') {
    return {
      secrets: await readSecretsFile(file, 'WEBHOOK_SECRETS_FILE'),
      source: 'WEBHOOK_SECRETS_FILE',
    };
  }
  throw new CliUsageError(
    'no secret: pass --secret <secret> (repeatable) or --secrets-file <path>, or set WEBHOOK_SECRETS',
  );
}

function signatureValue(body: Buffer, secret: string): string {
  return `sha256=${signBody(body, secret)}`;
}

/** A pasted header line (`X-Tango-Signature: sha256=…`) is accepted as its value. */
function headerValue(raw: string | undefined): string | undefined {
  return raw?.replace(/^\s*x-tango-signature\s*:/i, '');
}

const FAILURE_TEXT: Readonly<Record<SignatureFailure, string>> = {
  missing: `no signature: pass the ${SIGNATURE_HEADER} value with --signature`,
  malformed: 'the signature is neither sha256=<64 hex digits> nor 64 bare hex digits',
  unsupported_algorithm: 'the signature names an algorithm other than sha256',
  mismatch: 'the signature matches none of the secrets',
};

// ---------------------------------------------------------------------------------------------------------------
// Sample deliveries for `simulate --event-type`
// ---------------------------------------------------------------------------------------------------------------

interface AlertSample {
  /** The summary field the worker takes the record id from. */
  readonly idField: string;
  readonly filters: JsonObject;
  readonly fresh: readonly JsonObject[];
  readonly modified: readonly JsonObject[];
}

/** Representative matches per alert query type, with ids the worker's parser accepts for that family. */
const ALERT_SAMPLES: Readonly<Record<string, AlertSample>> = {
  contract: {
    idField: 'key',
    filters: { naics: '541512', awarding_agency: '9700' },
    fresh: [
      {
        key: 'CONT_AWD_15B0AT26F41000011_1540_36W79720D0001_3600',
        piid: '15B0AT26F41000011',
        award_date: '2026-08-13',
        total_contract_value: 65000,
        recipient: { uei: 'ZM3PA9VDX2W1', display_name: 'MCKESSON CORPORATION' },
      },
    ],
    modified: [{ key: 'CONT_AWD_15B31026F00000090_1540_GS03F045DA_4732', piid: '15B31026F00000090' }],
  },
  idv: {
    idField: 'key',
    filters: { naics: '541512' },
    fresh: [
      {
        key: 'CONT_IDV_47QTCA22D003G_4732',
        piid: '47QTCA22D003G',
        award_date: '2026-08-12',
        recipient: { uei: 'ZM3PA9VDX2W1', display_name: 'MCKESSON CORPORATION' },
      },
    ],
    modified: [],
  },
  ota: {
    idField: 'key',
    filters: { awarding_agency: '9700' },
    fresh: [
      { key: 'OT_AWD_W15QKN2690001_9700_-NONE-_-NONE-', piid: 'W15QKN2690001', award_date: '2026-08-11' },
    ],
    modified: [],
  },
  otidv: {
    idField: 'key',
    filters: { awarding_agency: '9700' },
    fresh: [{ key: 'OT_IDV_HQ003426900010_9700', piid: 'HQ003426900010', award_date: '2026-08-10' }],
    modified: [],
  },
  opportunity: {
    idField: 'opportunity_id',
    filters: { agency: '7500', naics: '541512', active: true },
    fresh: [
      {
        opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555',
        title: 'IT Support Services for the Office of the CIO',
        solicitation_number: '75H70126R00042',
        naics_code: '541512',
        response_deadline: '2026-08-01',
      },
    ],
    modified: [],
  },
  notice: {
    idField: 'notice_id',
    filters: { naics: '541512' },
    fresh: [
      {
        notice_id: 'c3d4e5f6-7777-8888-9999-aaaabbbbcccc',
        opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555',
        title: 'IT Support Services for the Office of the CIO',
        solicitation_number: '75H70126R00042',
        posted_date: '2026-07-06',
      },
    ],
    modified: [],
  },
  entity: {
    idField: 'uei',
    filters: { uei: 'ZM3PA9VDX2W1' },
    fresh: [],
    modified: [{ uei: 'ZM3PA9VDX2W1', legal_business_name: 'MCKESSON CORPORATION', cage_code: '18U69' }],
  },
  grant: {
    idField: 'grant_id',
    filters: { agency: 'HHS' },
    fresh: [
      {
        grant_id: 361394,
        opportunity_number: 'PAR-26-119',
        title: 'Research Project Grant (Parent R01 Clinical Trial Not Allowed)',
      },
    ],
    modified: [],
  },
  forecast: {
    idField: 'id',
    filters: { naics: '541512' },
    fresh: [
      { id: 13930, title: 'Enterprise IT Modernization Support', anticipated_award_date: '2027-03-01' },
    ],
    modified: [],
  },
  // Families Tango alerts on that the worker does not mirror (stored as `not_mirrored`).
  exclusion: { idField: 'id', filters: {}, fresh: [{ id: 'EXCLUSION-000001' }], modified: [] },
  dibbs_rfq: { idField: 'id', filters: {}, fresh: [{ id: 'DIBBS_RFQ-000001' }], modified: [] },
  dibbs_rfp: { idField: 'id', filters: {}, fresh: [{ id: 'DIBBS_RFP-000001' }], modified: [] },
};

/** The legacy subject-based events (`{"events":[{"event_type":…, <ids>}]}`), by event type. */
const LEGACY_SAMPLES: Readonly<Record<string, JsonObject>> = {
  'awards.new_award': {
    award_type: 'contract',
    award_key: 'CONT_AWD_15B0AT26F41000011_1540_36W79720D0001_3600',
    recipient_id: 'ZM3PA9VDX2W1',
  },
  'awards.new_transaction': {
    award_type: 'contract',
    award_key: 'CONT_AWD_15B31026F00000090_1540_GS03F045DA_4732',
    recipient_id: 'ZM3PA9VDX2W1',
    transaction_ids: ['TXN_KEY_A'],
  },
  'opportunities.new_opportunity': { opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555' },
  'opportunities.updated': { opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555' },
  'opportunities.new_notice': {
    opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555',
    notice_id: 'c3d4e5f6-7777-8888-9999-aaaabbbbcccc',
  },
  'entities.new_entity': { uei: 'ABC123' },
  'entities.updated': { uei: 'ABC123' },
  'grants.new_grant': { grant_id: 361394 },
  'grants.updated': { grant_id: 361394 },
  'forecasts.new_forecast': { id: 13930 },
  'forecasts.updated': { id: 13930 },
};

const SAMPLE_ALERT_ID = '00000000-0000-4000-8000-000000000000';

/** Every event type `simulate --event-type` builds a delivery for. */
export const SAMPLE_EVENT_TYPES: readonly string[] = [
  ...Object.keys(ALERT_SAMPLES).map((queryType) => `alerts.${queryType}.match`),
  ...Object.keys(LEGACY_SAMPLES),
];

/**
 * A representative delivery for an event type, built locally: alerts in Tango's envelope
 * (`{timestamp, delivery_id, events}`), legacy types in their subject-based form. Undefined for unknown types.
 */
export function sampleDelivery(eventType: string, now: Date, deliveryId: string): JsonObject | undefined {
  const queryType = /^alerts\.([a-z0-9_]+)\.match$/.exec(eventType)?.[1];
  const alert = queryType === undefined ? undefined : ALERT_SAMPLES[queryType];
  if (queryType !== undefined && alert !== undefined) {
    const ids = (summaries: readonly JsonObject[]): Json[] =>
      summaries.map((summary) => summary[alert.idField] ?? null);
    const checkedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    return {
      timestamp: `${now.toISOString().slice(0, 19)}Z`,
      delivery_id: deliveryId,
      events: [
        {
          event_type: eventType,
          created_at: now.toISOString(),
          alert_id: SAMPLE_ALERT_ID,
          query_type: queryType,
          filters: alert.filters,
          matches: {
            new_count: alert.fresh.length,
            modified_count: alert.modified.length,
            new: [...alert.fresh],
            modified: [...alert.modified],
            new_ids: ids(alert.fresh),
            modified_ids: ids(alert.modified),
          },
          checked_at: checkedAt.toISOString(),
        },
      ],
    };
  }
  const legacy = LEGACY_SAMPLES[eventType];
  return legacy === undefined ? undefined : { events: [{ event_type: eventType, ...legacy }] };
}

/** The delivery id a JSON body carries at its top level, if any. */
const deliveryIdInBody = z.looseObject({ delivery_id: z.union([z.string().min(1), z.number()]) });

function bodyDeliveryId(body: Buffer): { id: string | undefined; json: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { id: undefined, json: false };
  }
  const result = deliveryIdInBody.safeParse(parsed);
  return { id: result.success ? String(result.data.delivery_id) : undefined, json: true };
}

function targetUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliUsageError(`--to must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliUsageError(`--to must be an http(s) URL, got "${raw}"`);
  }
  return url;
}

function oneLine(text: string, chars: number): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, chars);
}

async function post(
  url: URL,
  body: Buffer,
  headers: Readonly<Record<string, string>>,
): Promise<{ status: number; statusText: string; text: string; ms: number }> {
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(SIMULATE_TIMEOUT_MS),
    });
  } catch (error) {
    const shape = errorShape.safeParse(error);
    const name = shape.success ? shape.data.name : undefined;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new Error(`no answer from ${url.href} within ${SIMULATE_TIMEOUT_MS / 1000} s`, {
        cause: error,
      });
    }
    // fetch fails with "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, …) is its cause.
    const cause = shape.success ? shape.data.cause : undefined;
    throw new Error(`cannot reach ${url.href} (${errorCode(cause ?? error)})`, { cause: error });
  }
  const text = await response.text();
  return {
    status: response.status,
    statusText: response.statusText,
    text,
    ms: Math.round(performance.now() - started),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------------------------

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Adds `sign`, `verify` and `simulate` to the program. */
export function registerSigningCommands(program: Command, io: SigningIo, globals: () => Globals): void {
  const print = (value: unknown): void => {
    io.out(`${JSON.stringify(value)}\n`);
  };

  program
    .command('sign')
    .description(
      `print the ${SIGNATURE_HEADER} value (sha256=<hex>) for a body, signed over its exact bytes the way Tango signs`,
    )
    .option('--payload-file <path>', 'the body, read from this file byte for byte (default: stdin)')
    .option('--body <json-text>', 'the body, as given (default: stdin)')
    .option('--secret <secret>', 'the endpoint secret (default: TANGO_WEBHOOK_SECRET)')
    .action(async (options: BodyOptions & { secret?: string }) => {
      const { secret, source } = signingSecret(options.secret);
      const body = await readBody(options, true);
      const value = signatureValue(body, secret);
      if (globals().verbose) {
        io.err(`signed ${body.length} bytes with secret ${secretFingerprint(secret)} (from ${source})\n`);
      }
      if (globals().json) {
        print({ header: SIGNATURE_HEADER, value, bytes: body.length });
      } else {
        io.out(`${value}\n`);
      }
    });

  program
    .command('verify')
    .description(
      `check a saved delivery's ${SIGNATURE_HEADER} against one or more secrets and say which one matched ` +
        '(exit 1 when it does not verify)',
    )
    .option('--payload-file <path>', 'the body, read from this file byte for byte (default: stdin)')
    .option('--body <json-text>', 'the body, as given (default: stdin)')
    .option('--signature <value>', `the ${SIGNATURE_HEADER} value: sha256=<hex> or bare hex`)
    .option(
      '--secret <secret>',
      'a secret to try; repeat for several, in order (default: WEBHOOK_SECRETS)',
      collect,
    )
    .option('--secrets-file <path>', 'secrets to try, one per line or comma-separated')
    .action(
      async (options: BodyOptions & { signature?: string; secret?: string[]; secretsFile?: string }) => {
        const { secrets, source } = await verifySecrets({ ...options, secret: options.secret ?? [] });
        const body = await readBody(options, true);
        const header = headerValue(options.signature);
        const parsed = parseSignatureHeader(header);
        const check =
          'failure' in parsed
            ? { ok: false as const, reason: parsed.failure }
            : verifySignature(body, header, secrets);
        if (check.ok) {
          if (globals().json) {
            print({
              verified: true,
              secret_position: check.secretPosition,
              secret_count: secrets.length,
              secret_fingerprint: check.secretFingerprint,
              secrets_from: source,
              bytes: body.length,
            });
          } else {
            io.out(
              `verified: secret ${check.secretPosition} of ${secrets.length} (from ${source}) matched, ` +
                `fingerprint ${check.secretFingerprint}, ${body.length} bytes\n`,
            );
          }
          return;
        }
        let detail = FAILURE_TEXT[check.reason];
        if (check.reason === 'mismatch') {
          detail = `the signature matches none of the ${secrets.length} secrets (from ${source}) over ${body.length} bytes`;
          const newline = body.at(-1) === 0x0a ? (body.at(-2) === 0x0d ? 2 : 1) : 0;
          if (newline > 0 && verifySignature(body.subarray(0, body.length - newline), header, secrets).ok) {
            detail += '; it does verify without the trailing newline (was the file saved with one added?)';
          }
        }
        if (globals().json) {
          print({ verified: false, reason: check.reason, secret_count: secrets.length, bytes: body.length });
        }
        throw new Error(`does not verify (${check.reason}): ${detail}`);
      },
    );

  program
    .command('simulate')
    .description(
      'sign a delivery and POST it to a receiver (this worker: http://127.0.0.1:<port>/tango/webhooks); ' +
        'prints the answer status, time and body',
    )
    .option('--to <url>', 'the receiver URL (required unless --dry-run)')
    .option('--payload-file <path>', 'the body, read from this file byte for byte')
    .option('--body <json-text>', 'the body, as given')
    .option(
      '--event-type <type>',
      'build a representative delivery of this type locally (alerts.<query_type>.match, or a legacy type)',
    )
    .option('--secret <secret>', 'the endpoint secret (default: TANGO_WEBHOOK_SECRET)')
    .option(
      '--delivery-id <id>',
      `the ${DELIVERY_ID_HEADER} header (default: the body's delivery_id, else a new UUID)`,
    )
    .option('--dry-run', 'print the body and headers without sending', false)
    .action(
      async (
        options: BodyOptions & {
          to?: string;
          eventType?: string;
          secret?: string;
          deliveryId?: string;
          dryRun: boolean;
        },
      ) => {
        const sources = [options.payloadFile, options.body, options.eventType].filter(
          (value) => value !== undefined,
        );
        if (sources.length !== 1) {
          throw new CliUsageError('pass exactly one of --payload-file, --body or --event-type');
        }
        const url = options.to === undefined ? undefined : targetUrl(options.to);
        if (url === undefined && !options.dryRun) {
          throw new CliUsageError(
            '--to <url> is required (or --dry-run to print the request without sending)',
          );
        }
        let body: Buffer;
        let deliveryId: string;
        if (options.eventType !== undefined) {
          const generatedId = options.deliveryId ?? randomUUID();
          const sample = sampleDelivery(options.eventType, new Date(), generatedId);
          if (sample === undefined) {
            throw new CliUsageError(
              `unknown event type "${options.eventType}" (one of: ${SAMPLE_EVENT_TYPES.join(', ')})`,
            );
          }
          body = Buffer.from(JSON.stringify(sample), 'utf8');
          deliveryId = generatedId;
        } else {
          body = await readBody(options, false);
          const inBody = bodyDeliveryId(body);
          if (!inBody.json) {
            io.err('warning: the body is not valid JSON; it is sent as is\n');
          }
          deliveryId = options.deliveryId ?? inBody.id ?? randomUUID();
        }
        const { secret } = signingSecret(options.secret);
        const headers = {
          'Content-Type': 'application/json',
          [SIGNATURE_HEADER]: signatureValue(body, secret),
          [DELIVERY_ID_HEADER]: deliveryId,
        };
        if (options.dryRun || url === undefined) {
          if (globals().json) {
            print({
              dry_run: true,
              to: url?.href ?? null,
              headers,
              bytes: body.length,
              body: body.toString('utf8'),
            });
          } else {
            const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
            io.out(
              `${url === undefined ? '(not sent: --dry-run)' : `POST ${url.href} (not sent: --dry-run)`}\n` +
                `${lines.join('\n')}\n\n${body.toString('utf8')}\n`,
            );
          }
          return;
        }
        const answer = await post(url, body, headers);
        if (answer.status < 200 || answer.status > 299) {
          const excerpt = oneLine(answer.text, ANSWER_ERROR_CHARS);
          throw new Error(
            `${url.href} answered ${answer.status}${answer.statusText === '' ? '' : ` ${answer.statusText}`}` +
              (excerpt === '' ? '' : `: ${excerpt}`),
          );
        }
        const printed = answer.text.slice(0, ANSWER_PRINTED_CHARS);
        if (globals().json) {
          print({
            to: url.href,
            status: answer.status,
            ms: answer.ms,
            delivery_id: deliveryId,
            signature: headers[SIGNATURE_HEADER],
            bytes: body.length,
            answer: printed,
          });
        } else {
          io.out(
            `${answer.status} ${answer.statusText} in ${answer.ms} ms from ${url.href} ` +
              `(delivery ${deliveryId}, ${body.length} bytes)\n` +
              (printed === '' ? '' : `${printed}\n`),
          );
        }
      },
    );
}
