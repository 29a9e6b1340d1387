import { type Command } from 'commander';
import { parseSignatureHeader, type SignatureFailure, verifySignature } from '../../webhook/signature';
import { type CliContext, collect } from '../cli-context';
import {
  type BodyOptions,
  FAILURE_TEXT,
  headerValue,
  readBody,
  SIGNATURE_HEADER,
  verifySecrets,
} from '../signing-support';

interface VerifyOptions extends BodyOptions {
  readonly signature?: string;
  readonly secret?: string[];
  readonly secretsFile?: string;
}

interface Checked {
  readonly body: Buffer;
  readonly header: string | undefined;
  readonly secrets: readonly string[];
  readonly source: string;
}

/** Why a delivery does not verify, in one line; a mismatch says when a trailing newline is the only difference. */
function failureDetail(reason: SignatureFailure, { body, header, secrets, source }: Checked): string {
  if (reason !== 'mismatch') {
    return FAILURE_TEXT[reason];
  }
  let detail = `the signature matches none of the ${secrets.length} secrets (from ${source}) over ${body.length} bytes`;
  const newline = body.at(-1) === 0x0a ? (body.at(-2) === 0x0d ? 2 : 1) : 0;
  if (newline > 0 && verifySignature(body.subarray(0, body.length - newline), header, secrets).ok) {
    detail += '; it does verify without the trailing newline (was the file saved with one added?)';
  }
  return detail;
}

async function verify({ io, globals, print }: CliContext, options: VerifyOptions): Promise<void> {
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
  const detail = failureDetail(check.reason, { body, header, secrets, source });
  if (globals().json) {
    print({ verified: false, reason: check.reason, secret_count: secrets.length, bytes: body.length });
  }
  throw new Error(`does not verify (${check.reason}): ${detail}`);
}

/** `verify`: a saved delivery's signature against one or more secrets (exit 1 when it does not verify). */
export function registerVerifyCommand(program: Command, context: CliContext): void {
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
    .action((options: VerifyOptions) => verify(context, options));
}
