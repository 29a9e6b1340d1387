import {
  compareSchemas,
  type SchemaNode,
  UnsupportedSchemaError,
} from '../../../src/events/schema-compatibility';

/** A small envelope in the shape z.toJSONSchema() writes: strict objects, one `oneOf` branch per `change`. */
function branch(change: string, members: Record<string, SchemaNode> = {}, required?: string[]): SchemaNode {
  const properties: Record<string, SchemaNode> = {
    change: { type: 'string', const: change },
    status: { type: 'string', enum: ['open', 'closed'] },
    hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
    previous_hash: { anyOf: [{ type: 'string', pattern: '^[0-9a-f]{64}$' }, { type: 'null' }] },
    version: { type: 'integer', exclusiveMinimum: 0 },
    changed_fields: { type: 'array', items: { type: 'string' } },
    data: { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} },
    ...members,
  };
  return {
    type: 'object',
    properties,
    required: required ?? Object.keys(properties),
    additionalProperties: false,
  };
}

function envelope(...branches: SchemaNode[]): SchemaNode {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', oneOf: branches };
}

const released = envelope(branch('created'), branch('deleted'));
const MEMBERS = Object.keys(branch('created').properties ?? {});

/** The released envelope with one member of the `created` branch replaced (or removed when `undefined`). */
function withMember(name: string, schema: SchemaNode | undefined, required?: string[]): SchemaNode {
  const created = branch('created');
  const others = Object.entries(created.properties as Record<string, SchemaNode>).filter(
    ([member]) => member !== name,
  );
  const properties = Object.fromEntries(schema === undefined ? others : [...others, [name, schema]]);
  const keep = required ?? Object.keys(properties);
  return envelope({ ...created, properties, required: keep }, branch('deleted'));
}

function problems(current: SchemaNode): string[] {
  return compareSchemas(released, current).map((found) => `${found.pointer}: ${found.problem}`);
}

