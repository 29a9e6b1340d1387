import { type SimClock } from './clock';
import { type Counters, type CountersSnapshot } from './counters';
import { type JsonObject } from './dataset/json';
import { type Dataset } from './dataset/store';
import { type FaultInjector } from './faults';
import { groundTruthSnapshot, resourceTruthSnapshot } from './ground-truth';
import {
  type FaultSettings,
  type Family,
  type RateLimitSettings,
  type WebhookSettings,
  rateLimitSettingsSchema,
  webhookSettingsSchema,
} from './options';
import { type RateLimiter } from './rate-limit';
import { type Resource, isResource } from './resources/catalog';
import { type ResourceStore } from './resources/store';
import { type Trickle } from './trickle';
import { type BreakerState } from './webhooks/circuit-breaker';
import { type DeliveryAttempt, type DeliveryRecord } from './webhooks/dispatcher';
import { ALERT_QUERY_TYPES } from './webhooks/envelopes';
import {
  type AlertCreate,
  type EndpointCreate,
  type WebhookAlert,
  type WebhookEndpoint,
  alertCreateSchema,
  endpointCreateSchema,
} from './webhooks/registry';
import { type EventTypeInfo, type SendEventInput, type WebhookService } from './webhooks/webhook-service';

export interface RegisterWebhookInput {
  readonly url: string;
  readonly secret?: string;
  readonly format?: 'alerts' | 'legacy';
  readonly name?: string;
  /** One alert per query type (default: the eight families the simulator serves). */
  readonly queryTypes?: readonly (typeof ALERT_QUERY_TYPES)[number][];
  readonly frequency?: WebhookAlert['frequency'];
  /** Alert filters; the default matches every record. */
  readonly filters?: JsonObject;
  readonly countsOnly?: boolean;
}

/**
 * Alert filters that match every record of the family and that Tango's contract lists for its list endpoint, so
 * re-running the alert (what a worker does with a counts-only match) is a filtered list request, as with a real
 * alert. An open-ended date filter (or, for entities, which have no date filter, a zero obligation floor).
 */
export const MATCH_ALL_FILTERS: Readonly<Record<(typeof ALERT_QUERY_TYPES)[number], JsonObject>> = {
  contract: { award_date_gte: '1900-01-01' },
  idv: { award_date_gte: '1900-01-01' },
  ota: { award_date_gte: '1900-01-01' },
  otidv: { award_date_gte: '1900-01-01' },
  opportunity: { first_notice_date_after: '1900-01-01' },
  entity: { total_awards_obligated_gte: 0 },
  grant: { posted_date_after: '1900-01-01' },
  forecast: { modified_after: '1900-01-01' },
};

/** Everything tests (in process) and `/_sim/` (standalone) may do to a running simulator. */
export class SimulatorControl {
  constructor(
    readonly dataset: Dataset,
    private readonly webhooks: WebhookService,
    private readonly faultInjector: FaultInjector,
    private readonly rateLimiter: RateLimiter,
    private readonly counterStore: Counters,
    private readonly trickle: Trickle,
    private readonly clock: SimClock,
    private webhookSettings: WebhookSettings,
    private readonly shapeTier: { refuse: boolean },
    /** The resources beyond the nine families (`dibbs_rfqs`, `agencies`, …), by mirror name. */
    readonly resources: ResourceStore,
  ) {}

  /** Current webhook settings (the dispatcher reads them on every attempt). */
  webhookSettingsNow(): WebhookSettings {
    return this.webhookSettings;
  }

  /**
   * Creates a record of a family or of a resource (by mirror name). A resource record takes any contract fields
   * (its id field too, when not taken); its change time is now (alerts of its type see it as new).
   */
  createRecord(family: Family | Resource, fields?: JsonObject): JsonObject {
    return isResource(family) ? this.resources.create(family, fields) : this.dataset.create(family, fields);
  }

  /** Changes the given fields, or (without fields) makes a realistic change; resources: only bumps the change time. */
  modifyRecord(family: Family | Resource, id: string, fields?: JsonObject): JsonObject | undefined {
    return isResource(family)
      ? this.resources.modify(family, id, fields)
      : this.dataset.modify(family, id, fields);
  }

  deleteRecord(family: Family | Resource, id: string): boolean {
    return isResource(family) ? this.resources.delete(family, id) : this.dataset.delete(family, id);
  }

  /** The record as `GET /api/<family>/<id>/` serves it (fields removed from the contract left out). */
  getRecord(family: Family | Resource, id: string): JsonObject | undefined {
    if (isResource(family)) {
      return this.resources.get(family, id)?.record;
    }
    const index = this.dataset.resolve(family, id);
    return index === undefined ? undefined : this.dataset.served(family, index);
  }

  /**
   * Removes a top-level field or expand from the family's contract (Tango dropping a field): shapes naming it
   * answer 400 `unknown_field`, `available_fields` omits it, and records (details, lists, ground truth) lose it.
   * Throws `ContractControlError` for a name the family's contract does not have.
   */
  removeContractField(family: Family, field: string): Record<string, string[]> {
    this.dataset.contract.remove(family, field);
    return this.contractRemovals();
  }

  /** Puts a removed field back (false when it was not removed). */
  restoreContractField(family: Family, field: string): boolean {
    return this.dataset.contract.restore(family, field);
  }

  /** Puts every removed field back. */
  restoreContract(): void {
    this.dataset.contract.restoreAll();
  }

  /** `{family: [removed fields]}`. */
  contractRemovals(): Record<string, string[]> {
    return this.dataset.contract.removals();
  }

