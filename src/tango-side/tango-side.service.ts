import { Injectable, Optional } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type FamilyShapeCost, ShapeCostProbe } from '../tango/shape-cost';
import { configuredShape } from '../tango/shape-narrowing';
import { resourcePlanLines } from './resource-settings';
import { narrowingOf, shapePlanLines } from './shape-settings';
import { TangoWebhooksApi, type WebhookTestDeliveryResult } from '../tango/tango-webhooks-api';
import { WebhookRepository } from '../webhook/webhook.repository';
import { type AlertInput, type PlanStep, planTangoSide, type TangoSidePlan } from './tango-side-plan';
import { type TangoSideSpec } from './tango-side-spec';

/** A step apply carried out, with the id Tango gave a created object. */
export interface AppliedStep {
  readonly kind: PlanStep['kind'];
  readonly action: PlanStep['action'];
  readonly name: string;
  readonly id: string;
}

export interface ApplyResult {
  readonly plan: TangoSidePlan;
  readonly applied: readonly AppliedStep[];
  /** The managed endpoint after apply (undefined only when apply stopped before it existed). */
  readonly endpointId: string | undefined;
  /** The new endpoint's signing secret: Tango shows it once, in the answer to the creation. Never logged. */
  readonly newSecret: string | undefined;
  /** The step that failed and why; the steps after it were not attempted. */
  readonly failure: { readonly step: PlanStep; readonly message: string } | undefined;
}

export type DeliveryConfirmation =
  | {
      readonly outcome: 'stored';
      readonly deliveryPk: string;
      readonly deliveryId: string | null;
      readonly verifiedBy: string;
      readonly tango: WebhookTestDeliveryResult;
    }
  | {
      readonly outcome: 'not_stored' | 'unchecked';
      readonly reason: string;
      readonly tango: WebhookTestDeliveryResult;
    };

/** How long a delivery Tango says it made may take to be visible in the database (the ingest commit). */
const VISIBILITY_WAIT_MS = 5_000;
const POLL_MS = 200;
/** Clock difference tolerated between this machine and the worker's when looking for the delivery. */
const CLOCK_SKEW_MS = 2_000;

/**
 * Tango's side of a deployment as code: reads what Tango holds, plans against the file, converges it, and proves
 * the path end to end with a test delivery it finds in this worker's own database.
 */
@Injectable()
export class TangoSideService {
  constructor(
    private readonly api: TangoWebhooksApi,
    private readonly shapeCosts: ShapeCostProbe,
    /** Absent when the command runs without DATABASE_URL: the test delivery is then not confirmed. */
    @Optional() private readonly deliveries?: WebhookRepository,
  ) {}

  /**
   * The plan against what Tango holds; `options.settings` (the settings this command runs with) are compared with
   * the file's shapes, and `options.costSample` measures each narrowed family's shape on a page of that many records.
   */
  async plan(
    spec: TangoSideSpec,
    options: {
      readonly settings?: Readonly<Record<string, string | undefined>>;
      readonly costSample?: number;
      /** Read each contract resource's size from Tango (one request each) to cost its walks. */
      readonly resourceSizes?: boolean;
    } = {},
  ): Promise<TangoSidePlan> {
    const [endpoints, alerts, catalog] = await Promise.all([
      this.api.listEndpoints(),
      this.api.listAlerts(),
      this.api.eventTypes(),
    ]);
    const eventTypes = new Set(catalog.event_types.map((type) => type.event_type));
    const shapeCosts = new Map<ResourceFamily, FamilyShapeCost>();
    if (options.costSample !== undefined) {
      const narrowing = narrowingOf(spec.shapes);
      for (const line of shapePlanLines(spec.shapes)) {
        const narrowed = configuredShape(line.family, narrowing).shape;
        shapeCosts.set(line.family, await this.shapeCosts.measure(line.family, narrowed, options.costSample));
      }
    }
    const resourceSizes = new Map<ResourceFamily, number>();
    if (options.resourceSizes === true) {
      for (const line of resourcePlanLines(spec.resources)) {
        resourceSizes.set(line.resource, await this.shapeCosts.size(line.resource));
      }
    }
    return planTangoSide(spec, {
      endpoints,
      alerts,
      eventTypes,
      shapeCosts,
      resourceSizes,
      ...(options.settings === undefined ? {} : { settings: options.settings }),
    });
  }

