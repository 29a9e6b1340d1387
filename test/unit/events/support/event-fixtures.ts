import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ResourceFamily } from '../../../../src/common/tango/resource-family';
import { type ChangeEventRow } from '../../../../src/outbox/change-event-outbox';
import { changeEventSchemaFileName } from '../../../../src/events/change-event.json-schema';
import { type JsonSchema } from './json-schema-subset';

export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/** The committed JSON Schema of a family topic, read from disk (not regenerated). */
export function committedSchema(family: ResourceFamily): JsonSchema {
  return JSON.parse(
    readFileSync(join(REPO_ROOT, 'docs', 'events', changeEventSchemaFileName(family)), 'utf8'),
  ) as JsonSchema;
}

export const HASH_A = 'a'.repeat(64);
export const HASH_B = 'b'.repeat(64);

/** A plausible outbox row; override what the test is about. */
export function sampleRow(overrides: Partial<ChangeEventRow> = {}): ChangeEventRow {
  return {
    id: '42',
    eventId: '0b4e7c1e-9d2f-4a51-8d3e-5f7a6b8c9d01',
    resource: 'contracts',
    recordId: 'CONT_AWD_W15QKN24C1234_9700_-NONE-_-NONE-',
    changeType: 'updated',
    version: 3,
    previousHash: HASH_A,
    hash: HASH_B,
    changedFields: ['obligated', 'description'],
    record: { key: 'CONT_AWD_W15QKN24C1234_9700_-NONE-_-NONE-', obligated: 5306.85, description: 'PUMPS' },
    previousValues: { obligated: 4000, description: 'VALVES' },
    provenance: {
      deliveryIds: ['d-1'],
      eventTypes: ['alerts.contract.match'],
      alertIds: ['a-1'],
      reasons: ['changed'],
    },
    occurredAt: new Date('2026-11-01T12:34:56.789Z'),
    lane: 17,
    ...overrides,
  };
}

/** A valid row of each change type for a family. */
export function rowsOfEveryChange(family: ResourceFamily): ChangeEventRow[] {
  const base = { resource: family, recordId: `${family}-1` };
  return [
    sampleRow({
      ...base,
      changeType: 'created',
      version: 1,
      previousHash: null,
      changedFields: ['a', 'b'],
      previousValues: null,
    }),
    sampleRow({ ...base, changeType: 'updated', version: 2 }),
    sampleRow({
      ...base,
      changeType: 'enriched',
      version: 3,
      changedFields: ['naics'],
      previousValues: {},
      record: { key: `${family}-1`, naics: { code: '336411', description: 'Aircraft' } },
    }),
    sampleRow({
      ...base,
      changeType: 'deleted',
      version: 4,
      hash: null,
      record: null,
      previousValues: { key: `${family}-1`, obligated: 5306.85, description: 'PUMPS' },
      changedFields: [],
      previousHash: HASH_B,
    }),
    sampleRow({
      ...base,
      changeType: 'snapshot',
      version: 4,
      previousHash: null,
      changedFields: [],
      previousValues: null,
      provenance: {
        deliveryIds: [],
        eventTypes: [],
        alertIds: [],
        reasons: ['snapshot'],
        snapshot: true,
        replayId: 'r-1',
      },
    }),
  ];
}
