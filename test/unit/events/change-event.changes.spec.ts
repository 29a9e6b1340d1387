import fc from 'fast-check';
import { type JsonRecord, type JsonValue } from '../../../src/common/json';
import { applyJsonPatch, type JsonPatchOperation, jsonEqual } from '../../../src/common/json-patch';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import { CHANGE_EVENT_MAX_BYTES, jsonBytes } from '../../../src/events/change-event.changes';
import { type ChangeEvent, type FieldChange } from '../../../src/events/change-event.schema';
import { contentHash } from '../../../src/mirror/content-hash';
import { committedSchema, sampleRow } from './support/event-fixtures';
import { validate } from './support/json-schema-subset';

// Values as they travel (JSON has no -0: fast-check's jsonValue may produce it, JSON.stringify writes 0).
const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as JsonValue);
const record = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'obligated', 'awarding_office'), json, {
  maxKeys: 6,
}) as fc.Arbitrary<JsonRecord>;

/** What the mirror's upsert computes in SQL: the changed top-level fields and the old values of those it had. */
function outboxColumns(
  old: JsonRecord,
  now: JsonRecord,
): { changedFields: string[]; previousValues: JsonRecord } {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
  const changedFields = keys.filter(
    (key) => !(Object.hasOwn(old, key) && Object.hasOwn(now, key) && jsonEqual(old[key]!, now[key]!)),
  );
  const previousValues = Object.fromEntries(
    changedFields.filter((key) => Object.hasOwn(old, key)).map((key) => [key, old[key]!]),
  );
  return { changedFields, previousValues };
}

function changesOf(event: ChangeEvent): Record<string, FieldChange> {
  if (event.change !== 'updated' && event.change !== 'enriched') {
    throw new Error(`no changes on ${event.change}`);
  }
  if (event.changes === null) {
    throw new Error('changes is null');
  }
  return event.changes;
}

function isContainer(value: JsonValue): boolean {
  return value !== null && typeof value === 'object';
}

describe('old and new values of change events (changes, before)', () => {
  it('property: before/after are exact and each patch turns before into after', () => {
    fc.assert(
      fc.property(record, record, (old, now) => {
        const { changedFields, previousValues } = outboxColumns(old, now);
        const event = buildChangeEvent(sampleRow({ record: now, previousValues, changedFields }));
        const changes = changesOf(event);
        expect(Object.keys(changes).sort()).toEqual(changedFields);
        for (const field of changedFields) {
          const entry = changes[field]!;
          if (entry.truncated) {
            throw new Error(`${field} truncated`);
          }
          const before = Object.hasOwn(old, field) ? old[field]! : null;
          const after = Object.hasOwn(now, field) ? now[field]! : null;
          expect(entry.before).toStrictEqual(before);
          expect(entry.after).toStrictEqual(after);
          if (isContainer(before) || isContainer(after)) {
            expect(entry.patch).toBeDefined();
            expect(applyJsonPatch(before, entry.patch as readonly JsonPatchOperation[])).toStrictEqual(after);
          } else {
            expect(entry).not.toHaveProperty('patch');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives a nested change its patch', () => {
    const event = buildChangeEvent(
      sampleRow({
        changedFields: ['awarding_office'],
        previousValues: { awarding_office: { office_code: 'W15QKN', name: 'ACC' } },
        record: { key: 'k', awarding_office: { office_code: 'W56HZV', name: 'ACC' } },
      }),
    );
    expect(changesOf(event).awarding_office).toEqual({
      truncated: false,
      before: { office_code: 'W15QKN', name: 'ACC' },
      after: { office_code: 'W56HZV', name: 'ACC' },
      patch: [{ op: 'replace', path: '/office_code', value: 'W56HZV' }],
    });
  });

  it('says null for a field added or removed by the change', () => {
    const event = buildChangeEvent(
      sampleRow({ changedFields: ['added', 'gone'], previousValues: { gone: 7 }, record: { added: 'x' } }),
    );
    expect(changesOf(event)).toEqual({
      added: { truncated: false, before: null, after: 'x' },
      gone: { truncated: false, before: 7, after: null },
    });
  });

  it('carries changes: null for a row written before old values were kept', () => {
    const event = buildChangeEvent(sampleRow({ previousValues: null }));
    expect(event).toMatchObject({ change: 'updated', changes: null });
    expect(validate(committedSchema('contracts'), event)).toEqual([]);
  });

  describe('size budget', () => {
    const big = 'x'.repeat(600_000);
    const row = sampleRow({
      changedFields: ['description', 'notes', 'obligated'],
      previousValues: { description: big, notes: 'short', obligated: 1 },
      record: { key: 'k', description: `${big}y`, notes: 'shorter', obligated: 2 },
    });

    it('reduces the largest fields to hashes until the event fits, and marks them', () => {
      const event = buildChangeEvent(row);
      const changes = changesOf(event);
      expect(changes.description).toEqual({
        truncated: true,
        before_hash: contentHash(big),
        after_hash: contentHash(`${big}y`),
      });
      expect(changes.notes).toEqual({ truncated: false, before: 'short', after: 'shorter' });
      expect(changes.obligated).toEqual({ truncated: false, before: 1, after: 2 });
      expect(jsonBytes(event)).toBeLessThanOrEqual(CHANGE_EVENT_MAX_BYTES);
      expect(validate(committedSchema('contracts'), event)).toEqual([]);
    });

    it('keeps every value of an event under the budget', () => {
      const event = buildChangeEvent(row, { maxBytes: 5_000_000 });
      expect(changesOf(event).description).toMatchObject({ truncated: false, before: big });
    });

    it('still publishes (every entry hashed) when the record alone is above the budget', () => {
      const event = buildChangeEvent(row, { maxBytes: 1_000 });
      const changes = changesOf(event);
      expect(Object.values(changes).every((entry) => entry.truncated)).toBe(true);
      expect(changes.notes).toEqual({
        truncated: true,
        before_hash: contentHash('short'),
        after_hash: contentHash('shorter'),
      });
    });

    it('leaves the last record of a delete out, marked, when it would not fit', () => {
      const deleted = sampleRow({
        changeType: 'deleted',
        hash: null,
        record: null,
        changedFields: [],
        previousValues: { key: 'k', description: 'z'.repeat(1_100_000) },
      });
      expect(buildChangeEvent(deleted)).toMatchObject({ before: null, before_truncated: true });
      expect(buildChangeEvent(deleted, { maxBytes: 2_000_000 })).toMatchObject({
        before: { key: 'k' },
        before_truncated: false,
      });
    });
  });
});
