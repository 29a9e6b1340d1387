import { type Command } from 'commander';
import { type ResourceFamily } from '../../common/tango/resource-family';
import { SnapshotReplayService } from '../../events/snapshot-replay.service';
import { HistoryReplayService } from '../../history/history-replay.service';
import { CliUsageError } from '../cli-errors';
import { type CliContext, family, FAMILY_LIST, time, withTools } from '../cli-context';

interface ReplayOptions {
  readonly since?: string;
  readonly from?: string;
  readonly to?: string;
  readonly replayId?: string;
}

/** A window's original events again, from the record history (--from and --to). */
async function replayFromHistory(
  { globals, print }: CliContext,
  name: ResourceFamily,
  options: ReplayOptions,
): Promise<void> {
  const from = time('--from', options.from);
  const to = time('--to', options.to);
  if (from === undefined || to === undefined || options.since !== undefined) {
    throw new CliUsageError('a replay from history needs both --from and --to, and no --since');
  }
  const replayId = options.replayId === undefined ? {} : { replayId: options.replayId };
  const summary = await withTools(globals().verbose, (app) =>
    app.get(HistoryReplayService).replay(name, { from, to, ...replayId }),
  );
  print({ command: 'replay-events', source: 'history', ...summary });
}

/** The family's current state as snapshot events (--since). */
async function replaySnapshot(
  { globals, print }: CliContext,
  name: ResourceFamily,
  options: ReplayOptions,
): Promise<void> {
  const since = time('--since', options.since);
  const replayId = options.replayId === undefined ? {} : { replayId: options.replayId };
  const summary = await withTools(globals().verbose, (app) =>
    app.get(SnapshotReplayService).replay(name, { ...(since === undefined ? {} : { since }), ...replayId }),
  );
  print({ command: 'replay-events', source: 'snapshot', ...summary });
}

/** `replay-events`: snapshot events of a family, or a window's original events from history. */
export function registerReplayEventsCommand(program: Command, context: CliContext): void {
  program
    .command('replay-events')
    .description(
      "re-emit a family's current state as snapshot events (--since), or re-publish a window's original events " +
        'from the record history (--from and --to)',
    )
    .argument('<family>', `one of: ${FAMILY_LIST}`, family)
    .option('--since <time>', 'snapshot: only records changed at or after this ISO time')
    .option('--from <time>', 'history: window start (ISO time, inclusive)')
    .option('--to <time>', 'history: window end (ISO time, exclusive)')
    .option('--replay-id <id>', 'resume an interrupted replay without writing anything twice')
    .action(async (name: ResourceFamily, options: ReplayOptions) => {
      if (options.from !== undefined || options.to !== undefined) {
        await replayFromHistory(context, name, options);
      } else {
        await replaySnapshot(context, name, options);
      }
    });
}
