import {
  type ResourcePlanLine,
  resourcePlanLines,
  resourceSettingWarnings,
  workerResourceSettings,
} from './resource-settings';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type FamilyShapeCost } from '../tango/shape-cost';
import {
  shapePlanLines,
  type ShapePlanLine,
  shapeSettingWarnings,
  workerShapeSettings,
} from './shape-settings';
import {
  type AlertCreate,
  type AlertUpdate,
  type WebhookAlert,
  type WebhookEndpoint,
} from '../tango/tango-webhooks-api';
import { uncataloguedAlerts } from './catalog-check';
import { type AlertSpec, managedPrefix, tangoName, type TangoSideSpec } from './tango-side-spec';

/** One field that differs between the file and Tango. */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

export type EndpointStep =
  | {
      readonly kind: 'endpoint';
      readonly action: 'create';
      readonly name: string;
      readonly callbackUrl: string;
      readonly active: boolean;
    }
  | {
      readonly kind: 'endpoint';
      readonly action: 'update';
      readonly id: string;
      readonly name: string;
      readonly changes: readonly FieldChange[];
      readonly patch: { callback_url?: string; is_active?: boolean };
    }
  | { readonly kind: 'endpoint'; readonly action: 'unchanged'; readonly id: string; readonly name: string }
  | { readonly kind: 'endpoint'; readonly action: 'delete'; readonly id: string; readonly name: string };

/** An alert to create; its endpoint is the managed one, known only once that exists. */
export type AlertInput = Omit<AlertCreate, 'endpoint'> & { readonly active: boolean };

export type AlertStep =
  | { readonly kind: 'alert'; readonly action: 'create'; readonly name: string; readonly input: AlertInput }
  | {
      readonly kind: 'alert';
      readonly action: 'update';
      readonly id: string;
      readonly name: string;
      readonly changes: readonly FieldChange[];
      readonly patch: AlertUpdate;
    }
  | {
      readonly kind: 'alert';
      readonly action: 'replace';
      readonly id: string;
      readonly name: string;
      readonly changes: readonly FieldChange[];
      readonly input: AlertInput;
    }
  | { readonly kind: 'alert'; readonly action: 'unchanged'; readonly id: string; readonly name: string }
  | { readonly kind: 'alert'; readonly action: 'delete'; readonly id: string; readonly name: string };

export type PlanStep = EndpointStep | AlertStep;

export interface TangoSidePlan {
  readonly owner: string;
  /** In the order apply runs them: the endpoint, alerts to delete, to replace, to create, to update, old endpoints. */
  readonly steps: readonly PlanStep[];
  /** Objects in the account this file does not manage (left alone). */
  readonly unmanaged: { readonly endpoints: number; readonly alerts: number };
  readonly summary: Readonly<Record<'create' | 'update' | 'replace' | 'delete' | 'unchanged', number>>;
  /** Alerts of the file left out because Tango's event-type catalog lacks their type, and the freshness instead. */
  readonly catalogWarnings: readonly string[];
  /** The file's narrowed families (`shapes:`), with what each leaves out and, when measured, costs. */
  readonly shapes: readonly ShapePlanLine[];
  /** The worker settings the file's shapes stand for. */
  readonly shapeSettings: Readonly<Record<string, string>>;
  /** Where the settings this command runs with differ from the file's shapes. */
  readonly shapeWarnings: readonly string[];
  /** The contract resources the file (or the default set) turns on: freshness, periods and, when sized, cost. */
  readonly resources: readonly ResourcePlanLine[];
  /** The worker settings the file's resources stand for. */
  readonly resourceSettings: Readonly<Record<string, string>>;
  readonly resourceWarnings: readonly string[];
}

export interface TangoSideState {
  readonly endpoints: readonly WebhookEndpoint[];
  readonly alerts: readonly WebhookAlert[];
  /** The event types Tango's catalog lists (`GET /api/webhooks/event-types/`); absent: not checked. */
  readonly eventTypes?: ReadonlySet<string>;
  /** The settings this command runs with, compared with the file's shapes; absent: not compared. */
  readonly settings?: Readonly<Record<string, string | undefined>>;
  /** What each narrowed family's shape costs, measured on a sample page; absent: not measured. */
  readonly shapeCosts?: ReadonlyMap<ResourceFamily, FamilyShapeCost>;
  /** Records each contract resource holds in Tango; absent: not measured. */
  readonly resourceSizes?: ReadonlyMap<ResourceFamily, number>;
}

