import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { loadSigningSecretFromProcessEnv, loadWebhookSecretsFromProcessEnv } from '../config/process-env';
import { parseSecretList } from '../config/secret-files';
import { signBody, type SignatureFailure } from '../webhook/signature';
import { CliUsageError } from './cli-errors';

/**
 * What the local webhook tools (`sign`, `verify`, `simulate`) share: the body to sign or check, the secrets, and
 * errors in one line. No secret is ever printed (only its fingerprint).
 */

export const SIGNATURE_HEADER = 'X-Tango-Signature';
/** The header the worker reads a delivery id from when the body has none (webhook-ingest.service.ts). */
export const DELIVERY_ID_HEADER = 'X-Tango-Delivery-Id';

export interface BodyOptions {
  readonly payloadFile?: string;
  readonly body?: string;
}

/** The exact bytes to sign or check: `--payload-file`, `--body`, or stdin (never re-serialised); never empty. */
export async function readBody(options: BodyOptions, allowStdin: boolean): Promise<Buffer> {
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
export const errorShape = z.object({
  name: z.string().optional().catch(undefined),
  message: z.string().optional().catch(undefined),
  code: z.string().optional().catch(undefined),
  cause: z.unknown().optional(),
});

/** `ENOENT`, `ECONNREFUSED`, … or else the message, for a one-line error. */
export function errorCode(error: unknown): string {
  const shape = errorShape.safeParse(error);
  if (!shape.success) {
    return String(error);
  }
  return shape.data.code ?? shape.data.message ?? String(error);
}

/** One secret for signing: `--secret`, else TANGO_WEBHOOK_SECRET (trimmed, as the worker trims its secrets). */
export function signingSecret(option: string | undefined): { secret: string; source: string } {
  const fromOption = option?.trim();
  if (fromOption !== undefined && fromOption !== '') {
    return { secret: fromOption, source: '--secret' };
  }
  if (option !== undefined) {
    throw new CliUsageError('--secret is empty');
  }
  const fromEnv = loadSigningSecretFromProcessEnv();
  if (fromEnv !== undefined) {
    return { secret: fromEnv, source: 'TANGO_WEBHOOK_SECRET' };
  }
  throw new CliUsageError('no secret: pass --secret <secret> or set TANGO_WEBHOOK_SECRET');
}

/** `--secrets-file`: split the way the worker splits WEBHOOK_SECRETS_FILE (parseSecretList); never empty. */
async function readSecretsFile(path: string): Promise<string[]> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read --secrets-file ${path} (${errorCode(error)})`, { cause: error });
  }
  const secrets = parseSecretList(content);
  if (secrets.length === 0) {
    throw new CliUsageError(`--secrets-file ${path} holds no secret`);
  }
  return secrets;
}

/**
 * The secrets to check against, in order (positions are 1-based in this order, as the worker numbers them):
 * `--secret` (repeatable), else `--secrets-file`, else the worker's WEBHOOK_SECRETS (or WEBHOOK_SECRETS_FILE),
 * read and checked by the configuration exactly as the worker reads them.
 */
export async function verifySecrets(options: {
  readonly secret: readonly string[];
  readonly secretsFile?: string;
}): Promise<{ secrets: readonly string[]; source: string }> {
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
    return { secrets: await readSecretsFile(options.secretsFile), source: '--secrets-file' };
  }
  const fromSettings = loadWebhookSecretsFromProcessEnv();
  if (fromSettings !== undefined) {
    return fromSettings;
  }
  throw new CliUsageError(
    'no secret: pass --secret <secret> (repeatable) or --secrets-file <path>, or set WEBHOOK_SECRETS',
  );
}

export function signatureValue(body: Buffer, secret: string): string {
  return `sha256=${signBody(body, secret)}`;
}

/** A pasted header line (`X-Tango-Signature: sha256=…`) is accepted as its value. */
export function headerValue(raw: string | undefined): string | undefined {
  return raw?.replace(/^\s*x-tango-signature\s*:/i, '');
}

export const FAILURE_TEXT: Readonly<Record<SignatureFailure, string>> = {
  missing: `no signature: pass the ${SIGNATURE_HEADER} value with --signature`,
  malformed: 'the signature is neither sha256=<64 hex digits> nor 64 bare hex digits',
  unsupported_algorithm: 'the signature names an algorithm other than sha256',
  mismatch: 'the signature matches none of the secrets',
};
