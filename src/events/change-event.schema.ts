import { z } from 'zod';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';

/**
 * The change-event envelope: CloudEvents 1.0 attribute names (`specversion`, `id`, `source`, `type`, `subject`,
 * `time`, `datacontenttype`, `data`) plus tango-sync's own top-level members. One schema per family topic; they
 * differ only in the `resource`, `source` and `type` literals. `docs/events/<family>.changes.v1.schema.json` is
 * generated from these schemas (scripts/generate-event-schemas.ts) and a unit test keeps it current.
 */

export const CHANGE_EVENT_SPEC_VERSION = '1.0';
export const CHANGE_EVENT_CONTENT_TYPE = 'application/json';
/** Prefix of the CloudEvents `type`: `com.makegov.tango.<family>.<change>`. */
export const CHANGE_EVENT_TYPE_PREFIX = 'com.makegov.tango';

export const CHANGE_TYPES = ['created', 'updated', 'enriched', 'deleted', 'snapshot'] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** Topic suffix of a family's change events; the topic is `<KAFKA_TOPIC_PREFIX>.<family>.changes.v1`. */
export function changeTopicSuffix(family: ResourceFamily): `${ResourceFamily}.changes.v1` {
  return `${family}.changes.v1`;
}

export function changeEventSource<F extends ResourceFamily>(family: F): `tango-sync/${F}` {
  return `tango-sync/${family}`;
}

export function changeEventType<F extends ResourceFamily, C extends ChangeType>(
  family: F,
  change: C,
): `com.makegov.tango.${F}.${C}` {
  return `${CHANGE_EVENT_TYPE_PREFIX}.${family}.${change}`;
}

const hashSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .describe('Lowercase hex SHA-256 of the canonical JSON');

const provenanceSchema = z
  .object({
    delivery_ids: z.array(z.string()).describe('Tango webhook deliveries that led to the fetch'),
    event_types: z.array(z.string()).describe('Their event types (e.g. alerts.contract.match)'),
    alert_ids: z.array(z.string()).describe('Tango alerts that matched'),
    reasons: z.array(z.string()).describe('Why the record was fetched (new, changed, sweep, snapshot, …)'),
    replay_id: z
      .string()
      .nullable()
      .describe('The replay run that emitted a snapshot event; null for every other event'),
  })
  .strict()
  .describe('What caused the event');

const recordSchema = z.record(z.string(), z.unknown()).describe('The full record as mirrored from Tango');

/** Any JSON value (a required member, unlike z.unknown()). */
const jsonValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()),
  z.record(z.string(), z.unknown()),
]);

const jsonPointerSchema = z
  .string()
  .describe('RFC 6901 JSON Pointer, relative to the field value ("" is the value)');

const jsonPatchOperationSchema = z
  .discriminatedUnion('op', [
    z.object({ op: z.literal('add'), path: jsonPointerSchema, value: jsonValueSchema }).strict(),
    z.object({ op: z.literal('remove'), path: jsonPointerSchema }).strict(),
    z.object({ op: z.literal('replace'), path: jsonPointerSchema, value: jsonValueSchema }).strict(),
  ])
  .describe('One RFC 6902 operation');

const fieldValuesSchema = z
  .object({
    truncated: z.literal(false),
    before: jsonValueSchema.describe('The value before the change; null when the field was absent'),
    after: jsonValueSchema.describe('The value after the change; null when the field was removed'),
    patch: z
      .array(jsonPatchOperationSchema)
      .optional()
      .describe('RFC 6902 patch from before to after; present only when either value is an object or array'),
  })
  .strict();

const fieldTruncatedSchema = z
  .object({
    truncated: z.literal(true),
    before_hash: hashSchema.nullable().describe('Hash of the value before; null when the field was absent'),
    after_hash: hashSchema.nullable().describe('Hash of the value after; null when the field was removed'),
  })
  .strict()
  .describe('The values were left out to keep the message under the size limit (the new value is in data)');

const fieldChangeSchema = z
  .discriminatedUnion('truncated', [fieldValuesSchema, fieldTruncatedSchema])
  .describe('One changed field: its old and new value, or their hashes when too large');

const changesSchema = z
  .record(z.string(), fieldChangeSchema)
  .describe('Each changed field (the keys of changed_fields) with its old and new value');