/**
 * Compares the file with what Tango holds and lists the steps that converge Tango to the file. Only objects named
 * with the owner's prefix are considered (see `managedPrefix`); a second object of the same managed name is
 * deleted. Tango cannot change an alert's `query_type` or `filters` (or, where it shows it, its endpoint) in
 * place, so such a change replaces the alert.
 */
export function planTangoSide(spec: TangoSideSpec, state: TangoSideState): TangoSidePlan {
  const prefix = managedPrefix(spec.owner);
  const managedEndpoints = state.endpoints.filter((endpoint) => endpoint.name.startsWith(prefix));
  const managedAlerts = state.alerts.filter((alert) => alert.name.startsWith(prefix));
  const endpointName = tangoName(spec.owner, spec.endpoint.name);

  const steps: PlanStep[] = [];
  const endpoint = managedEndpoints.find((candidate) => candidate.name === endpointName);
  steps.push(endpointStep(spec, endpointName, endpoint));

  const uncatalogued =
    state.eventTypes === undefined ? [] : uncataloguedAlerts(spec.alerts, state.eventTypes);
  const left = new Set(uncatalogued.map((alert) => tangoName(spec.owner, alert.name)));
  const alertSteps: AlertStep[] = [];
  // An alert of an uncatalogued type that already exists is left alone (neither planned nor deleted).
  const claimed = new Set<string>(
    managedAlerts.filter((alert) => left.has(alert.name)).map((alert) => alert.alert_id),
  );
  for (const alert of spec.alerts.filter((candidate) => !left.has(tangoName(spec.owner, candidate.name)))) {
    const name = tangoName(spec.owner, alert.name);
    const current = managedAlerts.find(
      (candidate) => candidate.name === name && !claimed.has(candidate.alert_id),
    );
    if (current !== undefined) {
      claimed.add(current.alert_id);
    }
    alertSteps.push(alertStep(alert, name, current, endpoint?.id));
  }
  for (const alert of managedAlerts) {
    if (!claimed.has(alert.alert_id)) {
      alertSteps.push({ kind: 'alert', action: 'delete', id: alert.alert_id, name: alert.name });
    }
  }
  const order: Readonly<Record<AlertStep['action'], number>> = {
    delete: 0,
    replace: 1,
    create: 2,
    update: 3,
    unchanged: 4,
  };
  steps.push(...alertSteps.sort((a, b) => order[a.action] - order[b.action]));
  for (const old of managedEndpoints) {
    if (old !== endpoint) {
      steps.push({ kind: 'endpoint', action: 'delete', id: old.id, name: old.name });
    }
  }

  const summary = { create: 0, update: 0, replace: 0, delete: 0, unchanged: 0 };
  for (const step of steps) {
    summary[step.action] += 1;
  }
  return {
    owner: spec.owner,
    steps,
    unmanaged: {
      endpoints: state.endpoints.length - managedEndpoints.length,
      alerts: state.alerts.length - managedAlerts.length,
    },
    summary,
    catalogWarnings: uncatalogued.map((alert) => alert.warning),
    shapes: shapePlanLines(spec.shapes).map((line) => {
      const cost = state.shapeCosts?.get(line.family);
      return cost === undefined ? line : { ...line, cost };
    }),
    shapeSettings: workerShapeSettings(spec.shapes),
    shapeWarnings: state.settings === undefined ? [] : shapeSettingWarnings(spec.shapes, state.settings),
    // Shown when the file chooses resources or their sizes were read (else the plan is about Tango's side only).
    resources:
      spec.resources === undefined && (state.resourceSizes?.size ?? 0) === 0
        ? []
        : resourcePlanLines(spec.resources, state.resourceSizes),
    resourceSettings: workerResourceSettings(spec.resources),
    resourceWarnings:
      state.settings === undefined ? [] : resourceSettingWarnings(spec.resources, state.settings),
  };
}

