import { type Command } from 'commander';
import { type ResourceFamily } from '../../common/tango/resource-family';
import { HistoryRepository } from '../../history/history.repository';
import { type CliContext, family, FAMILY_LIST, withTools } from '../cli-context';
import { formatTimeline } from '../format-timeline';

/** `history`: one record's versions. */
export function registerHistoryCommand(program: Command, { io, globals }: CliContext): void {
  program
    .command('history')
    .description('the versions of one record: when each was valid, why it was fetched, what changed')
    .argument('<family>', `one of: ${FAMILY_LIST}`, family)
    .argument('<record-id>', "the record's id (contract key, UEI, …)")
    .action(async (name: ResourceFamily, recordId: string) => {
      const versions = await withTools(globals().verbose, (app) =>
        app.get(HistoryRepository).timeline(name, recordId),
      );
      if (versions.length === 0) {
        throw new Error(`no history for ${name} ${recordId}`);
      }
      io.out(globals().json ? `${JSON.stringify(versions)}\n` : formatTimeline(name, recordId, versions));
    });
}