function envelopeSchema<F extends ResourceFamily, C extends ChangeType>(family: F, change: C) {
  return z
    .object({
      specversion: z.literal(CHANGE_EVENT_SPEC_VERSION).describe('CloudEvents specification version'),
      id: z
        .guid()
        .describe(
          'Stable event id: the same on every re-publish of this event, so consumers can de-duplicate by it',
        ),
      source: z.literal(changeEventSource(family)).describe('Producer and family (CloudEvents source)'),
      type: z.literal(changeEventType(family, change)).describe('CloudEvents type'),
      subject: z.string().min(1).describe('The record id (also the Kafka message key)'),
      time: z.iso.datetime({ offset: true }).describe('When the change was committed to the mirror'),
      datacontenttype: z.literal(CHANGE_EVENT_CONTENT_TYPE),
      resource: z.literal(family).describe('Tango resource family'),
      change: z.literal(change).describe('The change, without the type prefix'),
      snapshot: z.literal(change === 'snapshot').describe('True only for events emitted by a replay'),
      version: z
        .int()
        .positive()
        .describe("The record's mirror version after this change (per-record order)"),
      previous_hash: hashSchema
        .nullable()
        .describe('Content hash before the change; null when there was none'),
      hash: change === 'deleted' ? z.null() : hashSchema,
      changed_fields: z
        .array(z.string())
        .describe(
          'Top-level fields whose value changed (all fields for created; empty for deleted and snapshot)',
        ),
      provenance: provenanceSchema,
      data: change === 'deleted' ? z.null().describe('Always null for deletes') : recordSchema,
      ...afterChangeMembers(change),
    })
    .strict();
}

/**
 * The old values, added in issue 25: `changes` on every event (an object for updated and enriched, null for the
 * others), and on deletes `before`, the last record mirrored, with `before_truncated`.
 */
function afterChangeMembers(change: ChangeType) {
  const unknownOld = 'events written before tango-sync kept old values';
  return {
    changes:
      change === 'updated' || change === 'enriched'
        ? changesSchema
            .nullable()
            .describe(`Old and new value of each changed field; null only for ${unknownOld}`)
        : z.null().describe('Always null for created, deleted and snapshot events'),
    ...(change === 'deleted'
      ? {
          before: recordSchema
            .nullable()
            .describe(
              `The last record mirrored before the delete; null when left out (before_truncated) and for ${unknownOld}`,
            ),
          before_truncated: z
            .boolean()
            .describe('True when before was left out to keep the message under the size limit'),
        }
      : {}),
  };
}

/** The envelope of one family's topic: one branch per change type, discriminated by `change`. */
export function changeEventSchema<F extends ResourceFamily>(family: F) {
  return z
    .discriminatedUnion('change', [
      envelopeSchema(family, 'created'),
      envelopeSchema(family, 'updated'),
      envelopeSchema(family, 'enriched'),
      envelopeSchema(family, 'deleted'),
      envelopeSchema(family, 'snapshot'),
    ])
    .meta({
      title: `tango-sync ${family} change event (v1)`,
      description: `Value of each message on the ${changeTopicSuffix(family)} topic (prefixed by KAFKA_TOPIC_PREFIX, "tango" by default). See docs/events/README.md.`,
    });
}

export type ChangeEventSchema<F extends ResourceFamily = ResourceFamily> = ReturnType<
  typeof changeEventSchema<F>
>;

/** A change event of family F (all families when F is left out). */
export type ChangeEvent<F extends ResourceFamily = ResourceFamily> = z.infer<ChangeEventSchema<F>>;

export type ChangeEventProvenance = z.infer<typeof provenanceSchema>;

/** One changed field of an `updated` or `enriched` event (`changes.<field>`). */
export type FieldChange = z.infer<typeof fieldChangeSchema>;

/** The `changes` member of an `updated` or `enriched` event. */
export type ChangeEventChanges = z.infer<typeof changesSchema>;

/** The nine schemas, built once. */
export const CHANGE_EVENT_SCHEMAS: { readonly [F in ResourceFamily]: ChangeEventSchema<F> } =
  Object.fromEntries(RESOURCE_FAMILIES.map((family) => [family, changeEventSchema(family)])) as {
    readonly [F in ResourceFamily]: ChangeEventSchema<F>;
  };