/** True when applying the plan would change nothing in Tango. */
export function planIsEmpty(plan: TangoSidePlan): boolean {
  return plan.steps.every((step) => step.action === 'unchanged');
}

function endpointStep(spec: TangoSideSpec, name: string, current: WebhookEndpoint | undefined): EndpointStep {
  if (current === undefined) {
    return {
      kind: 'endpoint',
      action: 'create',
      name,
      callbackUrl: spec.endpoint.callback_url,
      active: spec.endpoint.active,
    };
  }
  const changes: FieldChange[] = [];
  const patch: { callback_url?: string; is_active?: boolean } = {};
  if (current.callback_url !== spec.endpoint.callback_url) {
    changes.push({ field: 'callback_url', from: current.callback_url, to: spec.endpoint.callback_url });
    patch.callback_url = spec.endpoint.callback_url;
  }
  if (current.is_active !== spec.endpoint.active) {
    changes.push({ field: 'is_active', from: current.is_active, to: spec.endpoint.active });
    patch.is_active = spec.endpoint.active;
  }
  return changes.length === 0
    ? { kind: 'endpoint', action: 'unchanged', id: current.id, name }
    : { kind: 'endpoint', action: 'update', id: current.id, name, changes, patch };
}

function alertInput(alert: AlertSpec, name: string): AlertInput {
  return {
    name,
    query_type: alert.query_type,
    filters: alert.filters,
    frequency: alert.frequency,
    cron_expression: alert.cron_expression,
    active: alert.active,
  };
}

function alertStep(
  alert: AlertSpec,
  name: string,
  current: WebhookAlert | undefined,
  endpointId: string | undefined,
): AlertStep {
  const input = alertInput(alert, name);
  if (current === undefined) {
    return { kind: 'alert', action: 'create', name, input };
  }
  const fixed: FieldChange[] = [];
  if (current.query_type !== alert.query_type) {
    fixed.push({ field: 'query_type', from: current.query_type, to: alert.query_type });
  }
  if (canonicalFilters(current.filters) !== canonicalFilters(alert.filters)) {
    fixed.push({ field: 'filters', from: current.filters, to: alert.filters });
  }
  // Tango's documented alert shape has no endpoint; when it shows one, an alert on another endpoint is moved.
  if (typeof current.endpoint === 'string' && current.endpoint !== endpointId) {
    fixed.push({ field: 'endpoint', from: current.endpoint, to: endpointId ?? '(the endpoint to create)' });
  }
  const changes: FieldChange[] = [];
  const patch: { -readonly [K in keyof AlertUpdate]: AlertUpdate[K] } = {};
  if (current.frequency !== alert.frequency) {
    changes.push({ field: 'frequency', from: current.frequency, to: alert.frequency });
    patch.frequency = alert.frequency;
  }
  if ((current.cron_expression ?? null) !== alert.cron_expression) {
    changes.push({
      field: 'cron_expression',
      from: current.cron_expression ?? null,
      to: alert.cron_expression,
    });
    patch.cron_expression = alert.cron_expression;
  }
  const active = current.status === 'active';
  if (active !== alert.active) {
    changes.push({ field: 'status', from: current.status, to: alert.active ? 'active' : 'paused' });
    patch.is_active = alert.active;
  }
  if (fixed.length > 0) {
    return {
      kind: 'alert',
      action: 'replace',
      id: current.alert_id,
      name,
      changes: [...fixed, ...changes],
      input,
    };
  }
  return changes.length === 0
    ? { kind: 'alert', action: 'unchanged', id: current.alert_id, name }
    : { kind: 'alert', action: 'update', id: current.alert_id, name, changes, patch };
}

/**
 * Filters compared by meaning, not spelling: keys sorted, scalars as text (Tango may echo `9700` as `"9700"`),
 * lists in their order. Otherwise a second apply could see a change that is not one.
 */
export function canonicalFilters(filters: Readonly<Record<string, unknown>>): string {
  const normalize = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(normalize)
      : typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : value;
  return JSON.stringify(
    Object.keys(filters)
      .sort()
      .map((key) => [key, normalize(filters[key])]),
  );
}

const SYMBOL: Readonly<Record<PlanStep['action'], string>> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  unchanged: '=',
};

