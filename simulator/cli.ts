import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { z } from 'zod';
import { canonicalJson } from './canonical-hash';
import { parseArgv } from './cli-args';
import { Dataset } from './dataset/store';
import { simulatorOptionsSchema } from './options';
import { ALERT_QUERY_TYPES, LEGACY_EVENT_TYPES, catalogEventTypes } from './webhooks/envelopes';
import { buildSampleDelivery } from './webhooks/samples';
import { signatureHeaderValue } from './webhooks/signer';

export const CLI_COMMANDS = ['simulate', 'sample', 'event-types'] as const;

const USAGE = `Usage:
  sim simulate --secret S [--event-type T | --payload-file F] [--to URL]   sign a delivery, print it, POST it with --to
  sim sample [--event-type T]                                              print the sample delivery for an event type
  sim event-types                                                          list event types (alerts and legacy)
`;

const simulateFlagsSchema = z.object({
  secret: z.string().min(1),
  'event-type': z.string().optional(),
  'payload-file': z.string().optional(),
  to: z.url().optional(),
  seed: z.coerce.number().int().default(42),
});

function write(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

function sampleDataset(seed: number): Dataset {
  const options = simulatorOptionsSchema.parse({ seed });
  return new Dataset(options.seed, options.sizes, options.anchorDate);
}

/** The placeholder envelope used when neither `--event-type` nor `--payload-file` is given. */
function placeholder(): unknown {
  return {
    timestamp: new Date().toISOString().slice(0, 19) + 'Z',
    events: [{ event_type: 'alerts.contract.match', note: 'placeholder' }],
  };
}

async function simulate(flags: Record<string, string>, out: NodeJS.WritableStream): Promise<number> {
  const options = simulateFlagsSchema.parse(flags);
  if (options['event-type'] !== undefined && options['payload-file'] !== undefined) {
    throw new Error('--event-type and --payload-file are mutually exclusive');
  }
  let payload: unknown;
  if (options['payload-file'] !== undefined) {
    payload = JSON.parse(await readFile(options['payload-file'], 'utf8'));
  } else if (options['event-type'] !== undefined) {
    payload = buildSampleDelivery(sampleDataset(options.seed), options['event-type'], 'mixed');
    if (payload === undefined) {
      throw new Error(`unknown event type ${options['event-type']}`);
    }
  } else {
    payload = placeholder();
  }
  // Like the SDK simulators: sorted keys and no whitespace, so signatures are reproducible.
  const body = Buffer.from(canonicalJson(payload), 'utf8');
  const headers = {
    'Content-Type': 'application/json',
    'X-Tango-Signature': signatureHeaderValue(body, options.secret),
  };
  if (options.to === undefined) {
    write(out, { delivered: false, headers, sent_payload: payload });
    return 0;
  }
  const response = await request(options.to, { method: 'POST', body, headers });
  const responseBody = await response.body.text();
  write(out, {
    delivered: true,
    status_code: response.statusCode,
    response_body: responseBody,
    headers,
    sent_payload: payload,
  });
  return response.statusCode >= 200 && response.statusCode < 300 ? 0 : 1;
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(
  argv: readonly string[],
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const { flags, positional } = parseArgv(argv);
  const [command] = positional;
  switch (command) {
    case 'simulate':
      return simulate(flags, out);
    case 'sample': {
      const seed = z.coerce.number().int().default(42).parse(flags.seed);
      const dataset = sampleDataset(seed);
      const eventType = flags['event-type'];
      if (eventType === undefined) {
        const types = [...ALERT_QUERY_TYPES.map((type) => `alerts.${type}.match`), ...LEGACY_EVENT_TYPES];
        write(
          out,
          Object.fromEntries(types.map((type) => [type, buildSampleDelivery(dataset, type, 'mixed')])),
        );
        return 0;
      }
      const sample = buildSampleDelivery(dataset, eventType, 'mixed');
      if (sample === undefined) {
        throw new Error(`unknown event type ${eventType}`);
      }
      write(out, sample);
      return 0;
    }
    case 'event-types':
      for (const [type, description] of Object.entries(catalogEventTypes('recipe'))) {
        const recipeOnly = !(type in catalogEventTypes('sdk')) ? ' (--event-catalog recipe only)' : '';
        out.write(`${type.padEnd(32)}${description}${recipeOnly}\n`);
      }
      for (const type of LEGACY_EVENT_TYPES) {
        out.write(`${type.padEnd(32)}(legacy, subject-based)\n`);
      }
      return 0;
    case undefined:
    default:
      out.write(USAGE);
      return 2;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
