import { type Command, Option } from 'commander';
import { type ResourceFamily } from '../../common/tango/resource-family';
import { type AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { FamilyShapes } from '../../tango/family-shapes';
import { ShapeCostProbe } from '../../tango/shape-cost';
import { type CliContext, family, recordSample, withTools } from '../cli-context';

/**
 * `shapes`: each family's shape state (what it asks Tango for, what it does not mirror and why), putting one back on
 * its full shape, and `--cost`: what the configured narrowing saves per record against the whole record, measured
 * on a sample page from Tango.
 */
export function registerShapesCommand(program: Command, { globals, print }: CliContext): void {
  program
    .command('shapes')
    .description(
      "show each family's shape state (whole, narrowed, reduced after Tango refused items, or unshaped) and what it does not mirror",
    )
    .addOption(new Option('--restore <family>', 'put a family back on its full shape').argParser(family))
    .addOption(
      new Option(
        '--cost',
        'measure bytes per record and request time, whole record against the configured shape',
      ),
    )
    .addOption(
      new Option('--sample <records>', 'records per sampled page (with --cost)').argParser(
        recordSample('--sample'),
      ),
    )
    .action(async (options: { restore?: ResourceFamily; cost?: boolean; sample?: number }) => {
      const rows = await withTools(globals().verbose, async (app) => {
        const shapes = app.get(FamilyShapes);
        if (options.restore !== undefined) {
          await shapes.restore(options.restore, 'restored by an operator (tango-sync shapes --restore)');
        }
        if (options.cost === true) {
          const probe = app.get(ShapeCostProbe);
          const costs = [];
          // The resources turned on (TANGO_RESOURCES): one sample page each, with both shapes.
          for (const name of app.get<AppConfig>(APP_CONFIG).tango.resources) {
            const configured = shapes.configuredShape(name).shape;
            costs.push({
              command: 'shapes',
              ...(await probe.measure(name, configured, options.sample ?? 25)),
            });
          }
          return costs;
        }
        return (await shapes.allStates()).map((state) => ({ command: 'shapes', ...state }));
      });
      for (const row of rows) {
        print(row);
      }
    });
}
