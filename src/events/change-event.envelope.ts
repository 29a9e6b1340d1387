import { isResourceFamily, type ResourceFamily } from '../common/tango/resource-family';
import { type OutgoingMessage } from '../kafka/kafka.types';
import { type ChangeEventRow } from '../outbox/change-event-outbox';
import {
  CHANGE_EVENT_MAX_BYTES,
  changedFieldValues,
  eventChanges,
  fitChanges,
  jsonBytes,
} from './change-event.changes';
import {
  CHANGE_EVENT_CONTENT_TYPE,
  CHANGE_EVENT_SCHEMAS,
  CHANGE_EVENT_SPEC_VERSION,
  CHANGE_TYPES,
  type ChangeEvent,
  type ChangeEventProvenance,
  type ChangeType,
  changeEventSource,
  changeEventType,
} from './change-event.schema';

/** A row that cannot become a valid event (a bug upstream): its lane stops at it until it is repaired. */
export class ChangeEventRowError extends Error {
  readonly code = 'EVENTS.INVALID_ROW';

  constructor(
    readonly rowId: string,
    readonly eventId: string,
    readonly problems: readonly string[],
  ) {
    super(`change_events row ${rowId} (event ${eventId}) is not a valid event: ${problems.join('; ')}`);
    this.name = 'ChangeEventRowError';
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** The stored camelCase provenance as the envelope's snake_case object; missing lists become empty. */
export function envelopeProvenance(stored: unknown): ChangeEventProvenance {
  const source: Record<string, unknown> =
    stored !== null && typeof stored === 'object' && !Array.isArray(stored)
      ? (stored as Record<string, unknown>)
      : {};
  return {
    delivery_ids: strings(source.deliveryIds),
    event_types: strings(source.eventTypes),
    alert_ids: strings(source.alertIds),
    reasons: strings(source.reasons),
    replay_id: typeof source.replayId === 'string' ? source.replayId : null,
  };
}

function isChangeType(value: string): value is ChangeType {
  return (CHANGE_TYPES as readonly string[]).includes(value);
}

function isChangeWithValues(change: ChangeType): boolean {
  return change === 'updated' || change === 'enriched';
}

/**
 * The old-value members of a row's event, fitted to one message: `changes` (updated, enriched: each changed field
 * before and after, the largest entries reduced to hashes while the event is above `maxBytes`) or null, and for a
 * delete `before` (the last record; null with `before_truncated` when the event would be above `maxBytes`).
 */
function oldValueMembers(
  row: ChangeEventRow,
  change: ChangeType,
  otherBytes: number,
  maxBytes: number,
): Record<string, unknown> {
  if (change === 'deleted') {
    const before = row.previousValues ?? null;
    const fits = otherBytes + jsonBytes({ changes: null, before, before_truncated: false }) <= maxBytes;
    return { changes: null, before: fits ? before : null, before_truncated: !fits };
  }
  const values = isChangeWithValues(change)
    ? changedFieldValues(row.previousValues, row.record, row.changedFields)
    : null;
  if (values === null) {
    return { changes: null };
  }
  const changes = eventChanges(values);
  return { changes: fitChanges(otherBytes + jsonBytes({ changes }), changes, values, maxBytes) };
}

/**
 * The envelope of one outbox row, checked against its family's schema: an event that does not validate is never
 * returned (a ChangeEventRowError is thrown instead), so everything the relay publishes matches the committed
 * JSON Schema. Old values are left out (and marked) rather than let an event grow above `maxBytes`.
 */
export function buildChangeEvent(
  row: ChangeEventRow,
  { maxBytes = CHANGE_EVENT_MAX_BYTES }: { readonly maxBytes?: number } = {},
): ChangeEvent {
  if (!isResourceFamily(row.resource)) {
    throw new ChangeEventRowError(row.id, row.eventId, [`unknown resource "${row.resource}"`]);
  }
  if (!isChangeType(row.changeType)) {
    throw new ChangeEventRowError(row.id, row.eventId, [`unknown change type "${row.changeType}"`]);
  }
  const family: ResourceFamily = row.resource;
  const change: ChangeType = row.changeType;
  const base = {
    specversion: CHANGE_EVENT_SPEC_VERSION,
    id: row.eventId,
    source: changeEventSource(family),
    type: changeEventType(family, change),
    subject: row.recordId,
    time: row.occurredAt.toISOString(),
    datacontenttype: CHANGE_EVENT_CONTENT_TYPE,
    resource: family,
    change,
    snapshot: change === 'snapshot',
    version: row.version,
    previous_hash: row.previousHash,
    hash: row.hash,
    changed_fields: [...row.changedFields],
    provenance: envelopeProvenance(row.provenance),
    data: row.record ?? null,
  };
  const candidate = { ...base, ...oldValueMembers(row, change, jsonBytes(base), maxBytes) };
  const parsed = CHANGE_EVENT_SCHEMAS[family].safeParse(candidate);
  if (!parsed.success) {
    throw new ChangeEventRowError(
      row.id,
      row.eventId,
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/** CloudEvents Kafka-binding `ce_*` headers plus tango-sync's routing headers: route without parsing the value. */
export function changeEventHeaders(event: ChangeEvent): Record<string, string> {
  return {
    ce_specversion: event.specversion,
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_subject: event.subject,
    ce_time: event.time,
    'content-type': CHANGE_EVENT_CONTENT_TYPE,
    'tango-sync-resource': event.resource,
    'tango-sync-change': event.change,
    'tango-sync-version': String(event.version),
  };
}

/** The Kafka message: keyed by the record id, so each record's events share a partition and stay in order. */
export function changeEventMessage(event: ChangeEvent): OutgoingMessage {
  return { key: event.subject, value: JSON.stringify(event), headers: changeEventHeaders(event) };
}
