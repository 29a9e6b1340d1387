import { type Command } from 'commander';
import { type ResourceFamily } from '../../common/tango/resource-family';
import { FetchFailureRepository } from '../../sync-state/fetch-failure.repository';
import { type CliContext, family, FAMILY_LIST, withTools } from '../cli-context';

/** `redrive`: dead-lettered records back in the fetch outbox. */
export function registerRedriveCommand(program: Command, { globals, print }: CliContext): void {
  program
    .command('redrive')
    .description(
      'put dead-lettered records (or, with --all-open, every open fetch failure) back in the fetch outbox',
    )
    .argument('[family]', `one of: ${FAMILY_LIST} (default: all)`, family)
    .option('--all-open', 'also records that are failing but not dead-lettered yet', false)
    .action(async (name: ResourceFamily | undefined, options: { allOpen: boolean }) => {
      const enqueued = await withTools(globals().verbose, (app) =>
        app.get(FetchFailureRepository).redrive({
          ...(name === undefined ? {} : { resource: name }),
          includeOpen: options.allOpen,
        }),
      );
      print({ command: 'redrive', family: name ?? 'all', enqueued });
    });
}