  /**
   * Carries out the plan step by step and stops at the first failure (Tango's state is then re-read by the next
   * plan; nothing is guessed). Idempotent: applying the same file again plans no change.
   */
  async apply(spec: TangoSideSpec): Promise<ApplyResult> {
    const plan = await this.plan(spec);
    const applied: AppliedStep[] = [];
    let endpointId: string | undefined;
    let newSecret: string | undefined;
    for (const step of plan.steps) {
      try {
        if (step.kind === 'endpoint') {
          switch (step.action) {
            case 'create': {
              const created = await this.api.createEndpoint({
                name: step.name,
                callback_url: step.callbackUrl,
                is_active: step.active,
              });
              endpointId = created.id;
              newSecret = created.secret;
              applied.push({ kind: 'endpoint', action: 'create', name: step.name, id: created.id });
              break;
            }
            case 'update':
              await this.api.updateEndpoint(step.id, step.patch);
              endpointId = step.id;
              applied.push({ kind: 'endpoint', action: 'update', name: step.name, id: step.id });
              break;
            case 'unchanged':
              endpointId = step.id;
              break;
            case 'delete':
              await this.api.deleteEndpoint(step.id);
              applied.push({ kind: 'endpoint', action: 'delete', name: step.name, id: step.id });
              break;
          }
          continue;
        }
        switch (step.action) {
          case 'create': {
            const id = await this.createAlert(step.input, endpointId);
            applied.push({ kind: 'alert', action: 'create', name: step.name, id });
            break;
          }
          case 'replace': {
            await this.api.deleteAlert(step.id);
            const id = await this.createAlert(step.input, endpointId);
            applied.push({ kind: 'alert', action: 'replace', name: step.name, id });
            break;
          }
          case 'update':
            await this.api.updateAlert(step.id, step.patch);
            applied.push({ kind: 'alert', action: 'update', name: step.name, id: step.id });
            break;
          case 'delete':
            await this.api.deleteAlert(step.id);
            applied.push({ kind: 'alert', action: 'delete', name: step.name, id: step.id });
            break;
          case 'unchanged':
            break;
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { plan, applied, endpointId, newSecret, failure: { step, message } };
      }
    }
    return { plan, applied, endpointId, newSecret, failure: undefined };
  }

  /**
   * Asks Tango for a test delivery to the endpoint and looks for it in this worker's database: stored (with the
   * delivery's primary key), or why not (the endpoint's answer, and the worker's own rejection record when there
   * is one, e.g. a signature no configured secret matches).
   */
  async confirmTestDelivery(endpointId: string | undefined): Promise<DeliveryConfirmation> {
    const since = new Date(Date.now() - CLOCK_SKEW_MS);
    const tango = await this.api.testDelivery(endpointId);
    if (this.deliveries === undefined) {
      return tango.success
        ? {
            outcome: 'unchecked',
            reason: "DATABASE_URL is not set, so this worker's database was not searched",
            tango,
          }
        : {
            outcome: 'not_stored',
            reason: `${endpointAnswer(tango)}${signatureHint(tango.status_code)}`,
            tango,
          };
    }
    const deliveries = this.deliveries;
    const deadline = Date.now() + (tango.success ? VISIBILITY_WAIT_MS : POLL_MS * 5);
    for (;;) {
      const stored = await deliveries.deliveriesSince(since);
      const match = stored.find((delivery) => isTheTestDelivery(delivery, tango));
      if (match !== undefined) {
        return {
          outcome: 'stored',
          deliveryPk: match.deliveryPk,
          deliveryId: match.deliveryId,
          verifiedBy: match.verifiedBy,
          tango,
        };
      }
      if (Date.now() >= deadline) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const [rejection] = await deliveries.rejectionsSince(since);
    const answered = endpointAnswer(tango);
    const reason =
      rejection !== undefined
        ? `${answered}: this worker refused it (${rejection.httpStatus} ${rejection.code}${rejection.detail === null ? '' : `: ${rejection.detail}`})${signatureHint(rejection.httpStatus)}`
        : tango.success
          ? `${answered}, but no such delivery is in this worker's database: is the callback URL another deployment's?`
          : `${answered} and this worker recorded nothing: is it running and reachable at ${tango.endpoint_url ?? 'the callback URL'}?`;
    return { outcome: 'not_stored', reason, tango };
  }

  private async createAlert(input: AlertInput, endpointId: string | undefined): Promise<string> {
    const { active, ...create } = input;
    const alert = await this.api.createAlert({
      ...create,
      ...(endpointId === undefined ? {} : { endpoint: endpointId }),
    });
    if (!active) {
      await this.api.updateAlert(alert.alert_id, { is_active: false });
    }
    return alert.alert_id;
  }
}

function endpointAnswer(tango: WebhookTestDeliveryResult): string {
  return tango.status_code === null || tango.status_code === undefined
    ? `Tango could not reach ${tango.endpoint_url ?? 'the endpoint'}${tango.error ? ` (${tango.error})` : ''}`
    : `the endpoint answered ${tango.status_code}`;
}

function signatureHint(status: number | null | undefined): string {
  return status === 401
    ? "; give the worker the endpoint's secret (WEBHOOK_SECRETS or WEBHOOK_SECRETS_FILE)"
    : '';
}

/** The stored delivery is Tango's test delivery: same delivery id, or the same JSON document. */
function isTheTestDelivery(
  delivery: { readonly deliveryId: string | null; readonly rawBody: Buffer },
  tango: WebhookTestDeliveryResult,
): boolean {
  const payload = tango.test_payload;
  if (payload === null || payload === undefined) {
    return false;
  }
  const id = payload.delivery_id;
  if (typeof id === 'string' && delivery.deliveryId === id) {
    return true;
  }
  try {
    return isDeepStrictEqual(JSON.parse(delivery.rawBody.toString('utf8')), payload);
  } catch {
    return false;
  }
}
