import { type Command, Option } from 'commander';
import { type ResourceFamily } from '../../common/tango/resource-family';
import { FamilyShapes } from '../../tango/family-shapes';
import { type CliContext, family, withTools } from '../cli-context';

/** `shapes`: each family's shape state, and putting one back on its full shape. */
export function registerShapesCommand(program: Command, { globals, print }: CliContext): void {
  program
    .command('shapes')
    .description("show each family's shape state (full, reduced after Tango refused items, or unshaped)")
    .addOption(new Option('--restore <family>', 'put a family back on its full shape').argParser(family))
    .action(async (options: { restore?: ResourceFamily }) => {
      const states = await withTools(globals().verbose, async (app) => {
        const shapes = app.get(FamilyShapes);
        if (options.restore !== undefined) {
          await shapes.restore(options.restore, 'restored by an operator (tango-sync shapes --restore)');
        }
        return shapes.allStates();
      });
      for (const state of states) {
        print({ command: 'shapes', ...state });
      }
    });
}
