/**
 * A small JSON Schema (draft 2020-12) validator for the tests, independent of zod: it reads the committed schema
 * files and checks events against them. It implements only the keywords those files use and throws on any other
 * keyword, so a schema it cannot fully check is reported instead of silently passed.
 */
export type JsonSchema = boolean | Readonly<Record<string, unknown>>;

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'format']);
const ASSERTIONS = new Set([
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'oneOf',
  'anyOf',
  'pattern',
  'minLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
]);

export class UnsupportedKeywordError extends Error {
  constructor(keyword: string, path: string) {
    super(`unsupported JSON Schema keyword "${keyword}" at ${path}`);
    this.name = 'UnsupportedKeywordError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) {
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]))
    );
  }
  return false;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      throw new Error(`unknown JSON Schema type ${JSON.stringify(type)}`);
  }
}

/** Every violation as `<instance path>: <problem>`; empty when the value is valid. */
export function validate(schema: JsonSchema, value: unknown, path = '$', schemaPath = '#'): string[] {
  if (schema === true) {
    return [];
  }
  if (schema === false) {
    return [`${path}: no value is allowed here`];
  }
  const errors: string[] = [];
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !ASSERTIONS.has(keyword)) {
      throw new UnsupportedKeywordError(keyword, schemaPath);
    }
  }
  const s = schema;
  if ('type' in s) {
    const types = Array.isArray(s.type) ? (s.type as unknown[]) : [s.type];
    if (!types.some((type) => hasType(value, type))) {
      errors.push(`${path}: expected type ${types.join('|')}, got ${value === null ? 'null' : typeof value}`);
      return errors;
    }
  }
  if ('const' in s && !deepEqual(value, s.const)) {
    errors.push(`${path}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(value)}`);
  }
  if ('enum' in s && !(s.enum as unknown[]).some((option) => deepEqual(value, option))) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  }
  if (typeof value === 'string') {
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) {
      errors.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
    }
    if (typeof s.minLength === 'number' && Array.from(value).length < s.minLength) {
      // code points, as JSON Schema counts them
      errors.push(`${path}: shorter than ${s.minLength}`);
    }
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) {
      errors.push(`${path}: below ${s.minimum}`);
    }
    if (typeof s.maximum === 'number' && value > s.maximum) {
      errors.push(`${path}: above ${s.maximum}`);
    }
    if (typeof s.exclusiveMinimum === 'number' && value <= s.exclusiveMinimum) {
      errors.push(`${path}: not above ${s.exclusiveMinimum}`);
    }
  }
  if (Array.isArray(value) && 'items' in s) {
    value.forEach((item, index) => {
      errors.push(...validate(s.items as JsonSchema, item, `${path}[${index}]`, `${schemaPath}/items`));
    });
  }
  if (isObject(value)) {
    const properties = (s.properties ?? {}) as Record<string, JsonSchema>;
    for (const name of (s.required ?? []) as string[]) {
      if (!(name in value)) {
        errors.push(`${path}: missing required property "${name}"`);
      }
    }
    for (const [name, member] of Object.entries(value)) {
      const memberPath = `${path}.${name}`;
      if ('propertyNames' in s) {
        errors.push(
          ...validate(
            s.propertyNames as JsonSchema,
            name,
            `${memberPath} (name)`,
            `${schemaPath}/propertyNames`,
          ),
        );
      }
      if (name in properties) {
        errors.push(...validate(properties[name]!, member, memberPath, `${schemaPath}/properties/${name}`));
      } else if ('additionalProperties' in s) {
        const additional = s.additionalProperties as JsonSchema;
        errors.push(
          ...(additional === false
            ? [`${memberPath}: property not allowed`]
            : validate(additional, member, memberPath, `${schemaPath}/additionalProperties`)),
        );
      }
    }
  }
  if ('anyOf' in s) {
    const branches = s.anyOf as JsonSchema[];
    const results = branches.map((branch, index) =>
      validate(branch, value, path, `${schemaPath}/anyOf/${index}`),
    );
    if (!results.some((result) => result.length === 0)) {
      errors.push(
        `${path}: matches no anyOf branch (${results.map((result) => result.join(', ')).join(' | ')})`,
      );
    }
  }
  if ('oneOf' in s) {
    const branches = s.oneOf as JsonSchema[];
    const results = branches.map((branch, index) =>
      validate(branch, value, path, `${schemaPath}/oneOf/${index}`),
    );
    const matching = results.filter((result) => result.length === 0).length;
    if (matching !== 1) {
      const closest = [...results].sort((a, b) => a.length - b.length)[0] ?? [];
      errors.push(
        matching === 0
          ? `${path}: matches no oneOf branch; closest: ${closest.join(', ')}`
          : `${path}: matches ${matching} oneOf branches, exactly one required`,
      );
    }
  }
  return errors;
}
