import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import {
  changeEventJsonSchema,
  changeEventSchemaFileName,
} from '../../../src/events/change-event.json-schema';
import { committedSchema, REPO_ROOT, rowsOfEveryChange, sampleRow } from './support/event-fixtures';
import { UnsupportedKeywordError, validate } from './support/json-schema-subset';

const regenerate = 'npx ts-node --transpile-only scripts/generate-event-schemas.ts';

describe('committed change-event JSON Schemas', () => {
  it.each(RESOURCE_FAMILIES)(
    'docs/events schema of %s equals what z.toJSONSchema() generates now',
    (family) => {
      const committed = committedSchema(family);
      const generated = changeEventJsonSchema(family);
      // On failure: the zod envelope changed; run `${regenerate}` and commit the files (and say so to consumers).
      expect({ file: changeEventSchemaFileName(family), schema: committed }).toEqual({
        file: changeEventSchemaFileName(family),
        schema: generated,
      });
    },
  );

  it(`holds exactly one schema per family topic (regenerate with: ${regenerate})`, () => {
    const files = readdirSync(join(REPO_ROOT, 'docs', 'events'))
      .filter((name) => name.endsWith('.changes.v1.schema.json'))
      .sort();
    expect(files).toEqual(RESOURCE_FAMILIES.map(changeEventSchemaFileName).sort());
  });

  it.each(RESOURCE_FAMILIES)('accepts every kind of event the relay emits on the %s topic', (family) => {
    const schema = committedSchema(family);
    for (const row of rowsOfEveryChange(family)) {
      expect(validate(schema, buildChangeEvent(row))).toEqual([]);
    }
  });

  describe('rejects events whose shape drifted from the file', () => {
    const schema = committedSchema('contracts');
    const event = buildChangeEvent(sampleRow()) as unknown as Record<string, unknown>;

    it.each([
      ['an extra top-level member', { ...event, lane: 17 }],
      [
        'a missing member',
        Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'changed_fields')),
      ],
      ['a renamed provenance member', { ...event, provenance: { deliveryIds: [], reasons: [] } }],
      ['a version sent as a string', { ...event, version: '3' }],
      [
        'a record on a delete',
        { ...event, change: 'deleted', type: 'com.makegov.tango.contracts.deleted', hash: null },
      ],
      ['a type that does not match the change', { ...event, type: 'com.makegov.tango.contracts.created' }],
      ['another family', { ...event, resource: 'idvs', source: 'tango-sync/idvs' }],
      ['a time that is not RFC 3339', { ...event, time: '01/11/2026 12:34' }],
      ['a snapshot flag on a live change', { ...event, snapshot: true }],
    ])('%s', (_what, drifted) => {
      expect(validate(schema, drifted)).not.toEqual([]);
    });
  });

  it('refuses to judge a schema with keywords the test validator does not implement', () => {
    expect(() => validate({ type: 'object', dependentRequired: { a: ['b'] } }, {})).toThrow(
      UnsupportedKeywordError,
    );
    expect(() => validate({ oneOf: [{ $ref: '#/$defs/x' }] }, {})).toThrow(UnsupportedKeywordError);
  });
});
