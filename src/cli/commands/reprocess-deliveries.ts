import { type Command } from 'commander';
import { DeliveryReprocessor } from '../../webhook/delivery-reprocessor';
import { type CliContext, withTools } from '../cli-context';

/** `reprocess-deliveries`: stored deliveries through the current parser. */
export function registerReprocessDeliveriesCommand(program: Command, { globals, print }: CliContext): void {
  program
    .command('reprocess-deliveries')
    .description(
      're-parse stored unrecognized/malformed deliveries with the current parser and enqueue their targets',
    )
    .option('--dry-run', 'only count what would change', false)
    .action(async (options: { dryRun: boolean }) => {
      const summary = await withTools(globals().verbose, (app) =>
        app.get(DeliveryReprocessor).reprocessAll({ dryRun: options.dryRun }),
      );
      print({ command: 'reprocess-deliveries', dryRun: options.dryRun, ...summary });
    });
}
