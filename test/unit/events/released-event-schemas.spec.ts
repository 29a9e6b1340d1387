import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import { changeEventSchemaFileName } from '../../../src/events/change-event.json-schema';
import {
  checkEventSchemas,
  describeBrokenTopic,
  eventTopicVersions,
  isBroken,
  RELEASED_EVENT_SCHEMA_DIR,
  releaseEventSchemas,
} from '../../../src/events/released-event-schemas';
import { REPO_ROOT } from './support/event-fixtures';

type Json = Record<string, unknown>;

/** A copy of the repository's docs/events (current schemas and baseline) in a temporary root. */
function copyOfTheEvents(): string {
  const root = mkdtempSync(join(tmpdir(), 'tango-sync-schema-gate-'));
  cpSync(join(REPO_ROOT, 'docs', 'events'), join(root, 'docs', 'events'), { recursive: true });
  return root;
}

function editSchema(root: string, path: string, edit: (schema: Json) => void): void {
  const file = join(root, path);
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Json;
  edit(schema);
  writeFileSync(file, JSON.stringify(schema, null, 2));
}

/** Each branch of the `oneOf`, as its object schema. */
function branches(schema: Json): { properties: Record<string, unknown>; required: string[] }[] {
  return schema.oneOf as { properties: Record<string, unknown>; required: string[] }[];
}

function withoutChangedFields(schema: Json): void {
  for (const branch of branches(schema)) {
    delete branch.properties.changed_fields;
    branch.required = branch.required.filter((name) => name !== 'changed_fields');
  }
}

function brokenMessages(root: string): string[] {
  return checkEventSchemas(root).verdicts.filter(isBroken).map(describeBrokenTopic);
}

describe('the schema gate (npm run check:events)', () => {
  let root: string;

  beforeEach(() => {
    root = copyOfTheEvents();
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('has a released baseline of every current topic, and the repository passes it', () => {
    const released = readdirSync(join(REPO_ROOT, RELEASED_EVENT_SCHEMA_DIR)).sort();
    expect(released).toEqual(expect.arrayContaining(RESOURCE_FAMILIES.map(changeEventSchemaFileName)));
    const { verdicts, retired } = checkEventSchemas(REPO_ROOT);
    expect(verdicts).toHaveLength(RESOURCE_FAMILIES.length);
    expect(verdicts.filter((verdict) => verdict.releasedPath === undefined)).toEqual([]);
    expect(verdicts.filter(isBroken).map(describeBrokenTopic)).toEqual([]);
    expect(retired).toEqual([]);
  });

  it('fails a schema that removed changed_fields, naming the topic, the pointers and the fix', () => {
    editSchema(root, 'docs/events/grants.changes.v1.schema.json', withoutChangedFields);
    const messages = brokenMessages(root);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message).toContain(
      'topic grants.changes.v1: docs/events/grants.changes.v1.schema.json breaks consumers of the released ' +
        'docs/events/released/grants.changes.v1.schema.json',
    );
    for (const index of [0, 1, 2, 3, 4]) {
      expect(message).toContain(
        `/oneOf/${index}/properties/changed_fields: member "changed_fields" was removed`,
      );
    }
    expect(message).toContain("bump the topic's suffix to grants.changes.v2");
    expect(message).toContain('or revert the change');
  });

  it('passes an added optional member', () => {
    editSchema(root, 'docs/events/grants.changes.v1.schema.json', (schema) => {
      for (const branch of branches(schema)) {
        branch.properties.lane = { type: 'integer' };
      }
    });
    expect(brokenMessages(root)).toEqual([]);
  });

  it('passes a new topic version that has no baseline yet, and a bump of a broken one to v2', () => {
    const v1 = join(root, 'docs/events/grants.changes.v1.schema.json');
    const v2 = 'docs/events/grants.changes.v2.schema.json';
    writeFileSync(join(root, v2), readFileSync(v1, 'utf8'));
    editSchema(root, v2, withoutChangedFields);
    rmSync(v1);
    const { verdicts, retired } = checkEventSchemas(root);
    expect(verdicts.filter(isBroken)).toEqual([]);
    expect(verdicts.find((verdict) => verdict.topic === 'grants.changes.v2')?.releasedPath).toBeUndefined();
    expect(retired).toEqual(['grants.changes.v1']);
    expect(eventTopicVersions(root).get('grants')).toEqual([
      {
        version: 1,
        topic: 'grants.changes.v1',
        current: false,
        releasedPath: 'docs/events/released/grants.changes.v1.schema.json',
      },
      { version: 2, topic: 'grants.changes.v2', current: true, releasedPath: undefined },
    ]);
  });
});

describe('npm run events:release', () => {
  let root: string;

  beforeEach(() => {
    root = copyOfTheEvents();
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses to overwrite a baseline with an incompatible schema of the same version, and writes nothing', () => {
    editSchema(root, 'docs/events/grants.changes.v1.schema.json', withoutChangedFields);
    const before = readFileSync(
      join(root, RELEASED_EVENT_SCHEMA_DIR, 'grants.changes.v1.schema.json'),
      'utf8',
    );
    const release = releaseEventSchemas(root);
    expect(release.refused.map((verdict) => verdict.topic)).toEqual(['grants.changes.v1']);
    expect(release.written).toEqual([]);
    expect(readFileSync(join(root, RELEASED_EVENT_SCHEMA_DIR, 'grants.changes.v1.schema.json'), 'utf8')).toBe(
      before,
    );
  });

  it('releases a compatible change and a new topic version, and leaves the rest as they are', () => {
    editSchema(root, 'docs/events/grants.changes.v1.schema.json', (schema) => {
      for (const branch of branches(schema)) {
        branch.properties.lane = { type: 'integer' };
      }
    });
    writeFileSync(
      join(root, 'docs/events/grants.changes.v2.schema.json'),
      readFileSync(join(root, 'docs/events/grants.changes.v1.schema.json'), 'utf8'),
    );
    const release = releaseEventSchemas(root);
    expect(release.refused).toEqual([]);
    expect(release.written).toEqual([
      'docs/events/released/grants.changes.v1.schema.json',
      'docs/events/released/grants.changes.v2.schema.json',
    ]);
    expect(release.unchanged).toHaveLength(RESOURCE_FAMILIES.length - 1);
    expect(checkEventSchemas(root).verdicts.every((verdict) => verdict.releasedPath !== undefined)).toBe(
      true,
    );
  });
});
