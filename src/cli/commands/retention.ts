import { type Command } from 'commander';
import { JobRunner } from '../../jobs/job-runner';
import { RetentionService } from '../../retention/retention.service';
import { type CliContext, withTools } from '../cli-context';

/** `retention`: one retention run now, under the workers' lock. */
export function registerRetentionCommand(program: Command, { globals, print }: CliContext): void {
  program
    .command('retention')
    .description("run the retention job once now (under the same lock as the workers' runs)")
    .action(async () => {
      const result = await withTools(globals().verbose, async (app) => {
        let pruned: unknown = null;
        const outcome = await app
          .get(JobRunner)
          .tick('retention', { intervalMs: 0, force: true }, async () => {
            pruned = await app.get(RetentionService).run();
            return { pruned, by: 'cli' };
          });
        return { ...outcome, pruned };
      });
      print({ command: 'retention', ...result });
      if (!result.ran) {
        process.exitCode = 1;
      }
    });
}
