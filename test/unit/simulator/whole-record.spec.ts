import { type ShapeNode, formatShape } from '../../../src/tango-contract/shape-grammar';
import { tangoContract } from '../../../src/tango-contract/tango-contract';
import { shapePaths, wholeShapeNodes } from '../../../src/tango-contract/whole-shape';
import { contentHash } from '../../../simulator/canonical-hash';
import { FAMILY_SPECS } from '../../../simulator/dataset/families';
import { FULL_SHAPES, fullRecordFields } from '../../../simulator/dataset/full-shapes';
import { type JsonObject, type JsonValue, isJsonObject, scalarText } from '../../../simulator/dataset/json';
import { Dataset } from '../../../simulator/dataset/store';
import { groundTruthSnapshot } from '../../../simulator/ground-truth';
import { FAMILIES, type Family, datasetSizesSchema } from '../../../simulator/options';
import { applyShape, parseShape } from '../../../simulator/rest/shape';

const SIZES = datasetSizesSchema.parse({
  contracts: 60,
  idvs: 40,
  otas: 30,
  otidvs: 30,
  opportunities: 40,
  notices: 60,
  entities: 60,
  grants: 40,
  forecasts: 40,
});

/** A dataset whose clock is fixed, so created and modified records depend only on the calls made. */
function dataset(sizes = SIZES, seed = 42): Dataset {
  let tick = 0;
  return new Dataset(seed, sizes, '2026-08-14', () => Date.parse('2026-09-01T12:00:00Z') + (tick += 1000));
}

/** Creates two records and modifies three (one created, two seeded; one with fields, two by default). */
function mutate(data: Dataset, family: Family): void {
  const idField = FAMILY_SPECS[family].idField;
  const created = data.create(family);
  data.create(family);
  data.modify(family, scalarText(created[idField]));
  data.modify(family, scalarText(data.get(family, 3)![idField]));
  data.modify(family, scalarText(data.get(family, 5)![idField]), { description: 'CHANGED BY A TEST' });
}

/**
 * Where a value departs from the shape: a name missing or extra (in contract order at every level), in every
 * expand object and every item of an expand list; values of plain fields and open expands are not looked into.
 */
function shapeDepartures(value: JsonObject, nodes: readonly ShapeNode[], prefix = ''): string[] {
  const named = nodes.filter((node) => node.field !== '*');
  const expected = named.map((node) => node.field).join(',');
  const actual = Object.keys(value).join(',');
  const out = expected === actual ? [] : [`${prefix || '(top)'}: has ${actual}; contract ${expected}`];
  for (const node of named) {
    const children = node.children;
    if (children === undefined || children.some((child) => child.field === '*')) {
      continue;
    }
    const member: JsonValue | undefined = value[node.field];
    const items = Array.isArray(member) ? member : [member];
    items.forEach((item, position) => {
      if (isJsonObject(item)) {
        out.push(...shapeDepartures(item, children, `${prefix}${node.field}[${position}].`));
      }
    });
  }
  return out;
}

function allLive(data: Dataset, family: Family): JsonObject[] {
  return [...data.orderedIndices(family)].map((index) => data.get(family, index)!);
}

describe('whole records', () => {
  describe.each(FAMILIES)('%s', (family) => {
    const resource = tangoContract().resource(family);
    const whole = wholeShapeNodes(resource);

    it('should name every field and expand of the contract in FULL_SHAPES and fullRecordFields', () => {
      expect(FULL_SHAPES[family]).toBe(formatShape(whole));
      expect(shapePaths(parseShape(FULL_SHAPES[family]))).toEqual(shapePaths(whole));
      expect([...fullRecordFields(family)].sort()).toEqual(
        [...new Set([...resource.fields, ...resource.expands.keys()])].filter((name) => name !== '*').sort(),
      );
    });

    it('should serve every seeded, created and modified record with exactly the whole shape', () => {
      const data = dataset();
      mutate(data, family);
      const departures = allLive(data, family).flatMap((record) => shapeDepartures(record, whole));
      expect(departures).toEqual([]);
    });

    it('should answer the whole shape with the record itself, byte for byte', () => {
      const data = dataset();
      mutate(data, family);
      const nodes = parseShape(FULL_SHAPES[family]);
      for (const record of allLive(data, family)) {
        expect(JSON.stringify(applyShape(record, nodes, resource))).toBe(JSON.stringify(record));
      }
    });

    it('should give byte-identical records for the same seed, whatever order they are read in', () => {
      const first = dataset();
      const second = dataset();
      const forward = allLive(first, family).map((record) => JSON.stringify(record));
      const backward = [...second.orderedIndices(family)]
        .reverse()
        .map((index) => second.get(family, index)!);
      expect(backward.reverse().map((record) => JSON.stringify(record))).toEqual(forward);
      mutate(first, family);
      // The second dataset reads other families first: call order must not matter.
      for (const other of FAMILIES) {
        allLive(second, other);
      }
      mutate(second, family);
      expect(allLive(second, family).map((record) => JSON.stringify(record))).toEqual(
        allLive(first, family).map((record) => JSON.stringify(record)),
      );
      expect(groundTruthSnapshot(second, family)).toEqual(groundTruthSnapshot(first, family));
    });

    it('should give other records for another seed', () => {
      const record = dataset(SIZES, 42).get(family, 7)!;
      expect(contentHash(dataset(SIZES, 43).get(family, 7)!)).not.toBe(contentHash(record));
    });

    it('should hand out frozen records (a caller clones before changing one)', () => {
      const data = dataset();
      const record = data.get(family, 1)!;
      expect(Object.isFrozen(record)).toBe(true);
      expect(() => {
        record.description = 'mutated';
      }).toThrow(TypeError);
      expect(data.get(family, 1)).toBe(record);
    });
  });

  it('should keep base records identical when the cache evicts them and they are made again', () => {
    const sizes = datasetSizesSchema.parse({ contracts: 5_001 });
    const data = dataset(sizes);
    const early = JSON.stringify(data.get('contracts', 0));
    for (let index = 1; index < 5_001; index += 1) {
      data.get('contracts', index);
    }
    expect(JSON.stringify(data.get('contracts', 0))).toBe(early);
  });

  it('should change only the given field when an entity is modified with a description', () => {
    const data = dataset();
    const before = data.get('entities', 4)!;
    const after = data.modify('entities', scalarText(before.uei), { description: 'A NEW DESCRIPTION' })!;
    expect(after).toEqual({ ...before, description: 'A NEW DESCRIPTION' });
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(data.get('entities', 4)).toEqual(after);
  });

  it('should accept any top-level contract field through modify, and complete a partial expand', () => {
    const data = dataset();
    const key = scalarText(data.get('idvs', 2)!.key);
    expect(data.modify('idvs', key, { who_can_use: 'ALL FEDERAL AGENCIES' })!.who_can_use).toBe(
      'ALL FEDERAL AGENCIES',
    );
    const modified = data.modify('idvs', key, { naics: { code: '541512' } })!;
    expect(Object.keys(modified.naics as JsonObject)).toEqual(['code', 'description']);
    expect(() => data.modify('idvs', key, { naics: { code: '1', label: 'x' } })).toThrow('not in Tango');
  });
});
