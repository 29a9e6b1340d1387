/**
 * Is a change-event JSON Schema still readable by a consumer written against an earlier (released) one? A focused
 * comparator over the subset of JSON Schema that z.toJSONSchema() writes for the envelope: object / properties /
 * required / additionalProperties / propertyNames, `type` (also lists and `null`), `const` / `enum`, `anyOf` /
 * `oneOf` (by type, or discriminated by `change`), arrays / `items`, string `format` / `pattern` and numeric and
 * length bounds. A keyword outside that subset throws UnsupportedSchemaError: the gate never passes a schema it
 * did not understand.
 *
 * Breaking (reported): a member removed; a member retyped or widened to a type the released schema did not allow
 * (also `null`: "became nullable"); a `const` / `enum` value, or a `change` branch of the union, that disappears;
 * a required member that became optional; a `format` or `pattern` changed or dropped; a bound loosened.
 * Compatible: new members (required or optional; consumers ignore members they do not know, although the
 * released objects say `additionalProperties: false`), enums widened with new values, a `const` / `enum` relaxed
 * to any value of its type, new `change` branches, a type narrowed (`string | null` to `string`).
 */

export type SchemaNode = Readonly<Record<string, unknown>>;

export interface Incompatibility {
  /** JSON pointer (RFC 6901) into the released schema, e.g. `/oneOf/0/properties/changed_fields`. */
  readonly pointer: string;
  /** What broke, e.g. `member "changed_fields" was removed`. */
  readonly problem: string;
}

export class UnsupportedSchemaError extends Error {
  constructor(pointer: string, what: string) {
    super(`cannot compare ${pointer || '/'}: ${what}`);
    this.name = 'UnsupportedSchemaError';
  }
}

/** The member whose `const` tells the branches of a change-event union apart. */
export const UNION_DISCRIMINATOR = 'change';

type JsonType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'integer' | 'string';

const JSON_TYPES: readonly JsonType[] = ['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'];

const KNOWN_KEYWORDS = new Set([
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  'type',
  'const',
  'enum',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
]);

/** Bounds a consumer may rely on: the current schema may keep or tighten them, never loosen or drop them. */
const LOWER_BOUNDS = ['minLength', 'minItems', 'minimum', 'exclusiveMinimum'] as const;
const UPPER_BOUNDS = ['maxLength', 'maxItems', 'maximum', 'exclusiveMaximum'] as const;

/** Every way `current` breaks a consumer of `released`; empty when it is compatible. */
export function compareSchemas(released: SchemaNode, current: SchemaNode): Incompatibility[] {
  const found: Incompatibility[] = [];
  compareNode(released, current, '', found);
  return found;
}

function compareNode(released: SchemaNode, current: SchemaNode, pointer: string, found: Incompatibility[]) {
  assertKnownKeywords(released, pointer);
  assertKnownKeywords(current, pointer);
  if (discriminatorOf(released) !== undefined) {
    compareDiscriminatedUnions(released, current, pointer, found);
    return;
  }
  const releasedVariants = variantsOf(released, pointer);
  if (releasedVariants === 'any') {
    return; // the consumer accepted anything here
  }
  const currentVariants = variantsOf(current, pointer);
  if (currentVariants === 'any') {
    found.push({ pointer, problem: `retyped: was ${typeList(releasedVariants)}, now any type` });
    return;
  }
  for (const [type, currentVariant] of currentVariants) {
    const releasedVariant =
      releasedVariants.get(type) ?? (type === 'integer' ? releasedVariants.get('number') : undefined);
    if (releasedVariant === undefined) {
      found.push({ pointer, problem: widenedTo(type, releasedVariants) });
      continue;
    }
    compareVariant(type, releasedVariant, currentVariant, found);
  }
}

function widenedTo(type: JsonType, released: Variants): string {
  return type === 'null'
    ? `became nullable: null was not allowed (was ${typeList(released)})`
    : `retyped: was ${typeList(released)}, now also ${type}`;
}

function typeList(variants: Variants): string {
  return [...variants.keys()].join(' | ');
}

function assertKnownKeywords(node: SchemaNode, pointer: string): void {
  for (const keyword of Object.keys(node)) {
    if (!KNOWN_KEYWORDS.has(keyword)) {
      throw new UnsupportedSchemaError(
        pointer,
        `keyword "${keyword}" is outside the subset this gate checks`,
      );
    }
  }
}

// --- unions discriminated by a fixed member (`change`, `truncated`) ---------------------------------------------------------------------------

function unionBranches(node: SchemaNode): readonly SchemaNode[] | undefined {
  const branches = node.oneOf ?? node.anyOf;
  return Array.isArray(branches) ? branches.filter(isSchemaNode) : undefined;
}

function unionKeyword(node: SchemaNode): 'oneOf' | 'anyOf' {
  return node.oneOf === undefined ? 'anyOf' : 'oneOf';
}

