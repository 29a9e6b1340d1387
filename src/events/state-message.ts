import { type OutgoingMessage } from '../kafka/kafka.types';
import { type ChangeEvent } from './change-event.schema';
import { STATE_MESSAGE_CONTENT_TYPE, STATE_MESSAGE_SCHEMAS, type StateMessage } from './state-message.schema';

/**
 * Whether a change event moves its record's current state: every live change and every snapshot does; a history
 * replay (`replay-events --from/--to`) re-publishes a past change, which must never overwrite a newer state.
 */
export function writesState(event: ChangeEvent): boolean {
  return event.snapshot || event.provenance.replay_id === null;
}

/**
 * The state a (non-deleted) change event leaves its record in, checked against the family's state schema (a valid
 * change event other than `deleted` always has a hash and data, so this throws only on a bug).
 */
export function stateOf(event: ChangeEvent): StateMessage {
  return STATE_MESSAGE_SCHEMAS[event.resource].parse({
    resource: event.resource,
    id: event.subject,
    version: event.version,
    hash: event.hash,
    time: event.time,
    data: event.data,
  });
}

/** Routing headers of a state message or tombstone: read them without parsing the value (a tombstone has none). */
export function stateHeaders(event: ChangeEvent): Record<string, string> {
  return {
    'tango-sync-resource': event.resource,
    'tango-sync-change': event.change,
    'tango-sync-version': String(event.version),
  };
}

/**
 * The state-topic message of a change event, keyed by the record id like the change event (same partitioner, same
 * partition count, so the same partition): the new state, or for `deleted` a tombstone (null value), which
 * compaction turns into the key's absence.
 */
export function stateMessage(event: ChangeEvent): OutgoingMessage {
  if (event.change === 'deleted') {
    return { key: event.subject, value: null, headers: stateHeaders(event) };
  }
  return {
    key: event.subject,
    value: JSON.stringify(stateOf(event)),
    headers: { 'content-type': STATE_MESSAGE_CONTENT_TYPE, ...stateHeaders(event) },
  };
}

/**
 * The events of a batch that set their record's state, the last one per record only (the earlier ones of the same
 * record in the batch are overwritten within it anyway), in the batch order of those last events.
 */
export function latestStateEvents(events: readonly ChangeEvent[]): ChangeEvent[] {
  const latest = new Map<string, ChangeEvent>();
  for (const event of events) {
    if (!writesState(event)) {
      continue;
    }
    const key = `${event.resource}\u0000${event.subject}`;
    latest.delete(key);
    latest.set(key, event);
  }
  return [...latest.values()];
}
