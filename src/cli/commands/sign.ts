import { type Command } from 'commander';
import { secretFingerprint } from '../../webhook/signature';
import { type CliContext } from '../cli-context';
import {
  type BodyOptions,
  readBody,
  SIGNATURE_HEADER,
  signatureValue,
  signingSecret,
} from '../signing-support';

/** `sign`: the X-Tango-Signature value for a body, the way Tango signs. */
export function registerSignCommand(program: Command, { io, globals, print }: CliContext): void {
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
}
