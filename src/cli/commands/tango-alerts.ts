import { type Command, Option } from 'commander';
import { ALERT_FREQUENCIES } from '../../tango-side/tango-side-spec';
import { type CliContext, collect } from '../cli-context';
import { CliUsageError } from '../cli-errors';
import { alertLine, filtersFrom, withTango } from '../tango-operator';

interface CreateOptions {
  readonly name: string;
  readonly queryType: string;
  readonly filter: string[];
  readonly filtersJson?: string;
  readonly frequency: string;
  readonly cron?: string;
  readonly endpoint?: string;
}

interface UpdateOptions {
  readonly name?: string;
  readonly frequency?: string;
  readonly cron?: string;
  readonly active?: boolean;
  readonly inactive?: boolean;
}

function registerList(alerts: Command, { io, globals }: CliContext): void {
  alerts
    .command('list')
    .description('list the alerts of the account')
    .action(async () => {
      const list = await withTango(globals().verbose, ({ api }) => api.listAlerts());
      io.out(
        globals().json
          ? `${JSON.stringify(list)}\n`
          : list.map(alertLine).join('\n') + (list.length > 0 ? '\n' : 'no alerts\n'),
      );
    });
}

function registerGet(alerts: Command, { io, globals }: CliContext): void {
  alerts
    .command('get')
    .description('show one alert')
    .argument('<id>', 'alert id (uuid)')
    .action(async (id: string) => {
      const alert = await withTango(globals().verbose, ({ api }) => api.getAlert(id));
      io.out(globals().json ? `${JSON.stringify(alert)}\n` : `${alertLine(alert)}\n`);
    });
}

function registerCreate(alerts: Command, { io, globals }: CliContext): void {
  alerts
    .command('create')
    .description('create an alert (query type singular, filters non-empty)')
    .requiredOption('--name <name>')
    .requiredOption(
      '--query-type <type>',
      'singular: contract, idv, ota, otidv, opportunity, notice, entity, grant, forecast',
    )
    .option('--filter <key=value>', 'a filter (repeatable)', collect, [])
    .option('--filters-json <json>', 'filters as a JSON object')
    .addOption(new Option('--frequency <frequency>').choices(ALERT_FREQUENCIES).default('realtime'))
    .option('--cron <expression>', 'cron expression (frequency custom)')
    .option('--endpoint <id>', 'endpoint id (required when the account has several)')
    .action(async (options: CreateOptions) => {
      const filters = filtersFrom(options.filter, options.filtersJson);
      const created = await withTango(globals().verbose, ({ api }) =>
        api.createAlert({
          name: options.name,
          query_type: options.queryType,
          filters,
          frequency: options.frequency,
          ...(options.cron === undefined ? {} : { cron_expression: options.cron }),
          ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
        }),
      );
      io.out(globals().json ? `${JSON.stringify(created)}\n` : `created ${alertLine(created)}\n`);
    });
}

function registerUpdate(alerts: Command, { io, globals }: CliContext): void {
  alerts
    .command('update')
    .description(
      'change an alert: name, frequency, cron, active (Tango fixes query type and filters at creation)',
    )
    .argument('<id>', 'alert id (uuid)')
    .option('--name <name>')
    .addOption(new Option('--frequency <frequency>').choices(ALERT_FREQUENCIES))
    .option('--cron <expression>')
    .addOption(new Option('--active', 'resume the alert').conflicts('inactive'))
    .addOption(new Option('--inactive', 'pause the alert'))
    .action(async (id: string, options: UpdateOptions) => {
      const patch = {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.frequency === undefined ? {} : { frequency: options.frequency }),
        ...(options.cron === undefined ? {} : { cron_expression: options.cron }),
        ...(options.active === true ? { is_active: true } : {}),
        ...(options.inactive === true ? { is_active: false } : {}),
      };
      if (Object.keys(patch).length === 0) {
        throw new CliUsageError(
          'nothing to change: give --name, --frequency, --cron, --active or --inactive',
        );
      }
      const updated = await withTango(globals().verbose, ({ api }) => api.updateAlert(id, patch));
      io.out(globals().json ? `${JSON.stringify(updated)}\n` : `updated ${alertLine(updated)}\n`);
    });
}

function registerDelete(alerts: Command, { globals, print }: CliContext): void {
  alerts
    .command('delete')
    .description('delete an alert')
    .argument('<id>', 'alert id (uuid)')
    .action(async (id: string) => {
      const deleted = await withTango(globals().verbose, ({ api }) => api.deleteAlert(id));
      if (!deleted) {
        throw new Error(`Tango has no alert ${id}`);
      }
      print({ command: 'tango alerts delete', id, deleted });
    });
}

/** `tango alerts list|get|create|update|delete`: what Tango delivers. */
export function registerTangoAlertCommands(tango: Command, context: CliContext): void {
  const alerts = tango
    .command('alerts')
    .description('filter alerts (what Tango delivers: records matching filters)');
  registerList(alerts, context);
  registerGet(alerts, context);
  registerCreate(alerts, context);
  registerUpdate(alerts, context);
  registerDelete(alerts, context);
}
