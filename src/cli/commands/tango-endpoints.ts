import { type Command, Option } from 'commander';
import { type CliContext } from '../cli-context';
import { CliUsageError } from '../cli-errors';
import { endpointLine, handOverSecret, withTango } from '../tango-operator';

interface CreateOptions {
  readonly name: string;
  readonly callbackUrl: string;
  readonly inactive: boolean;
  readonly secretFile?: string;
}

interface UpdateOptions {
  readonly name?: string;
  readonly callbackUrl?: string;
  readonly active?: boolean;
  readonly inactive?: boolean;
}

function registerList(endpoints: Command, { io, globals }: CliContext): void {
  endpoints
    .command('list')
    .description('list the endpoints of the account')
    .action(async () => {
      const list = await withTango(globals().verbose, ({ api }) => api.listEndpoints());
      io.out(
        globals().json
          ? `${JSON.stringify(list)}\n`
          : list.map(endpointLine).join('\n') + (list.length > 0 ? '\n' : 'no endpoints\n'),
      );
    });
}

function registerGet(endpoints: Command, { io, globals }: CliContext): void {
  endpoints
    .command('get')
    .description('show one endpoint')
    .argument('<id>', 'endpoint id (uuid)')
    .action(async (id: string) => {
      const endpoint = await withTango(globals().verbose, ({ api }) => api.getEndpoint(id));
      io.out(globals().json ? `${JSON.stringify(endpoint)}\n` : `${endpointLine(endpoint)}\n`);
    });
}

function registerCreate(endpoints: Command, { io, globals }: CliContext): void {
  endpoints
    .command('create')
    .description('create an endpoint; its signing secret is shown once (or written to --secret-file)')
    .requiredOption('--name <name>', 'unique per account')
    .requiredOption(
      '--callback-url <url>',
      "the worker's webhook URL, e.g. https://sync.example.com/webhooks/tango",
    )
    .option('--inactive', 'create it paused', false)
    .option('--secret-file <path>', 'write the secret to this file (0600) instead of printing it')
    .action(async (options: CreateOptions) => {
      const created = await withTango(globals().verbose, ({ api }) =>
        api.createEndpoint({
          name: options.name,
          callback_url: options.callbackUrl,
          is_active: !options.inactive,
        }),
      );
      const { secret, ...shown } = created;
      const secretHandling =
        secret === undefined ? 'not returned by Tango' : handOverSecret(io, secret, options.secretFile);
      io.out(
        globals().json
          ? `${JSON.stringify({ ...shown, secret: secretHandling })}\n`
          : `created ${endpointLine(created)}\n`,
      );
    });
}

function registerUpdate(endpoints: Command, { io, globals }: CliContext): void {
  endpoints
    .command('update')
    .description('change an endpoint (name, callback URL, active)')
    .argument('<id>', 'endpoint id (uuid)')
    .option('--name <name>')
    .option('--callback-url <url>')
    .addOption(new Option('--active', 'resume deliveries').conflicts('inactive'))
    .addOption(new Option('--inactive', 'pause deliveries'))
    .action(async (id: string, options: UpdateOptions) => {
      const patch = {
        ...(options.name === undefined ? {} : { name: options.name }),
        ...(options.callbackUrl === undefined ? {} : { callback_url: options.callbackUrl }),
        ...(options.active === true ? { is_active: true } : {}),
        ...(options.inactive === true ? { is_active: false } : {}),
      };
      if (Object.keys(patch).length === 0) {
        throw new CliUsageError('nothing to change: give --name, --callback-url, --active or --inactive');
      }
      const updated = await withTango(globals().verbose, ({ api }) => api.updateEndpoint(id, patch));
      io.out(globals().json ? `${JSON.stringify(updated)}\n` : `updated ${endpointLine(updated)}\n`);
    });
}

function registerDelete(endpoints: Command, { globals, print }: CliContext): void {
  endpoints
    .command('delete')
    .description('delete an endpoint (its deliveries stop)')
    .argument('<id>', 'endpoint id (uuid)')
    .action(async (id: string) => {
      const deleted = await withTango(globals().verbose, ({ api }) => api.deleteEndpoint(id));
      if (!deleted) {
        throw new Error(`Tango has no endpoint ${id}`);
      }
      print({ command: 'tango endpoints delete', id, deleted });
    });
}

/** `tango endpoints list|get|create|update|delete`: where Tango POSTs deliveries. */
export function registerTangoEndpointCommands(tango: Command, context: CliContext): void {
  const endpoints = tango
    .command('endpoints')
    .description('webhook endpoints (where Tango POSTs deliveries)');
  registerList(endpoints, context);
  registerGet(endpoints, context);
  registerCreate(endpoints, context);
  registerUpdate(endpoints, context);
  registerDelete(endpoints, context);
}