  /** Lists an extra event type in `GET /api/webhooks/event-types/` (`alerts.<q>.match` also allows alerts of `q`). */
  addEventType(eventType: string, description?: string, schemaVersion?: number): EventTypeInfo {
    return this.webhooks.addEventType(eventType, description, schemaVersion);
  }

  removeEventType(eventType: string): boolean {
    return this.webhooks.removeEventType(eventType);
  }

  /** The event types `GET /api/webhooks/event-types/` lists now. */
  eventTypes(): JsonObject {
    return this.webhooks.eventTypes();
  }

  /**
   * Sends one signed delivery with one event of any type now (for example `alerts.exclusion.match`, or
   * `{queryType: 'contract', countsOnly: true}`), to one endpoint or every active one; resolves when settled.
   */
  sendEvent(input: SendEventInput): Promise<DeliveryRecord[]> {
    return this.webhooks.sendEvent(input);
  }

  /** Ids of live records in default list order (small datasets only: this materialises the list). */
  ids(family: Family | Resource): string[] {
    return [...this.groundTruth(family).keys()];
  }

  /**
   * `id -> content hash` for one family or resource (small datasets; use `GET /_sim/state` for big ones). Hashes
   * are `contentHash` of the whole record as served; ids are the id field's value as text.
   */
  groundTruth(family: Family | Resource): Map<string, string> {
    return isResource(family)
      ? resourceTruthSnapshot(this.resources, family)
      : groundTruthSnapshot(this.dataset, family);
  }

  createEndpoint(input: EndpointCreate): WebhookEndpoint {
    return this.webhooks.registry.createEndpoint(
      endpointCreateSchema.parse(input),
      new Date(this.clock.now()).toISOString(),
      this.webhooks.journalSeq,
    );
  }

  createAlert(input: AlertCreate): WebhookAlert {
    const parsed = alertCreateSchema.parse(input);
    const now = this.clock.now();
    return this.webhooks.registry.createAlert(
      parsed,
      now,
      this.webhooks.journalSeq,
      now + this.webhooks.intervalMs(parsed.frequency),
    );
  }

  /** Registers an endpoint and one alert per query type, returning the endpoint (with its secret). */
  registerWebhook(input: RegisterWebhookInput): { endpoint: WebhookEndpoint; alerts: WebhookAlert[] } {
    const endpoint = this.createEndpoint({
      name: input.name ?? `sim-${this.webhooks.registry.endpoints.size + 1}`,
      callback_url: input.url,
      ...(input.secret === undefined ? {} : { secret: input.secret }),
      format: input.format ?? 'alerts',
    });
    const alerts =
      endpoint.format === 'legacy'
        ? []
        : (input.queryTypes ?? this.listedQueryTypes()).map((queryType) =>
            this.createAlert({
              name: `${endpoint.name} ${queryType}`,
              query_type: queryType,
              filters: input.filters ?? MATCH_ALL_FILTERS[queryType],
              frequency: input.frequency ?? 'realtime',
              endpoint: endpoint.id,
              ...(input.countsOnly === undefined ? {} : { counts_only: input.countsOnly }),
            }),
          );
    return { endpoint, alerts };
  }

  /** The mirrored families' alert query types the event-type catalog lists (those an alert may have). */
  private listedQueryTypes(): (typeof ALERT_QUERY_TYPES)[number][] {
    const listed = new Set(this.webhooks.alertQueryTypes());
    return ALERT_QUERY_TYPES.filter((queryType) => listed.has(queryType));
  }

  endpoints(): WebhookEndpoint[] {
    return [...this.webhooks.registry.endpoints.values()];
  }

  alerts(): WebhookAlert[] {
    return [...this.webhooks.registry.alerts.values()];
  }

  /** Evaluates every active alert now and resolves when the resulting deliveries are settled. */
  flush(): Promise<DeliveryRecord[]> {
    return this.webhooks.flush();
  }

  /** Waits for deliveries already in flight (retries included). */
  settle(): Promise<void> {
    return this.webhooks.dispatcher.settle();
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.webhooks.dispatcher.deliveries;
  }

  attempts(): readonly DeliveryAttempt[] {
    return this.webhooks.dispatcher.attempts;
  }

  breakerState(endpointId: string): BreakerState {
    return this.webhooks.dispatcher.breaker(endpointId).state;
  }

  faults(): FaultSettings {
    return this.faultInjector.current();
  }

  setFaults(patch: Partial<FaultSettings>): FaultSettings {
    return this.faultInjector.update(patch);
  }

  resetFaults(): FaultSettings {
    return this.faultInjector.reset();
  }

  rateLimits(): RateLimitSettings {
    return this.rateLimiter.current();
  }

  /** Replaces the limits (merged with the current ones) and starts fresh windows. */
  setRateLimits(patch: Partial<RateLimitSettings>): RateLimitSettings {
    const next = rateLimitSettingsSchema.parse({ ...this.rateLimiter.current(), ...patch });
    this.rateLimiter.update(next);
    return next;
  }

  setWebhookSettings(patch: Partial<WebhookSettings>): WebhookSettings {
    this.webhookSettings = webhookSettingsSchema.parse({ ...this.webhookSettings, ...patch });
    return this.webhookSettings;
  }

  setRefuseProShapes(refuse: boolean): void {
    this.shapeTier.refuse = refuse;
  }

  setTimeScale(timeScale: number): void {
    this.clock.timeScale = timeScale;
  }

  setTrickleRate(ratePerSecond: number): void {
    this.trickle.setRate(ratePerSecond);
  }

  counters(): CountersSnapshot {
    return this.counterStore.snapshot();
  }

  resetCounters(): void {
    this.counterStore.reset();
  }
}