function constOf(branch: SchemaNode, name: string): unknown {
  const properties = branch.properties;
  if (!isSchemaNode(properties)) {
    return undefined;
  }
  const member = properties[name];
  return isSchemaNode(member) ? member.const : undefined;
}

/**
 * The member that tells a union's branches apart: `change` for the envelope, else the first member every branch
 * fixes to a distinct string or boolean (`truncated` of a `changes` entry); undefined when there is none.
 */
function discriminatorOf(node: SchemaNode): string | undefined {
  const branches = unionBranches(node);
  const first = branches?.[0]?.properties;
  if (branches === undefined || branches.length === 0 || !isSchemaNode(first)) {
    return undefined;
  }
  const candidates = [
    UNION_DISCRIMINATOR,
    ...Object.keys(first).filter((name) => name !== UNION_DISCRIMINATOR),
  ];
  return candidates.find((name) => {
    const values = branches.map((branch) => constOf(branch, name));
    return (
      values.every((value) => typeof value === 'string' || typeof value === 'boolean') &&
      new Set(values).size === values.length
    );
  });
}

function compareDiscriminatedUnions(
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  const name = discriminatorOf(released) ?? UNION_DISCRIMINATOR;
  if (discriminatorOf(current) !== name) {
    found.push({ pointer, problem: `no longer a union of branches told apart by "${name}"` });
    return;
  }
  const currentBranches = new Map(
    (unionBranches(current) ?? []).map((branch) => [constOf(branch, name), branch]),
  );
  (unionBranches(released) ?? []).forEach((branch, index) => {
    const value = constOf(branch, name);
    const branchPointer = `${pointer}/${unionKeyword(released)}/${index}`;
    const match = currentBranches.get(value);
    if (match === undefined) {
      found.push({
        pointer: branchPointer,
        problem: `narrowed: the ${name} ${JSON.stringify(value)} branch was removed`,
      });
      return;
    }
    compareNode(branch, match, branchPointer, found);
  });
}

// --- a node as one variant per JSON type ------------------------------------------------------------------------

interface Variant {
  readonly node: SchemaNode;
  readonly pointer: string;
}

type Variants = ReadonlyMap<JsonType, Variant>;

/** The node split by the JSON types it admits (`any` when it does not restrict the type). */
function variantsOf(node: SchemaNode, pointer: string): Variants | 'any' {
  const branches = unionBranches(node);
  if (branches !== undefined) {
    return unionVariants(branches, `${pointer}/${unionKeyword(node)}`);
  }
  const types = declaredTypes(node, pointer);
  if (types === undefined) {
    return 'any';
  }
  return new Map(types.map((type) => [type, { node, pointer }]));
}

function unionVariants(branches: readonly SchemaNode[], pointer: string): Variants | 'any' {
  const variants = new Map<JsonType, Variant>();
  for (const [index, branch] of branches.entries()) {
    assertKnownKeywords(branch, `${pointer}/${index}`);
    const branchVariants = variantsOf(branch, `${pointer}/${index}`);
    if (branchVariants === 'any') {
      return 'any';
    }
    for (const [type, variant] of branchVariants) {
      if (variants.has(type)) {
        throw new UnsupportedSchemaError(
          pointer,
          `two branches of type ${type} without a member that tells them apart`,
        );
      }
      variants.set(type, variant);
    }
  }
  return variants;
}

/** `type` as a list, or the types of the `const` / `enum` values; undefined when the node admits every type. */
function declaredTypes(node: SchemaNode, pointer: string): JsonType[] | undefined {
  const type = node.type;
  if (typeof type === 'string' || Array.isArray(type)) {
    return (Array.isArray(type) ? type : [type]).map((name) => jsonType(name, pointer));
  }
  const values = fixedValues(node);
  return values === undefined ? undefined : [...new Set(values.map(typeOfValue))];
}

function jsonType(name: unknown, pointer: string): JsonType {
  const known = JSON_TYPES.find((type) => type === name);
  if (known === undefined) {
    throw new UnsupportedSchemaError(pointer, `unknown type ${JSON.stringify(name)}`);
  }
  return known;
}

function typeOfValue(value: unknown): JsonType {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'array';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? 'integer' : 'number';
  }
  return jsonType(typeof value, '');
}

/** The `const` or `enum` values, when the node fixes them. */
function fixedValues(node: SchemaNode): readonly unknown[] | undefined {
  if ('const' in node) {
    return [node.const];
  }
  return Array.isArray(node.enum) ? node.enum : undefined;
}

// --- one variant against the released one -----------------------------------------------------------------------

function compareVariant(type: JsonType, released: Variant, current: Variant, found: Incompatibility[]): void {
  const pointer = released.pointer;
  compareFixedValues(type, released.node, current.node, pointer, found);
  compareBounds(released.node, current.node, pointer, found);
  switch (type) {
    case 'string':
      compareStringRules(released.node, current.node, pointer, found);
      return;
    case 'array':
      compareItems(released.node, current.node, pointer, found);
      return;
    case 'object':
      compareObjects(released.node, current.node, pointer, found);
      return;
    case 'null':
    case 'boolean':
    case 'number':
    case 'integer':
      return;
  }
}

