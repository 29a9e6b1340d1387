import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import { CHANGE_EVENT_MAX_BYTES, jsonBytes } from '../../../src/events/change-event.changes';
import { Dataset } from '../../../simulator/dataset/store';
import { FAMILIES, type Family, datasetSizesSchema } from '../../../simulator/options';
import { sampleRow } from './support/event-fixtures';

const PER_FAMILY = 400;
const dataset = new Dataset(
  25,
  datasetSizesSchema.parse(Object.fromEntries(FAMILIES.map((family) => [family, PER_FAMILY]))),
  '2026-11-01',
  () => Date.parse('2026-11-01T00:00:00Z'),
);

/**
 * The largest events the simulator's whole records make, in the worst case for old values: an update of every
 * field (each old value another record's) and a delete carrying the record. Prints the figures (README, issue 25).
 */
describe('size of change events with old values, over simulator records', () => {
  it('keeps the worst case of every family far below one Kafka message, nothing truncated', () => {
    const largest: Record<string, { updated: number; deleted: number; record: number }> = {};
    for (const family of FAMILIES as readonly Family[]) {
      const sizes = { updated: 0, deleted: 0, record: 0 };
      for (let index = 0; index + 1 < PER_FAMILY; index += 1) {
        const record = dataset.served(family, index);
        const other = dataset.served(family, index + 1);
        if (record === undefined || other === undefined) {
          continue;
        }
        const fields = [...new Set([...Object.keys(record), ...Object.keys(other)])].sort();
        const updated = buildChangeEvent(
          sampleRow({ resource: family, record, previousValues: other, changedFields: fields }),
        );
        const deleted = buildChangeEvent(
          sampleRow({
            resource: family,
            changeType: 'deleted',
            hash: null,
            record: null,
            changedFields: [],
            previousValues: record,
          }),
        );
        if (updated.change === 'updated' && updated.changes !== null) {
          expect(Object.values(updated.changes).some((entry) => entry.truncated)).toBe(false);
        }
        sizes.updated = Math.max(sizes.updated, jsonBytes(updated));
        sizes.deleted = Math.max(sizes.deleted, jsonBytes(deleted));
        sizes.record = Math.max(sizes.record, jsonBytes(record));
      }
      largest[family] = sizes;
    }
    process.stdout.write(`largest change events (bytes) over ${PER_FAMILY} records a family:\n`);
    process.stdout.write(`${JSON.stringify(largest, null, 1)}\n`);
    const worst = Math.max(...Object.values(largest).map((sizes) => sizes.updated));
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThan(CHANGE_EVENT_MAX_BYTES / 10);
  });
});
