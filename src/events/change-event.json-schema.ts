import { z } from 'zod';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { CHANGE_EVENT_SCHEMAS, changeTopicSuffix } from './change-event.schema';

/** Where the generated JSON Schemas are committed, relative to the repository root. */
export const CHANGE_EVENT_SCHEMA_DIR = 'docs/events';

/** `contracts.changes.v1.schema.json`, … */
export function changeEventSchemaFileName(family: ResourceFamily): string {
  return `${changeTopicSuffix(family)}.schema.json`;
}

/** The JSON Schema (draft 2020-12) of one family topic's message value, generated from the zod schema. */
export function changeEventJsonSchema(family: ResourceFamily): Record<string, unknown> {
  const generated = z.toJSONSchema(CHANGE_EVENT_SCHEMAS[family], { target: 'draft-2020-12' });
  // `$id` first after `$schema`, so the committed files read well; the rest is zod's output unchanged.
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: `urn:tango-sync:events:${changeTopicSuffix(family)}`,
    ...rest,
  };
}

/** Every schema file by its path relative to the repository root. */
export function changeEventJsonSchemaFiles(): Map<string, Record<string, unknown>> {
  return new Map(
    RESOURCE_FAMILIES.map((family) => [
      `${CHANGE_EVENT_SCHEMA_DIR}/${changeEventSchemaFileName(family)}`,
      changeEventJsonSchema(family),
    ]),
  );
}
