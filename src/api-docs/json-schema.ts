import { z } from 'zod';

/**
 * Small JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) builders for the hand-written response schemas of
 * TypeScript-only types. `objectSchema<T>` takes one entry per property of T, checked by the compiler: a property
 * added to or removed from T breaks the build until its schema here follows.
 */

export type JsonSchema = Readonly<Record<string, unknown>>;

/** Keys of T whose property may be absent. */
type OptionalKeys<T> = { [K in keyof T]-?: undefined extends T[K] ? K : never }[keyof T];

export interface ObjectSchemaOptions<T> {
  readonly description?: string;
  /** Properties that may be absent (all others are required). */
  readonly optional?: readonly OptionalKeys<T>[];
  /** Whether members other than the listed ones may appear (default false: the TypeScript type is exact). */
  readonly open?: boolean;
}

/** An object schema with exactly the properties of T (the compiler checks that none is missing or extra). */
export function objectSchema<T extends object>(
  properties: { readonly [K in keyof T]-?: JsonSchema },
  options: ObjectSchemaOptions<T> = {},
): JsonSchema {
  const optional = new Set<PropertyKey>(options.optional ?? []);
  return {
    type: 'object',
    ...(options.description === undefined ? {} : { description: options.description }),
    properties,
    required: Object.keys(properties).filter((key) => !optional.has(key)),
    additionalProperties: options.open === true,
  };
}

/** A string enum of every member of the union T (the compiler checks that the list is complete). */
export function enumSchema<T extends string>(
  members: Readonly<Record<T, true>>,
  description?: string,
): JsonSchema {
  return {
    type: 'string',
    enum: Object.keys(members),
    ...(description === undefined ? {} : { description }),
  };
}

/** A string enum of the given values (for unions that exist as constants). */
export function enumOf(values: readonly string[], description?: string): JsonSchema {
  return { type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) };
}

export function stringSchema(description?: string): JsonSchema {
  return { type: 'string', ...(description === undefined ? {} : { description }) };
}

export function dateTimeSchema(description?: string): JsonSchema {
  return { type: 'string', format: 'date-time', ...(description === undefined ? {} : { description }) };
}

export function dateSchema(description?: string): JsonSchema {
  return { type: 'string', format: 'date', ...(description === undefined ? {} : { description }) };
}

export function integerSchema(description?: string): JsonSchema {
  return { type: 'integer', ...(description === undefined ? {} : { description }) };
}

export function numberSchema(description?: string): JsonSchema {
  return { type: 'number', ...(description === undefined ? {} : { description }) };
}

export function booleanSchema(description?: string): JsonSchema {
  return { type: 'boolean', ...(description === undefined ? {} : { description }) };
}

export function arraySchema(items: JsonSchema, description?: string): JsonSchema {
  return { type: 'array', items, ...(description === undefined ? {} : { description }) };
}

/** An object with any keys, each value matching `values`. */
export function recordSchema(values: JsonSchema, description?: string): JsonSchema {
  return {
    type: 'object',
    additionalProperties: values,
    ...(description === undefined ? {} : { description }),
  };
}

/** `schema` or null. */
export function nullable(schema: JsonSchema): JsonSchema {
  return { anyOf: [schema, { type: 'null' }] };
}

export function ref(pointer: string, description?: string): JsonSchema {
  return { $ref: pointer, ...(description === undefined ? {} : { description }) };
}

/** Anything JSON (an unconstrained schema), with a description. */
export function anySchema(description: string): JsonSchema {
  return { description };
}

export interface ZodJsonSchemaOptions {
  /** `input` for what a client sends (defaults make a member optional), `output` for what the code produces. */
  readonly io: 'input' | 'output';
  readonly target?: 'draft-2020-12' | 'draft-7';
}

/** The JSON Schema of a zod schema, without the `$schema` member (the embedding document sets the dialect). */
export function zodJsonSchema(schema: z.ZodType, options: ZodJsonSchemaOptions): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: options.io,
    target: options.target ?? 'draft-2020-12',
  });
  return rest;
}
