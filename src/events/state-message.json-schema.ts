import { z } from 'zod';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { CHANGE_EVENT_SCHEMA_DIR, changeEventJsonSchemaFiles } from './change-event.json-schema';
import { STATE_MESSAGE_SCHEMAS, stateTopicSuffix } from './state-message.schema';

/** `contracts.state.v1.schema.json`, … (next to the change-event schemas, in CHANGE_EVENT_SCHEMA_DIR). */
export function stateMessageSchemaFileName(family: ResourceFamily): string {
  return `${stateTopicSuffix(family)}.schema.json`;
}

/** The JSON Schema (draft 2020-12) of a state topic's (non-tombstone) message value, generated from the zod schema. */
export function stateMessageJsonSchema(family: ResourceFamily): Record<string, unknown> {
  const generated = z.toJSONSchema(STATE_MESSAGE_SCHEMAS[family], { target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: `urn:tango-sync:events:${stateTopicSuffix(family)}`,
    ...rest,
  };
}

/** Every state schema file by its path relative to the repository root. */
export function stateMessageJsonSchemaFiles(): Map<string, Record<string, unknown>> {
  return new Map(
    RESOURCE_FAMILIES.map((family) => [
      `${CHANGE_EVENT_SCHEMA_DIR}/${stateMessageSchemaFileName(family)}`,
      stateMessageJsonSchema(family),
    ]),
  );
}

/** Every committed schema of docs/events: change events and states (what scripts/generate-event-schemas.ts writes). */
export function eventJsonSchemaFiles(): Map<string, Record<string, unknown>> {
  return new Map([...changeEventJsonSchemaFiles(), ...stateMessageJsonSchemaFiles()]);
}