describe('compareSchemas: what breaks a consumer of the released schema', () => {
  it('passes the released schema itself', () => {
    expect(problems(released)).toEqual([]);
  });

  it.each<[string, SchemaNode, string]>([
    [
      'a removed member',
      withMember('changed_fields', undefined),
      '/oneOf/0/properties/changed_fields: member "changed_fields" was removed',
    ],
    [
      'a retyped member',
      withMember('version', { type: 'string' }),
      '/oneOf/0/properties/version: retyped: was integer, now also string',
    ],
    [
      'a member widened to a second type',
      withMember('version', { type: ['integer', 'string'], exclusiveMinimum: 0 }),
      '/oneOf/0/properties/version: retyped: was integer, now also string',
    ],
    [
      'an integer widened to any number',
      withMember('version', { type: 'number', exclusiveMinimum: 0 }),
      '/oneOf/0/properties/version: retyped: was integer, now also number',
    ],
    [
      'array items retyped',
      withMember('changed_fields', { type: 'array', items: { type: 'integer' } }),
      '/oneOf/0/properties/changed_fields/items: retyped: was string, now also integer',
    ],
    [
      'a member that became nullable',
      withMember('hash', { type: ['string', 'null'], pattern: '^[0-9a-f]{64}$' }),
      '/oneOf/0/properties/hash: became nullable: null was not allowed (was string)',
    ],
    [
      'a narrowed enum',
      withMember('status', { type: 'string', enum: ['open'] }),
      '/oneOf/0/properties/status: narrowed enum: "closed" no longer allowed',
    ],
    [
      'a changed discriminator const',
      withMember('change', { type: 'string', const: 'made' }),
      // the `created` branch is gone from the union: a value consumers relied on disappeared
      '/oneOf/0: narrowed: the change "created" branch was removed',
    ],
    [
      'a required member that became optional',
      withMember(
        'status',
        { type: 'string', enum: ['open', 'closed'] },
        MEMBERS.filter((name) => name !== 'status'),
      ),
      '/oneOf/0/properties/status: member "status" was required, now optional',
    ],
    [
      'a changed pattern',
      withMember('hash', { type: 'string', pattern: '^[0-9a-f]+$' }),
      '/oneOf/0/properties/hash: pattern changed from "^[0-9a-f]{64}$" to "^[0-9a-f]+$"',
    ],
    [
      'a loosened bound',
      withMember('version', { type: 'integer', exclusiveMinimum: -1 }),
      '/oneOf/0/properties/version: exclusiveMinimum loosened from 0 to -1',
    ],
    [
      'a record retyped to an array',
      withMember('data', { type: 'array' }),
      '/oneOf/0/properties/data: retyped: was object, now also array',
    ],
    [
      'a removed branch of the union',
      envelope(branch('created')),
      '/oneOf/1: narrowed: the change "deleted" branch was removed',
    ],
    [
      'a nullable member whose non-null branch was retyped',
      withMember('previous_hash', { anyOf: [{ type: 'integer' }, { type: 'null' }] }),
      '/oneOf/0/properties/previous_hash: retyped: was string | null, now also integer',
    ],
  ])('fails %s', (_what, current, expected) => {
    expect(problems(current)).toEqual([expected]);
  });

  it('fails a changed const (its one value disappears)', () => {
    const was = envelope(branch('created', { specversion: { type: 'string', const: '1.0' } }));
    const now = envelope(branch('created', { specversion: { type: 'string', const: '1.1' } }));
    expect(compareSchemas(was, now)).toEqual([
      { pointer: '/oneOf/0/properties/specversion', problem: 'narrowed const: "1.0" no longer allowed' },
    ]);
  });

  it('fails a dropped format', () => {
    const withFormat = envelope(branch('created', { id: { type: 'string', format: 'uuid' } }));
    const without = envelope(branch('created', { id: { type: 'string' } }));
    expect(compareSchemas(withFormat, without)).toEqual([
      { pointer: '/oneOf/0/properties/id', problem: 'format "uuid" was dropped' },
    ]);
  });

  it.each<[string, SchemaNode]>([
    ['an added optional member', withMember('lane', { type: 'integer' }, MEMBERS)],
    ['an added required member', withMember('lane', { type: 'integer' })],
    ['a widened enum', withMember('status', { type: 'string', enum: ['open', 'closed', 'archived'] })],
    ['an enum relaxed to any string', withMember('status', { type: 'string' })],
    ['a new branch of the union', envelope(branch('created'), branch('deleted'), branch('snapshot'))],
    ['reordered branches', envelope(branch('deleted'), branch('created'))],
    [
      'a nullable member that is never null any more',
      withMember('previous_hash', { type: 'string', pattern: '^[0-9a-f]{64}$' }),
    ],
    ['a tightened bound', withMember('version', { type: 'integer', exclusiveMinimum: 0, maximum: 10 })],
    [
      'changed descriptions',
      withMember('version', { type: 'integer', exclusiveMinimum: 0, description: 'now documented' }),
    ],
  ])('passes %s', (_what, current) => {
    expect(problems(current)).toEqual([]);
  });

  it('reports every break, each at its pointer', () => {
    const current = envelope(
      {
        ...branch('created'),
        properties: { change: { type: 'string', const: 'created' } },
        required: ['change'],
      },
      branch('deleted'),
    );
    const pointers = compareSchemas(released, current).map((found) => found.pointer);
    expect(pointers).toEqual(
      ['status', 'hash', 'previous_hash', 'version', 'changed_fields', 'data'].map(
        (name) => `/oneOf/0/properties/${name}`,
      ),
    );
  });

  it('escapes member names in pointers (RFC 6901)', () => {
    const was = { type: 'object', properties: { 'a/b~c': { type: 'string' } } };
    expect(compareSchemas(was, { type: 'object', properties: {} })).toEqual([
      { pointer: '/properties/a~1b~0c', problem: 'member "a/b~c" was removed' },
    ]);
  });

  it('refuses to judge keywords outside its subset, rather than pass them', () => {
    const current = withMember('changed_fields', {
      type: 'array',
      items: { type: 'string' },
      uniqueItems: true,
    });
    expect(() => compareSchemas(released, current)).toThrow(UnsupportedSchemaError);
    expect(() => compareSchemas({ $ref: '#/$defs/x' }, {})).toThrow(/keyword "\$ref"/);
  });
});
