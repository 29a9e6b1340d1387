import { randomUUID } from 'node:crypto';
import { type SimClock } from '../clock';
import { type Counters } from '../counters';
import { FAMILY_SPECS, familyForQueryType } from '../dataset/families';
import { type JsonObject, type JsonValue, scalarText } from '../dataset/json';
import { type Dataset } from '../dataset/store';
import { resourceForQueryType } from '../resources/catalog';
import { type ResourceStore } from '../resources/store';
import { type EventCatalog, type WebhookSettings } from '../options';
import { hash32 } from '../prng';
import { type DeliveryRecord, Dispatcher } from './dispatcher';
import {
  type AlertMatch,
  type JournalChange,
  catalogEventTypes,
  isResourceChange,
  resourceSummary,
  LEGACY_EVENT_TYPES,
  alertEvent,
  alertQueryTypeOf,
  alertsEnvelope,
  buildAlertEvent,
  buildLegacyEvent,
  eventTimestamp,
  legacyEnvelope,
} from './envelopes';
import { RegistryError, type WebhookAlert, type WebhookEndpoint, WebhookRegistry } from './registry';
import { buildSampleDelivery } from './samples';

interface JournalEntry {
  readonly seq: number;
  readonly change: JournalChange;
}

const FREQUENCY_SECONDS: Record<WebhookAlert['frequency'], number> = {
  realtime: 300,
  daily: 86_400,
  weekly: 604_800,
  custom: 86_400,
};

/**
 * Turns record changes into deliveries: a journal of changes, alert evaluation on each alert's schedule
 * (or on `flush()`), one batched delivery per endpoint per run, in the alerts or the legacy format.
 */
export class WebhookService {
  readonly registry = new WebhookRegistry(() => this.alertQueryTypes());
  readonly dispatcher: Dispatcher;
  /** Event types added at run time (`POST /_sim/event-types`), after the built-in ones. */
  private readonly addedEventTypes = new Map<string, EventTypeInfo>();
  private journal: JournalEntry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly held = new Map<string, () => void>();

  constructor(
    private readonly dataset: Dataset,
    private readonly settings: () => WebhookSettings,
    private readonly clock: SimClock,
    private readonly counters: Counters,
    seed: number,
    /** Which of Tango's documents `GET /api/webhooks/event-types/` follows (see EVENT_CATALOGS). */
    private readonly catalog: EventCatalog = 'sdk',
    /** The resources beyond the nine families (their alerts fire on control-API changes). */
    private readonly resources?: ResourceStore,
  ) {
    this.dispatcher = new Dispatcher(settings, clock, counters, seed);
    dataset.onChange((change) => {
      this.record(change);
    });
    resources?.onChange((change) => {
      this.record(change);
    });
  }

  private record(change: JournalChange): void {
    if (this.registry.endpoints.size > 0) {
      this.seq += 1;
      this.journal.push({ seq: this.seq, change });
    }
  }

  get journalSeq(): number {
    return this.seq;
  }

  /** Seconds between evaluations of an alert of this frequency (realtime uses the configured interval). */
  intervalMs(frequency: WebhookAlert['frequency']): number {
    const seconds =
      frequency === 'realtime' ? this.settings().realtimeIntervalSeconds : FREQUENCY_SECONDS[frequency];
    return this.clock.realMs(seconds);
  }

