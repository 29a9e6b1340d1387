import { type Command, Option } from 'commander';
import { MirrorRebuildService } from '../../history/mirror-rebuild.service';
import { type CliContext, family, withTools } from '../cli-context';

/**
 * `rebuild <family>`: compares every mirror row of a resource with the fold of its history (`record_history`, the
 * log the mirror is built from); with `--swap`, rewrites every differing row from its history in one transaction
 * per batch (no change events: the log already holds them). Rows only the mirror holds are reported, never deleted.
 */
export function registerRebuildCommand(program: Command, { globals, print }: CliContext): void {
  program
    .command('rebuild')
    .description(
      "compare a resource's mirror with the fold of its history; --swap rewrites what differs from it",
    )
    .argument('<family>', 'the resource to rebuild', family)
    .addOption(
      new Option('--swap', 'rewrite every differing mirror row from its history (else: compare only)'),
    )
    .action(async (name: ReturnType<typeof family>, options: { swap?: boolean }) => {
      const outcome = await withTools(globals().verbose, (app) =>
        app.get(MirrorRebuildService).rebuild(name, { swap: options.swap === true }),
      );
      print({ command: 'rebuild', swap: options.swap === true, ...outcome });
      const differing = outcome.compared - outcome.equal;
      if (differing > outcome.rewritten) {
        process.exitCode = 1;
      }
    });
}
