import { randomUUID } from 'node:crypto';
import { type SimClock } from '../clock';
import { type Counters } from '../counters';
import { type JsonObject, scalarText } from '../dataset/json';
import { type Dataset, type RecordChange } from '../dataset/store';
import { type WebhookSettings } from '../options';
import { hash32 } from '../prng';
import { type DeliveryRecord, Dispatcher } from './dispatcher';
import {
  ALERT_QUERY_TYPES,
  EVENT_TYPE_DESCRIPTIONS,
  LEGACY_EVENT_TYPES,
  alertsEnvelope,
  buildAlertEvent,
  buildLegacyEvent,
  legacyEnvelope,
} from './envelopes';
import { type WebhookAlert, type WebhookEndpoint, WebhookRegistry } from './registry';
import { buildSampleDelivery } from './samples';

interface JournalEntry {
  readonly seq: number;
  readonly change: RecordChange;
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
  readonly registry = new WebhookRegistry();
  readonly dispatcher: Dispatcher;
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
  ) {
    this.dispatcher = new Dispatcher(settings, clock, counters, seed);
    dataset.onChange((change) => {
      if (this.registry.endpoints.size > 0) {
        this.seq += 1;
        this.journal.push({ seq: this.seq, change });
      }
    });
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
    for (const alert of this.registry.alerts.values()) {
      // Realtime alerts run on every scheduler tick (Tango's `*/5 * * * *`); the others when due.
      const due = force || alert.frequency === 'realtime' || now >= alert.nextDueAt;
      if (alert.status !== 'active' || !due) {
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
        .map((entry) => buildLegacyEvent(entry.change, this.settings().legacyAwardKeys))
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

  eventTypes(): JsonObject {
    return {
      event_types: Object.entries(EVENT_TYPE_DESCRIPTIONS).map(([eventType, description]) => ({
        event_type: eventType,
        description,
        schema_version: 1,
      })),
    };
  }

  /** A sample delivery body for any alerts or legacy event type, built from seeded records. */
  sampleDelivery(eventType: string): JsonObject | undefined {
    return buildSampleDelivery(this.dataset, eventType, this.settings().legacyAwardKeys);
  }

  allEventTypes(): string[] {
    return [...ALERT_QUERY_TYPES.map((type) => `alerts.${type}.match`), ...LEGACY_EVENT_TYPES];
  }
}
