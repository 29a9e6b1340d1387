import { type Command, Option } from 'commander';
import { formatPlan, planIsEmpty } from '../../tango-side/tango-side-plan';
import {
  type ApplyResult,
  type DeliveryConfirmation,
  TangoSideService,
} from '../../tango-side/tango-side.service';
import { loadTangoSideSpec, type TangoSideSpec } from '../../tango-side/tango-side-spec';
import { type CliContext, recordSample } from '../cli-context';
import { describeConfirmation, handOverSecret, withTango } from '../tango-operator';
import { registerTangoAlertCommands } from './tango-alerts';
import { registerTangoEndpointCommands } from './tango-endpoints';

function registerEventTypes(tango: Command, { io, globals }: CliContext): void {
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
}

function registerSample(tango: Command, { io, globals }: CliContext): void {
  tango
    .command('sample')
    .description("Tango's sample delivery for an event type (all types when omitted)")
    .option('--event-type <type>', 'e.g. alerts.contract.match')
    .action(async (options: { eventType?: string }) => {
      const sample = await withTango(globals().verbose, ({ api }) => api.samplePayload(options.eventType));
      io.out(`${JSON.stringify(sample, null, globals().json ? undefined : 2)}\n`);
    });
}

function registerTestDelivery(tango: Command, { io, globals }: CliContext): void {
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
}

const specOption = (): Option =>
  new Option(
    '-f, --file <path>',
    'the file declaring the Tango side (see examples/tango-sync.yaml)',
  ).makeOptionMandatory();

function registerPlan(tango: Command, { io, globals }: CliContext): void {
  tango
    .command('plan')
    .description('show what apply would create, update, replace or delete in Tango to match the file')
    .addOption(specOption())
    .option('--show-unchanged', 'also list what already matches', false)
    .addOption(
      new Option(
        '--cost-sample <records>',
        "measure each narrowed family's shape (shapes:) on a page of this many records, against the whole record",
      ).argParser(recordSample('--cost-sample')),
    )
    .option(
      '--resource-sizes',
      "read each contract resource's size from Tango and cost its walks in requests a day",
      false,
    )
    .action(
      async (options: {
        file: string;
        showUnchanged: boolean;
        costSample?: number;
        resourceSizes: boolean;
      }) => {
        const spec = loadTangoSideSpec(options.file);
        const plan = await withTango(globals().verbose, ({ side }) =>
          side.plan(spec, {
            settings: process.env,
            resourceSizes: options.resourceSizes,
            ...(options.costSample === undefined ? {} : { costSample: options.costSample }),
          }),
        );
        io.out(
          globals().json
            ? `${JSON.stringify({ command: 'tango plan', ...plan })}\n`
            : formatPlan(plan, { showUnchanged: options.showUnchanged }),
        );
      },
    );
}

interface ApplyOutcome {
  readonly result: ApplyResult;
  readonly confirmation: DeliveryConfirmation | undefined;
}

/** Applies the file, then (unless told not to, or the apply failed) proves the path with a test delivery. */
async function applyAndConfirm(
  side: TangoSideService,
  spec: TangoSideSpec,
  testDelivery: boolean,
): Promise<ApplyOutcome> {
  const result = await side.apply(spec);
  if (result.failure !== undefined || !testDelivery || result.endpointId === undefined) {
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
}

/** What apply did: one JSON line with --json, else the plan, the steps and the test delivery. */
function reportApply(
  { io, globals, print }: CliContext,
  { result, confirmation }: ApplyOutcome,
  secret: string | undefined,
): void {
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
    return;
  }
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

function registerApply(tango: Command, context: CliContext): void {
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
      const outcome = await withTango(context.globals().verbose, ({ side }) =>
        applyAndConfirm(side, spec, options.testDelivery),
      );
      const { result, confirmation } = outcome;
      const secret =
        result.newSecret === undefined
          ? undefined
          : handOverSecret(context.io, result.newSecret, options.secretFile);
      reportApply(context, outcome, secret);
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

/** `tango …`: Tango's webhook management API, and the Tango side of the deployment as code. */
export function registerTangoCommands(program: Command, context: CliContext): void {
  const tango = program
    .command('tango')
    .description(
      "Tango's webhook management API (TANGO_API_KEY; DATABASE_URL optional): endpoints, alerts, event types, " +
        'samples, test deliveries, and plan/apply of a tango-sync.yaml',
    );
  registerTangoEndpointCommands(tango, context);
  registerTangoAlertCommands(tango, context);
  registerEventTypes(tango, context);
  registerSample(tango, context);
  registerTestDelivery(tango, context);
  registerPlan(tango, context);
  registerApply(tango, context);
}
