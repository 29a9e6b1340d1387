import { readFileSync, writeFileSync } from 'node:fs';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Command, Option } from 'commander';
import { createRootLogger, PinoNestLogger } from '../common/logging/logger';
import { loadOperatorConfigFromProcessEnv } from '../config/process-env';
import { TangoWebhooksApi, type WebhookAlert, type WebhookEndpoint } from '../tango/tango-webhooks-api';
import { formatPlan, planIsEmpty } from '../tango-side/tango-side-plan';
import { type DeliveryConfirmation, TangoSideService } from '../tango-side/tango-side.service';
import { ALERT_FREQUENCIES, loadTangoSideSpec } from '../tango-side/tango-side-spec';
import { CliUsageError } from './cli-errors';
import { TangoOperatorModule } from './tango-operator.module';

export interface TangoCommandsIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

interface Globals {
  readonly verbose: boolean;
  readonly json: boolean;
}

interface OperatorContext {
  readonly api: TangoWebhooksApi;
  readonly side: TangoSideService;
  readonly database: boolean;
}

/**
 * Runs `work` with Tango's management API: TANGO_API_KEY (or _FILE) and TANGO_BASE_URL; DATABASE_URL when set
 * (shared request budget, test deliveries confirmed in the worker's database). Nothing else is asked for.
 */
async function withTango<T>(verbose: boolean, work: (context: OperatorContext) => Promise<T>): Promise<T> {
  const { config, database } = loadOperatorConfigFromProcessEnv();
  const logger = createRootLogger({ level: verbose ? 'debug' : 'warn', format: config.log.format });
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    TangoOperatorModule.forConfig(config, database),
    { logger: new PinoNestLogger(logger) },
  );
  try {
    return await work({ api: app.get(TangoWebhooksApi), side: app.get(TangoSideService), database });
  } finally {
    await app.close();
  }
}

/**
 * Where a new endpoint's secret goes: Tango shows it once. With --secret-file it is written there (mode 0600, as
 * the first line, keeping the secrets already in the file so a rotation keeps working) and not printed.
 */
function handOverSecret(io: TangoCommandsIo, secret: string, file: string | undefined): string {
  if (file === undefined) {
    io.err(
      `The endpoint's signing secret (Tango shows it only now; give it to the worker as WEBHOOK_SECRETS or in WEBHOOK_SECRETS_FILE):\n${secret}\n`,
    );
    return 'printed';
  }
  let existing: string[];
  try {
    existing = readFileSync(file, 'utf8')
      .split(/[\r\n,]+/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && line !== secret);
  } catch {
    existing = [];
  }
  writeFileSync(file, `${[secret, ...existing].join('\n')}\n`, { mode: 0o600 });
  io.err(
    `The endpoint's signing secret was written to ${file} (first line; ${existing.length} older kept).\n`,
  );
  return `written to ${file}`;
}

