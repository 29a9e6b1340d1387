import { type JsonValue } from '../common/json';
import { diffJson } from '../common/json-patch';
import { contentHash } from '../mirror/content-hash';
import { type ChangeEventChanges, type FieldChange } from './change-event.schema';

/**
 * The old values of a change event (issue 25): `changes` of an `updated` or `enriched` event from the outbox row's
 * old values of the changed fields and the record after, and the size budget that keeps an event one Kafka message.
 */

/**
 * Bytes of a message value the relay lets an event take before it leaves old values out. Kafka refuses a record
 * batch above `message.max.bytes` (1,048,588 by default); the rest is left for the key, headers and batch framing.
 */
export const CHANGE_EVENT_MAX_BYTES = 1_000_000;

function asObject(value: unknown): Record<string, JsonValue> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, JsonValue>)
    : null;
}

function isContainer(value: JsonValue | undefined): boolean {
  return value !== null && typeof value === 'object';
}

/** One field's before and after (null when absent), with the patch between them when either is a container. */
export function fieldChange(before: JsonValue | undefined, after: JsonValue | undefined): FieldChange {
  const old = before ?? null;
  const now = after ?? null;
  return isContainer(old) || isContainer(now)
    ? { truncated: false, before: old, after: now, patch: diffJson(old, now) }
    : { truncated: false, before: old, after: now };
}

/** A changed field's stored values: undefined when the record lacked it before or after. */
export interface FieldValues {
  readonly before: JsonValue | undefined;
  readonly after: JsonValue | undefined;
}

/**
 * The values of each changed field before (from the row's old values, which hold only the changed fields the
 * record had) and after (from the record). Null when the row has no old values (written before they were kept).
 */
export function changedFieldValues(
  previousValues: unknown,
  record: unknown,
  changedFields: readonly string[],
): Map<string, FieldValues> | null {
  const old = asObject(previousValues);
  if (old === null) {
    return null;
  }
  const now = asObject(record) ?? {};
  return new Map(
    changedFields.map((field) => [
      field,
      {
        before: Object.hasOwn(old, field) ? old[field] : undefined,
        after: Object.hasOwn(now, field) ? now[field] : undefined,
      },
    ]),
  );
}

/** `changes` of an `updated` or `enriched` event, every field with its values. */
export function eventChanges(values: ReadonlyMap<string, FieldValues>): ChangeEventChanges {
  return Object.fromEntries(
    [...values].map(([field, { before, after }]) => [field, fieldChange(before, after)]),
  );
}

/** A field's entry with its values left out: only their hashes (null for an absent value). */
export function truncatedFieldChange({ before, after }: FieldValues): FieldChange {
  return {
    truncated: true,
    before_hash: before === undefined ? null : contentHash(before),
    after_hash: after === undefined ? null : contentHash(after),
  };
}

/** Bytes of a value as the relay sends it (UTF-8 JSON). */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * `changes` cut to fit: while the event (`eventBytes` with these changes) is above `maxBytes`, the largest
 * remaining field entry is replaced by its hashes (`truncated: true`). Never drops the event: when the rest of
 * the event alone is above the budget, every entry ends up truncated and the event still leaves.
 */
export function fitChanges(
  eventBytes: number,
  changes: ChangeEventChanges,
  values: ReadonlyMap<string, FieldValues>,
  maxBytes: number,
): ChangeEventChanges {
  const fitted = new Map(Object.entries(changes));
  let bytes = eventBytes;
  const largestFirst = [...fitted]
    .filter(([, entry]) => !entry.truncated)
    .map(([field, entry]) => ({ field, size: jsonBytes(entry) }))
    .sort((a, b) => b.size - a.size);
  for (const { field, size } of largestFirst) {
    if (bytes <= maxBytes) {
      break;
    }
    const truncated = truncatedFieldChange(values.get(field) ?? { before: undefined, after: undefined });
    fitted.set(field, truncated);
    bytes -= size - jsonBytes(truncated);
  }
  return Object.fromEntries(fitted);
}
