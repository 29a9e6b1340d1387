import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Command } from 'commander';
import { z } from 'zod';
import { type CliContext } from '../cli-context';
import { CliUsageError } from '../cli-errors';
import { sampleDelivery, sampleEventTypes } from '../sample-deliveries';
import {
  type BodyOptions,
  DELIVERY_ID_HEADER,
  errorCode,
  errorShape,
  readBody,
  SIGNATURE_HEADER,
  signatureValue,
  signingSecret,
} from '../signing-support';

const SIMULATE_TIMEOUT_MS = 10_000;
const ANSWER_PRINTED_CHARS = 500;
const ANSWER_ERROR_CHARS = 200;

interface SimulateOptions extends BodyOptions {
  readonly to?: string;
  readonly eventType?: string;
  readonly secret?: string;
  readonly deliveryId?: string;
  readonly dryRun: boolean;
}

interface Delivery {
  readonly body: Buffer;
  readonly deliveryId: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly text: string;
  readonly ms: number;
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

/** The receiver, or undefined with --dry-run; exactly one body source. */
function simulateTarget(options: SimulateOptions): URL | undefined {
  const sources = [options.payloadFile, options.body, options.eventType].filter(
    (value) => value !== undefined,
  );
  if (sources.length !== 1) {
    throw new CliUsageError('pass exactly one of --payload-file, --body or --event-type');
  }
  const url = options.to === undefined ? undefined : targetUrl(options.to);
  if (url === undefined && !options.dryRun) {
    throw new CliUsageError('--to <url> is required (or --dry-run to print the request without sending)');
  }
  return url;
}

/** The body and its delivery id: a sample built for --event-type, or the given bytes (sent as they are). */
async function simulatedBody(
  { io }: CliContext,
  options: SimulateOptions,
): Promise<{ body: Buffer; deliveryId: string }> {
  if (options.eventType !== undefined) {
    const deliveryId = options.deliveryId ?? randomUUID();
    const sample = sampleDelivery(options.eventType, new Date(), deliveryId);
    if (sample === undefined) {
      throw new CliUsageError(
        `unknown event type "${options.eventType}" (one of: ${sampleEventTypes().join(', ')})`,
      );
    }
    return { body: Buffer.from(JSON.stringify(sample), 'utf8'), deliveryId };
  }
  const body = await readBody(options, false);
  const inBody = bodyDeliveryId(body);
  if (!inBody.json) {
    io.err('warning: the body is not valid JSON; it is sent as is\n');
  }
  return { body, deliveryId: options.deliveryId ?? inBody.id ?? randomUUID() };
}

/** The signed delivery to send (the secret is asked for after the body, as before). */
async function signedDelivery(context: CliContext, options: SimulateOptions): Promise<Delivery> {
  const { body, deliveryId } = await simulatedBody(context, options);
  const { secret } = signingSecret(options.secret);
  const headers = {
    'Content-Type': 'application/json',
    [SIGNATURE_HEADER]: signatureValue(body, secret),
    [DELIVERY_ID_HEADER]: deliveryId,
  };
  return { body, deliveryId, headers };
}

function printDryRun({ io, globals, print }: CliContext, url: URL | undefined, delivery: Delivery): void {
  const { body, headers } = delivery;
  if (globals().json) {
    print({ dry_run: true, to: url?.href ?? null, headers, bytes: body.length, body: body.toString('utf8') });
    return;
  }
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  io.out(
    `${url === undefined ? '(not sent: --dry-run)' : `POST ${url.href} (not sent: --dry-run)`}\n` +
      `${lines.join('\n')}\n\n${body.toString('utf8')}\n`,
  );
}

/** POSTs the delivery; an unreachable receiver or no answer in time is an error naming the cause. */
async function post(url: URL, { body, headers }: Delivery): Promise<Answer> {
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

/** The receiver's answer: a non-2xx one is an error (exit 1) with the start of its body. */
function reportAnswer(
  { io, globals, print }: CliContext,
  url: URL,
  delivery: Delivery,
  answer: Answer,
): void {
  if (answer.status < 200 || answer.status > 299) {
    const excerpt = oneLine(answer.text, ANSWER_ERROR_CHARS);
    throw new Error(
      `${url.href} answered ${answer.status}${answer.statusText === '' ? '' : ` ${answer.statusText}`}` +
        (excerpt === '' ? '' : `: ${excerpt}`),
    );
  }
  const printed = answer.text.slice(0, ANSWER_PRINTED_CHARS);
  const { body, deliveryId, headers } = delivery;
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
}

async function simulate(context: CliContext, options: SimulateOptions): Promise<void> {
  const url = simulateTarget(options);
  const delivery = await signedDelivery(context, options);
  if (options.dryRun || url === undefined) {
    printDryRun(context, url, delivery);
    return;
  }
  reportAnswer(context, url, delivery, await post(url, delivery));
}

/** `simulate`: sign a delivery and POST it to a receiver (this worker, usually). */
export function registerSimulateCommand(program: Command, context: CliContext): void {
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
    .action((options: SimulateOptions) => simulate(context, options));
}