/** The plan as an operator reads it: one line per object that changes, then the totals. */
export function formatPlan(plan: TangoSidePlan, options: { readonly showUnchanged?: boolean } = {}): string {
  const lines: string[] = [...plan.catalogWarnings, ...plan.shapeWarnings].map(
    (warning) => `warning: ${warning}`,
  );
  lines.push(...shapeLines(plan));
  lines.push(...resourceLines(plan));
  for (const step of plan.steps) {
    if (step.action === 'unchanged' && options.showUnchanged !== true) {
      continue;
    }
    const head = `${SYMBOL[step.action].padEnd(3)} ${step.kind.padEnd(8)} ${step.name}`;
    if (step.action === 'update' || step.action === 'replace') {
      lines.push(head);
      for (const change of step.changes) {
        lines.push(`      ${change.field}: ${JSON.stringify(change.from)} → ${JSON.stringify(change.to)}`);
      }
      if (step.action === 'replace') {
        lines.push(
          '      (Tango cannot change query_type, filters or endpoint in place: deleted and created again)',
        );
      }
    } else if (step.kind === 'endpoint' && step.action === 'create') {
      lines.push(`${head}  → ${step.callbackUrl}`);
    } else if (step.kind === 'alert' && step.action === 'create') {
      lines.push(
        `${head}  ${step.input.query_type} ${JSON.stringify(step.input.filters)} ${step.input.frequency ?? ''}`.trimEnd(),
      );
    } else {
      lines.push(head);
    }
  }
  const { summary } = plan;
  const total =
    summary.create + summary.update + summary.replace + summary.delete === 0
      ? `No changes: Tango matches the file (${summary.unchanged} object(s) managed by "${plan.owner}").`
      : `Plan: ${summary.create} to create, ${summary.update} to update, ${summary.replace} to replace, ${summary.delete} to delete, ${summary.unchanged} unchanged.`;
  lines.push(total);
  lines.push(
    `Left alone (not managed by "${plan.owner}"): ${plan.unmanaged.endpoints} endpoint(s), ${plan.unmanaged.alerts} alert(s).`,
  );
  return `${lines.join('\n')}\n`;
}

const percent = (share: number): string => `${Math.round(share * 100)}%`;

/** The contract resources turned on, how each stays fresh, and what it costs when sized. */
function resourceLines(plan: TangoSidePlan): string[] {
  const lines = plan.resources.map((line) => {
    const poll = line.pollSeconds === null ? '' : `, polled every ${line.pollSeconds}s`;
    const cost =
      line.records === undefined
        ? ''
        : `; ${line.records} records, ~${line.requestsPerDay ?? 0} requests a day`;
    return `resource ${line.resource}: ${line.freshness}; walked whole every ${line.fullSeconds}s${poll}${cost}`;
  });
  const total = plan.resources.reduce((sum, line) => sum + (line.requestsPerDay ?? 0), 0);
  const settings = Object.entries(plan.resourceSettings)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}='${value}'`)
    .join(' ');
  return [
    ...lines,
    ...(plan.resources.some((line) => line.requestsPerDay !== undefined)
      ? [`         contract resources: ~${Math.round(total)} requests a day for their walks`]
      : []),
    ...(settings === '' ? [] : [`         worker settings: ${settings}`]),
    ...plan.resourceWarnings.map((warning) => `warning  ${warning}`),
  ];
}

/** The narrowed families and the worker settings they stand for; nothing when every family is whole. */
function shapeLines(plan: TangoSidePlan): string[] {
  if (plan.shapes.length === 0) {
    return [];
  }
  const lines = plan.shapes.map((line) => {
    const cost =
      line.cost === undefined
        ? ''
        : `; ${line.cost.configured.bytesPerRecord} of ${line.cost.whole.bytesPerRecord} bytes a record (saves ${percent(line.cost.savedShare)})`;
    const leftOut = line.leftOut.length === 0 ? 'nothing' : line.leftOut.join(', ');
    return `shape    ${line.family}: ${line.paths.asked} of ${line.paths.whole} paths, leaves out ${leftOut}${cost}`;
  });
  const settings = Object.entries(plan.shapeSettings)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}='${value}'`)
    .join(' ');
  return [...lines, `         worker settings: ${settings}`];
}
