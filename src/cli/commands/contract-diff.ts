import { type Command } from 'commander';
import { parseApiVersion } from '../../tango-contract/api-version';
import { diffContracts, formatContractDiff } from '../../tango-contract/contract-diff';
import {
  loadTangoContract,
  OBSERVED_TYPES_FILE,
  type TangoContract,
  vendoredContract,
} from '../../tango-contract/tango-contract';
import { type CliContext } from '../cli-context';
import { CliUsageError } from '../cli-errors';

/** A message in one line, at most this long (zod's messages span many). */
const MAX_REASON = 200;

function oneLine(error: unknown): string {
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/**
 * A contract named on the command line: a vendored API version (`4.25.1`) or a contract file. An unknown version or
 * a file that cannot be read as Tango's contract is a usage error.
 */
export function contractArgument(value: string): TangoContract {
  try {
    return parseApiVersion(value) !== null
      ? vendoredContract(parseApiVersion(value)?.text ?? value)
      : loadTangoContract({ contract: value, observed: OBSERVED_TYPES_FILE });
  } catch (error) {
    throw new CliUsageError(`cannot read contract "${value}": ${oneLine(error)}`);
  }
}

function contractDiff({ io, globals, print }: CliContext, from: string, to: string): void {
  const diff = diffContracts(contractArgument(from), contractArgument(to));
  if (globals().json) {
    print(diff);
    return;
  }
  io.out(`${formatContractDiff(diff).join('\n')}\n`);
}

/** `contract diff A B`: what changed between two Tango contracts (vendored versions or files). */
export function registerContractCommands(program: Command, context: CliContext): void {
  const contract = program.command('contract').description("Tango's vendored filter/shape contracts");
  contract
    .command('diff')
    .description(
      'resources, fields, expands, filters and orderings added and removed from contract A to contract B ' +
        '(a vendored API version such as 4.22.0, or a filter_shape_contract.json file)',
    )
    .argument('<a>', 'the older contract: a vendored version or a file')
    .argument('<b>', 'the newer contract: a vendored version or a file')
    .action((from: string, to: string) => {
      contractDiff(context, from, to);
    });
}
