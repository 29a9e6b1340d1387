import { z } from 'zod';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';

/**
 * The state message: the value of `<prefix>.<resource>.state.v1`, a compacted topic holding the current state of
 * every live record (keyed by record id; a deleted record's key ends with a tombstone, a null value, which has no
 * schema). Kept apart from the change-event envelope: it is not a CloudEvent, just the record and its version.
 * `docs/events/<resource>.state.v1.schema.json` is generated from these schemas
 * (scripts/generate-event-schemas.ts) and a unit test keeps it current.
 */

export const STATE_MESSAGE_CONTENT_TYPE = 'application/json';

/** Topic suffix of a resource's state; the topic is `<KAFKA_TOPIC_PREFIX>.<resource>.state.v1`. */
export function stateTopicSuffix<F extends ResourceFamily>(family: F): `${F}.state.v1` {
  return `${family}.state.v1`;
}

/** Topic config of every state topic at creation (existing topics keep theirs). */
export const STATE_TOPIC_CONFIG: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact' };

export function stateMessageSchema<F extends ResourceFamily>(family: F) {
  return z
    .object({
      resource: z.literal(family).describe('Tango resource family'),
      id: z.string().min(1).describe('The record id (also the Kafka message key)'),
      version: z
        .int()
        .positive()
        .describe(
          "The record's mirror version this state is at: the `version` of the change event that produced it",
        ),
      hash: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .describe('Lowercase hex SHA-256 of the canonical JSON of `data` (the change event’s `hash`)'),
      time: z.iso
        .datetime({ offset: true })
        .describe(
          'The `time` of the change event that produced this state (when it was committed to the mirror)',
        ),
      data: z.record(z.string(), z.unknown()).describe('The full record as mirrored from Tango'),
    })
    .strict()
    .meta({
      title: `tango-sync ${family} state (v1)`,
      description: `Value of each non-tombstone message on the compacted ${stateTopicSuffix(family)} topic (prefixed by KAFKA_TOPIC_PREFIX, "tango" by default); a deleted record's key gets a null value. See docs/events/README.md.`,
    });
}

export type StateMessageSchema<F extends ResourceFamily = ResourceFamily> = ReturnType<
  typeof stateMessageSchema<F>
>;

/** The current state of one record of family F (all families when F is left out). */
export type StateMessage<F extends ResourceFamily = ResourceFamily> = z.infer<StateMessageSchema<F>>;

/** One schema per family, built once. */
export const STATE_MESSAGE_SCHEMAS: { readonly [F in ResourceFamily]: StateMessageSchema<F> } =
  Object.fromEntries(RESOURCE_FAMILIES.map((family) => [family, stateMessageSchema(family)])) as {
    readonly [F in ResourceFamily]: StateMessageSchema<F>;
  };