function compareFixedValues(
  type: JsonType,
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  const releasedValues = valuesOfType(released, type);
  const currentValues = valuesOfType(current, type);
  if (releasedValues === undefined || currentValues === undefined) {
    return; // no fixed set was promised, or the current schema allows any value of the type (widened)
  }
  const kept = new Set(currentValues.map((value) => JSON.stringify(value)));
  const gone = releasedValues.filter((value) => !kept.has(JSON.stringify(value)));
  if (gone.length > 0) {
    const keyword = 'const' in released ? 'const' : 'enum';
    found.push({
      pointer,
      problem: `narrowed ${keyword}: ${gone.map((value) => JSON.stringify(value)).join(', ')} no longer allowed`,
    });
  }
}

function valuesOfType(node: SchemaNode, type: JsonType): readonly unknown[] | undefined {
  return fixedValues(node)?.filter((value) => {
    const valueType = typeOfValue(value);
    return valueType === type || (type === 'number' && valueType === 'integer');
  });
}

function compareBounds(
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  for (const keyword of LOWER_BOUNDS) {
    reportLoosened(keyword, released[keyword], current[keyword], (was, now) => now < was, pointer, found);
  }
  for (const keyword of UPPER_BOUNDS) {
    reportLoosened(keyword, released[keyword], current[keyword], (was, now) => now > was, pointer, found);
  }
}

function reportLoosened(
  keyword: string,
  was: unknown,
  now: unknown,
  looser: (was: number, now: number) => boolean,
  pointer: string,
  found: Incompatibility[],
): void {
  if (typeof was !== 'number') {
    return;
  }
  if (typeof now !== 'number') {
    found.push({ pointer, problem: `${keyword} ${was} was dropped` });
  } else if (looser(was, now)) {
    found.push({ pointer, problem: `${keyword} loosened from ${was} to ${now}` });
  }
}

function compareStringRules(
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  for (const keyword of ['format', 'pattern'] as const) {
    const was = released[keyword];
    const now = current[keyword];
    if (was === undefined || was === now) {
      continue;
    }
    found.push({
      pointer,
      problem:
        now === undefined
          ? `${keyword} ${JSON.stringify(was)} was dropped`
          : `${keyword} changed from ${JSON.stringify(was)} to ${JSON.stringify(now)}`,
    });
  }
}

function compareItems(
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  const was = released.items;
  if (!isSchemaNode(was)) {
    return;
  }
  const now = isSchemaNode(current.items) ? current.items : {};
  compareNode(was, now, `${pointer}/items`, found);
}

function compareObjects(
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  const releasedMembers = membersOf(released);
  const currentMembers = membersOf(current);
  const releasedRequired = requiredOf(released);
  const currentRequired = requiredOf(current);
  for (const [name, was] of Object.entries(releasedMembers)) {
    const memberPointer = `${pointer}/properties/${escapePointerToken(name)}`;
    const now = currentMembers[name];
    if (now === undefined) {
      found.push({ pointer: memberPointer, problem: `member ${JSON.stringify(name)} was removed` });
      continue;
    }
    if (releasedRequired.has(name) && !currentRequired.has(name)) {
      found.push({
        pointer: memberPointer,
        problem: `member ${JSON.stringify(name)} was required, now optional`,
      });
    }
    compareNode(was, now, memberPointer, found);
  }
  compareOpenMembers(released, current, pointer, found);
}

/** `additionalProperties` (a record's values) and `propertyNames`; `false` in the released schema adds nothing. */
function compareOpenMembers(
  released: SchemaNode,
  current: SchemaNode,
  pointer: string,
  found: Incompatibility[],
): void {
  const was = released.additionalProperties;
  const now = current.additionalProperties;
  if (isSchemaNode(was) && now !== false) {
    compareNode(was, isSchemaNode(now) ? now : {}, `${pointer}/additionalProperties`, found);
  }
  if (isSchemaNode(released.propertyNames)) {
    const names = isSchemaNode(current.propertyNames) ? current.propertyNames : { type: 'string' };
    compareNode(released.propertyNames, names, `${pointer}/propertyNames`, found);
  }
}

function membersOf(node: SchemaNode): Readonly<Record<string, SchemaNode>> {
  const properties = node.properties;
  if (!isSchemaNode(properties)) {
    return {};
  }
  return Object.fromEntries(
    Object.entries(properties).filter((entry): entry is [string, SchemaNode] => isSchemaNode(entry[1])),
  );
}

function requiredOf(node: SchemaNode): ReadonlySet<unknown> {
  return new Set(Array.isArray(node.required) ? node.required : []);
}

function isSchemaNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 6901: `~` as `~0`, `/` as `~1`. */
export function escapePointerToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}
