import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../../../src/common/tango/resource-family';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import { changeEventSchemaFileName } from '../../../src/events/change-event.json-schema';
import { stateOf } from '../../../src/events/state-message';
import {
  stateMessageJsonSchema,
  stateMessageSchemaFileName,
} from '../../../src/events/state-message.json-schema';
import { REPO_ROOT, rowsOfEveryChange, sampleRow } from './support/event-fixtures';
import { type JsonSchema, validate } from './support/json-schema-subset';

const regenerate = 'npx ts-node --transpile-only scripts/generate-event-schemas.ts';

function committedStateSchema(family: ResourceFamily): JsonSchema {
  return JSON.parse(
    readFileSync(join(REPO_ROOT, 'docs', 'events', stateMessageSchemaFileName(family)), 'utf8'),
  ) as JsonSchema;
}

describe('committed state-message JSON Schemas', () => {
  it.each(RESOURCE_FAMILIES)(
    'docs/events state schema of %s equals what z.toJSONSchema() generates now',
    (family) => {
      // On failure: the state message changed; run `${regenerate}` and commit the files.
      expect({ file: stateMessageSchemaFileName(family), schema: committedStateSchema(family) }).toEqual({
        file: stateMessageSchemaFileName(family),
        schema: stateMessageJsonSchema(family),
      });
    },
  );

  it(`docs/events holds exactly one change and one state schema per family (regenerate with: ${regenerate})`, () => {
    const files = readdirSync(join(REPO_ROOT, 'docs', 'events'))
      .filter((name) => name.endsWith('.schema.json'))
      .sort();
    expect(files).toEqual(
      RESOURCE_FAMILIES.flatMap((family) => [
        changeEventSchemaFileName(family),
        stateMessageSchemaFileName(family),
      ]).sort(),
    );
  });

  it.each(RESOURCE_FAMILIES)(
    'accepts the state every non-deleting change leaves a %s record in',
    (family) => {
      const schema = committedStateSchema(family);
      const rows = rowsOfEveryChange(family).filter((row) => row.changeType !== 'deleted');
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(validate(schema, stateOf(buildChangeEvent(row)))).toEqual([]);
      }
    },
  );

  describe('rejects states whose shape drifted from the file', () => {
    const schema = committedStateSchema('contracts');
    const state = stateOf(buildChangeEvent(sampleRow())) as unknown as Record<string, unknown>;

    it.each([
      ['an extra member', { ...state, change: 'updated' }],
      ['a missing hash', Object.fromEntries(Object.entries(state).filter(([key]) => key !== 'hash'))],
      ['a null record (a delete is a tombstone, not a value)', { ...state, data: null }],
      ['a version sent as a string', { ...state, version: '3' }],
      ['another family', { ...state, resource: 'idvs' }],
      ['an empty id', { ...state, id: '' }],
    ])('%s', (_what, drifted) => {
      expect(validate(schema, drifted)).not.toEqual([]);
    });
  });
});