function filtersFrom(pairs: readonly string[], json: string | undefined): Record<string, string | string[]> {
  const filters: Record<string, string | string[]> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new CliUsageError('--filters-json must be a JSON object');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CliUsageError('--filters-json must be a JSON object');
    }
    Object.assign(filters, parsed);
  }
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) {
      throw new CliUsageError(`--filter takes key=value, got "${pair}"`);
    }
    filters[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  if (Object.keys(filters).length === 0) {
    throw new CliUsageError('an alert needs at least one filter (--filter key=value or --filters-json)');
  }
  return filters;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function endpointLine(endpoint: WebhookEndpoint): string {
  return `${endpoint.id}  ${endpoint.is_active ? 'active  ' : 'inactive'}  ${endpoint.name}  → ${endpoint.callback_url}`;
}

function alertLine(alert: WebhookAlert): string {
  return `${alert.alert_id}  ${alert.status.padEnd(6)}  ${alert.query_type.padEnd(11)}  ${alert.frequency.padEnd(8)}  ${alert.name}  ${JSON.stringify(alert.filters)}`;
}

function describeConfirmation(confirmation: DeliveryConfirmation): string {
  const tango = confirmation.tango;
  const timing =
    tango.status_code === null || tango.status_code === undefined
      ? 'no answer'
      : `answered ${tango.status_code} in ${tango.response_time_ms ?? '?'} ms`;
  switch (confirmation.outcome) {
    case 'stored':
      return `Test delivery: the endpoint ${timing}; delivered and stored as delivery ${confirmation.deliveryPk}${confirmation.deliveryId === null ? '' : ` (delivery id ${confirmation.deliveryId})`}, verified by ${confirmation.verifiedBy}.`;
    case 'unchecked':
      return `Test delivery: the endpoint ${timing}; not confirmed: ${confirmation.reason}.`;
    case 'not_stored':
      return `Test delivery: NOT stored: ${confirmation.reason}.`;
  }
}

/** `tango …`: Tango's webhook management API, and the Tango side of the deployment as code. */
export function registerTangoCommands(program: Command, io: TangoCommandsIo, globals: () => Globals): void {
  const print = (value: unknown): void => {
    io.out(`${JSON.stringify(value)}\n`);
  };
  const tango = program
    .command('tango')
    .description(
      "Tango's webhook management API (TANGO_API_KEY; DATABASE_URL optional): endpoints, alerts, event types, " +
        'samples, test deliveries, and plan/apply of a tango-sync.yaml',
    );

  const endpoints = tango
    .command('endpoints')
    .description('webhook endpoints (where Tango POSTs deliveries)');
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
  endpoints
    .command('get')
    .description('show one endpoint')
    .argument('<id>', 'endpoint id (uuid)')
    .action(async (id: string) => {
      const endpoint = await withTango(globals().verbose, ({ api }) => api.getEndpoint(id));
      io.out(globals().json ? `${JSON.stringify(endpoint)}\n` : `${endpointLine(endpoint)}\n`);
    });
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
    .action(
      async (options: { name: string; callbackUrl: string; inactive: boolean; secretFile?: string }) => {
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
      },
    );
  endpoints
    .command('update')
    .description('change an endpoint (name, callback URL, active)')
    .argument('<id>', 'endpoint id (uuid)')
    .option('--name <name>')
    .option('--callback-url <url>')
    .addOption(new Option('--active', 'resume deliveries').conflicts('inactive'))
    .addOption(new Option('--inactive', 'pause deliveries'))
    .action(
      async (
        id: string,
        options: { name?: string; callbackUrl?: string; active?: boolean; inactive?: boolean },
      ) => {
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
      },
    );
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

  const alerts = tango
    .command('alerts')
    .description('filter alerts (what Tango delivers: records matching filters)');
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
  alerts
    .command('get')
    .description('show one alert')
    .argument('<id>', 'alert id (uuid)')
    .action(async (id: string) => {
      const alert = await withTango(globals().verbose, ({ api }) => api.getAlert(id));
      io.out(globals().json ? `${JSON.stringify(alert)}\n` : `${alertLine(alert)}\n`);
    });
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
    .action(
      async (options: {
        name: string;
        queryType: string;
        filter: string[];
        filtersJson?: string;
        frequency: string;
        cron?: string;
        endpoint?: string;
      }) => {
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
      },
    );
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
    .action(
      async (
        id: string,
        options: { name?: string; frequency?: string; cron?: string; active?: boolean; inactive?: boolean },
      ) => {
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
      },
    );
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

  tango
    .command('event-types')
    .description('the webhook event types Tango sends')
    .action(async () => {
      const types = await withTango(globals().verbose, ({ api }) => api.eventTypes());
      io.out(
        globals().json
          ? `${JSON.stringify(types)}\n`
          : types.event_types
              .map((type) => `${type.event_type.padEnd(34)} ${type.description ?? ''}`.trimEnd())
              .join('\n') + '\n',
      );
    });

  tango
    .command('sample')
    .description("Tango's sample delivery for an event type (all types when omitted)")
    .option('--event-type <type>', 'e.g. alerts.contract.match')
    .action(async (options: { eventType?: string }) => {
      const sample = await withTango(globals().verbose, ({ api }) => api.samplePayload(options.eventType));
      io.out(`${JSON.stringify(sample, null, globals().json ? undefined : 2)}\n`);
    });

  tango
    .command('test-delivery')
    .description(
      "ask Tango to POST a signed test delivery now, and (with DATABASE_URL) confirm it is stored in this worker's database",
    )
    .option('--endpoint <id>', "endpoint id (default: the account's only endpoint)")
    .action(async (options: { endpoint?: string }) => {
      const confirmation = await withTango(globals().verbose, ({ side }) =>
        side.confirmTestDelivery(options.endpoint),
      );
      io.out(
        globals().json ? `${JSON.stringify(confirmation)}\n` : `${describeConfirmation(confirmation)}\n`,
      );
      if (confirmation.outcome === 'not_stored') {
        process.exitCode = 1;
      }
    });

  const specOption = (): Option =>
    new Option(
      '-f, --file <path>',
      'the file declaring the Tango side (see examples/tango-sync.yaml)',
    ).makeOptionMandatory();

  tango
    .command('plan')
    .description('show what apply would create, update, replace or delete in Tango to match the file')
    .addOption(specOption())
    .option('--show-unchanged', 'also list what already matches', false)
    .action(async (options: { file: string; showUnchanged: boolean }) => {
      const spec = loadTangoSideSpec(options.file);
      const plan = await withTango(globals().verbose, ({ side }) => side.plan(spec));
      io.out(
        globals().json
          ? `${JSON.stringify({ command: 'tango plan', ...plan })}\n`
          : formatPlan(plan, { showUnchanged: options.showUnchanged }),
      );
    });

  tango
    .command('apply')
    .description(
      "converge Tango to the file (only objects it manages), then prove the path with a test delivery stored in this worker's database",
    )
    .addOption(specOption())
    .option(
      '--secret-file <path>',
      "write a new endpoint's secret to this file (0600) instead of printing it",
    )
    .option('--no-test-delivery', 'skip the closing test delivery')
    .action(async (options: { file: string; secretFile?: string; testDelivery: boolean }) => {
      const spec = loadTangoSideSpec(options.file);
      const outcome = await withTango(globals().verbose, async ({ side }) => {
        const result = await side.apply(spec);
        if (result.failure !== undefined || !options.testDelivery || result.endpointId === undefined) {
          return { result, confirmation: undefined };
        }
        try {
          return { result, confirmation: await side.confirmTestDelivery(result.endpointId) };
        } catch (error) {
          // The changes are made (and a new secret must still be handed over): report, do not throw.
          const reason = `the test delivery request failed: ${error instanceof Error ? error.message : String(error)}`;
          const failed: DeliveryConfirmation = { outcome: 'not_stored', reason, tango: { success: false } };
          return { result, confirmation: failed };
        }
      });
      const { result, confirmation } = outcome;
      const secret =
        result.newSecret === undefined ? undefined : handOverSecret(io, result.newSecret, options.secretFile);
      if (globals().json) {
        print({
          command: 'tango apply',
          changed: !planIsEmpty(result.plan),
          applied: result.applied,
          endpointId: result.endpointId,
          ...(secret === undefined ? {} : { secret }),
          failure:
            result.failure === undefined ? null : { ...result.failure.step, message: result.failure.message },
          testDelivery: confirmation ?? null,
        });
      } else {
        io.out(formatPlan(result.plan));
        io.out(
          planIsEmpty(result.plan)
            ? 'Applied: nothing to change.\n'
            : `Applied: ${result.applied.map((step) => `${step.action} ${step.kind} "${step.name}"`).join(', ') || 'nothing'}.\n`,
        );
        if (confirmation !== undefined) {
          io.out(`${describeConfirmation(confirmation)}\n`);
        }
      }
      if (result.failure !== undefined) {
        throw new Error(
          `apply stopped at ${result.failure.step.action} ${result.failure.step.kind} "${result.failure.step.name}": ${result.failure.message} (run tango plan to see what remains)`,
        );
      }
      if (confirmation?.outcome === 'not_stored') {
        process.exitCode = 1;
      }
    });
}