  start(): void {
    if (!this.settings().schedule) {
      return;
    }
    this.timer = setInterval(
      () => {
        this.run(false);
      },
      Math.max(10, this.intervalMs('realtime')),
    );
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
    }
    await this.dispatcher.close();
  }

  /** Evaluates every active alert now, sends the deliveries, and waits until they are settled. */
  async flush(): Promise<DeliveryRecord[]> {
    const started = this.run(true);
    await this.dispatcher.settle();
    return started;
  }

  /** One dispatch run: due alerts (all active ones when forced) and legacy endpoints. */
  run(force: boolean): DeliveryRecord[] {
    const now = this.clock.now();
    const perEndpoint = new Map<string, JsonObject[]>();
    const listed = new Set(this.alertQueryTypes());
    for (const alert of this.registry.alerts.values()) {
      // Realtime alerts run on every scheduler tick (Tango's `*/5 * * * *`); the others when due.
      const due = force || alert.frequency === 'realtime' || now >= alert.nextDueAt;
      if (alert.status !== 'active' || !due || !listed.has(alert.query_type)) {
        // An alert whose query type the catalog no longer lists (an event type removed at run time) never fires.
        continue;
      }
      this.counters.add('alertEvaluations');
      const changes = this.journal.filter((entry) => entry.seq > alert.seq).map((entry) => entry.change);
      alert.seq = this.seq;
      alert.last_checked_at = new Date(now).toISOString();
      alert.nextDueAt = now + this.intervalMs(alert.frequency);
      const countsOnly =
        alert.countsOnly ??
        hash32(`${alert.alert_id}:${now}`) / 0x100000000 < this.settings().countsOnlyShare;
      const event = buildAlertEvent(alert, changes, now, countsOnly);
      if (event === undefined) {
        continue;
      }
      const matches = event.matches as { new_count: number; modified_count: number };
      alert.match_count += matches.new_count + matches.modified_count;
      const list = perEndpoint.get(alert.endpoint) ?? [];
      list.push(event);
      perEndpoint.set(alert.endpoint, list);
    }
    const started: DeliveryRecord[] = [];
    for (const [endpointId, events] of perEndpoint) {
      const deliveryId = randomUUID();
      started.push(
        ...this.send(
          endpointId,
          deliveryId,
          Buffer.from(JSON.stringify(alertsEnvelope(events, deliveryId, now)), 'utf8'),
          events,
          force,
        ),
      );
    }
    for (const endpoint of this.registry.endpoints.values()) {
      if (endpoint.format !== 'legacy') {
        continue;
      }
      const events = this.journal
        .filter((entry) => entry.seq > endpoint.legacySeq)
        .flatMap((entry) => (isResourceChange(entry.change) ? [] : [entry.change]))
        .map((change) => buildLegacyEvent(change, this.settings().legacyAwardKeys))
        .filter((event): event is JsonObject => event !== undefined);
      endpoint.legacySeq = this.seq;
      if (events.length > 0) {
        started.push(
          ...this.send(
            endpoint.id,
            randomUUID(),
            Buffer.from(JSON.stringify(legacyEnvelope(events, now)), 'utf8'),
            events,
            force,
          ),
        );
      }
    }
    if (force) {
      for (const release of this.held.values()) {
        release();
      }
      this.held.clear();
    }
    this.trimJournal();
    return started;
  }

  private send(
    endpointId: string,
    deliveryId: string,
    body: Buffer,
    events: readonly JsonObject[],
    force: boolean,
  ): DeliveryRecord[] {
    this.counters.add('eventsDispatched', events.length);
    const eventTypes = events.map((event) => scalarText(event.event_type));
    const target = (): WebhookEndpoint | undefined => this.registry.endpoints.get(endpointId);
    const start = (): DeliveryRecord =>
      this.dispatcher.deliver(target, endpointId, deliveryId, body, eventTypes);
    if (!this.settings().reorder) {
      return [start()];
    }
    const previous = this.held.get(endpointId);
    if (previous !== undefined) {
      this.held.delete(endpointId);
      const record = start();
      previous();
      return [record];
    }
    if (force) {
      return [start()];
    }
    this.held.set(endpointId, () => {
      start();
    });
    return [];
  }

  private trimJournal(): void {
    let floor = this.seq;
    for (const alert of this.registry.alerts.values()) {
      floor = Math.min(floor, alert.seq);
    }
    for (const endpoint of this.registry.endpoints.values()) {
      if (endpoint.format === 'legacy') {
        floor = Math.min(floor, endpoint.legacySeq);
      }
    }
    this.journal = this.journal.filter((entry) => entry.seq > floor);
  }

  /** `GET /api/webhooks/event-types/`: Tango's alert event types today plus any added at run time. */
  eventTypes(): JsonObject {
    return {
      event_types: this.eventTypeList().map((info) => ({
        event_type: info.eventType,
        description: info.description,
        schema_version: info.schemaVersion,
      })),
    };
  }

  private eventTypeList(): EventTypeInfo[] {
    const catalog = catalogEventTypes(this.catalog);
    const builtIn = Object.entries(catalog).map(([eventType, description]) => ({
      eventType,
      description,
      schemaVersion: 1,
    }));
    return [...builtIn, ...[...this.addedEventTypes.values()].filter((info) => !(info.eventType in catalog))];
  }

  /** Adds (or replaces) an event type the API lists; `alerts.<q>.match` also makes `q` a valid alert query type. */
  addEventType(eventType: string, description?: string, schemaVersion = 1): EventTypeInfo {
    const info: EventTypeInfo = {
      eventType,
      description: description ?? `Simulated event type ${eventType}`,
      schemaVersion,
    };
    this.addedEventTypes.set(eventType, info);
    return info;
  }

  /** Removes an event type added at run time; false for built-in or unknown ones. */
  removeEventType(eventType: string): boolean {
    return this.addedEventTypes.delete(eventType);
  }

  /** The alert query types an alert may have now: those of the listed `alerts.<query_type>.match` event types. */
  alertQueryTypes(): string[] {
    return this.eventTypeList()
      .map((info) => alertQueryTypeOf(info.eventType))
      .filter((queryType) => queryType !== undefined);
  }

  /** A sample delivery body for any alerts or legacy event type, built from seeded records. */
  sampleDelivery(eventType: string): JsonObject | undefined {
    if (!this.allEventTypes().includes(eventType)) {
      return undefined;
    }
    return buildSampleDelivery(this.dataset, eventType, this.settings().legacyAwardKeys);
  }

  allEventTypes(): string[] {
    return [...new Set([...this.eventTypeList().map((info) => info.eventType), ...LEGACY_EVENT_TYPES])];
  }

  /**
   * Sends one signed delivery holding one event of any type, now, to one endpoint or to every active one, in each
   * endpoint's format, with the usual retries; resolves when the deliveries are settled. An `alerts.<q>.match` type
   * (or a `queryType`) gives an alert event (`exclusion`, `dibbs_rfq`, … included: families nobody mirrors);
   * anything else gives `{event_type, created_at, ...fields}`.
   */
  async sendEvent(input: SendEventInput): Promise<DeliveryRecord[]> {
    const queryType =
      input.queryType ?? (input.eventType === undefined ? undefined : alertQueryTypeOf(input.eventType));
    const eventType = input.eventType ?? (queryType === undefined ? undefined : `alerts.${queryType}.match`);
    if (eventType === undefined) {
      throw new RegistryError(400, { event_type: ['Give event_type or query_type.'] });
    }
    const now = this.clock.now();
    const event: JsonObject =
      queryType === undefined
        ? { event_type: eventType, created_at: eventTimestamp(now), ...(input.fields ?? {}) }
        : {
            ...this.syntheticAlertEvent(queryType, input, now),
            event_type: eventType,
            ...(input.fields ?? {}),
          };
    const endpoints =
      input.endpointId === undefined
        ? [...this.registry.endpoints.values()].filter((endpoint) => endpoint.is_active)
        : [this.registry.resolveEndpoint(input.endpointId)];
    const started: DeliveryRecord[] = [];
    for (const endpoint of endpoints) {
      const deliveryId = randomUUID();
      const envelope =
        endpoint.format === 'legacy'
          ? legacyEnvelope([event], now)
          : alertsEnvelope([event], deliveryId, now);
      started.push(
        ...this.send(endpoint.id, deliveryId, Buffer.from(JSON.stringify(envelope), 'utf8'), [event], true),
      );
    }
    await this.dispatcher.settle();
    return started;
  }

  /** An alert event for `queryType` with the given ids, or one deterministic match when none are given. */
  private syntheticAlertEvent(queryType: string, input: SendEventInput, now: number): JsonObject {
    const family = familyForQueryType(queryType);
    const resource = resourceForQueryType(queryType);
    const toMatch = (id: JsonValue): AlertMatch => {
      const entry = resource === undefined ? undefined : this.resources?.get(resource, scalarText(id));
      if (resource !== undefined && entry !== undefined) {
        return { id, summary: resourceSummary(resource, entry.record) };
      }
      if (family !== undefined) {
        const index = this.dataset.resolve(family, scalarText(id));
        const record = index === undefined ? undefined : this.dataset.get(family, index);
        if (record !== undefined) {
          return { id, summary: FAMILY_SPECS[family].summary(record) };
        }
      }
      return { id, summary: { id } };
    };
    let fresh = input.newIds;
    if (fresh === undefined && input.modifiedIds === undefined) {
      const first = family === undefined ? undefined : this.dataset.randomLiveId(family, 0);
      fresh = [
        family === undefined
          ? `${queryType.toUpperCase()}-${String(hash32(`${queryType}:${now}`) % 1_000_000).padStart(6, '0')}`
          : (first ?? ''),
      ];
    }
    return alertEvent(
      {
        alert_id: input.alertId ?? randomUUID(),
        query_type: queryType,
        filters: input.filters ?? { sim_event: true },
      },
      { fresh: (fresh ?? []).map(toMatch), modified: (input.modifiedIds ?? []).map(toMatch) },
      now,
      input.countsOnly ?? false,
    );
  }
}

export interface EventTypeInfo {
  readonly eventType: string;
  readonly description: string;
  readonly schemaVersion: number;
}

/** `sendEvent`: one event of any type (see `WebhookService.sendEvent`). */
export interface SendEventInput {
  /** Default: `alerts.<queryType>.match`. */
  readonly eventType?: string;
  /** Default: taken from an `alerts.<q>.match` event type; without one the event is not an alert event. */
  readonly queryType?: string;
  /** Default: every active endpoint. */
  readonly endpointId?: string;
  readonly alertId?: string;
  readonly filters?: JsonObject;
  /** Ids reported as new / modified (default: one record of the family, or one synthetic id). */
  readonly newIds?: readonly JsonValue[];
  readonly modifiedIds?: readonly JsonValue[];
  /** `matches` with the counts only. */
  readonly countsOnly?: boolean;
  /** Members merged into the event last (they override the generated ones). */
  readonly fields?: JsonObject;
}
