import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tangoContract } from '../../../src/tango-contract/tango-contract';
import { canonicalJson } from '../../../simulator/canonical-hash';
import { contractConformanceIssues } from '../../../simulator/contract/conformance';
import { FAMILY_SPECS } from '../../../simulator/dataset/families';
import { DEFAULT_LIST_SHAPES, FULL_SHAPES } from '../../../simulator/dataset/full-shapes';
import { type JsonObject, scalarText } from '../../../simulator/dataset/json';
import { Dataset } from '../../../simulator/dataset/store';
import { FAMILIES, type Family, datasetSizesSchema } from '../../../simulator/options';
import { appliedFilterParams } from '../../../simulator/rest/filters';
import { applyShape, parseShape } from '../../../simulator/rest/shape';
import { createRng } from '../../../simulator/prng';

const INDICES = 300;

function dataset(): Dataset {
  return new Dataset(
    42,
    datasetSizesSchema.parse({
      contracts: 5_000,
      idvs: 1_000,
      otas: 500,
      otidvs: 400,
      opportunities: 600,
      notices: 1_200,
      entities: 1_000,
      grants: 700,
      forecasts: 700,
    }),
    '2026-08-14',
    () => Date.parse('2026-09-01T12:00:00Z'),
  );
}

/** A few hundred seeded records, spread over the family, plus created and modified ones. */
function sampleRecords(data: Dataset, family: Family): JsonObject[] {
  const base = data.baseCount(family);
  const step = Math.max(1, Math.floor(base / INDICES));
  const records: JsonObject[] = [];
  for (let index = 0; index < base && records.length < INDICES; index += step) {
    records.push(data.served(family, index)!);
  }
  const idField = FAMILY_SPECS[family].idField;
  for (let n = 0; n < 10; n += 1) {
    const created = data.create(family);
    records.push(created);
    records.push(data.modify(family, scalarText(created[idField]))!);
    const existing = scalarText(records[n]![idField]);
    records.push(data.modify(family, existing)!);
    records.push(data.modify(family, existing)!);
  }
  return records;
}

function issuesText(family: Family, record: JsonObject): string[] {
  return contractConformanceIssues(tangoContract().resource(family), record).map(
    (issue) => `${family} ${issue.path}: ${issue.problem} (${issue.detail})`,
  );
}

describe('the simulator obeys Tango’s vendored contract', () => {
  const data = dataset();

  describe.each(FAMILIES)('%s', (family) => {
    const resource = tangoContract().resource(family);
    const full = parseShape(FULL_SHAPES[family]);
    const records = sampleRecords(data, family);

    it('should name only contract fields and expands in its full and default list shapes', () => {
      expect(resource.validateShape(full)).toEqual([]);
      expect(resource.validateShape(parseShape(DEFAULT_LIST_SHAPES[family]))).toEqual([]);
    });

    it('should hold exactly the full-shape fields in every seeded, created and modified record', () => {
      const names = full.map((node) => node.field);
      for (const record of records) {
        expect(Object.keys(record).sort()).toEqual([...names].sort());
      }
    });

    it('should serve only contract paths, with the types observed on the live API', () => {
      const issues = new Set<string>();
      for (const record of records) {
        for (const shaped of [
          record,
          applyShape(record, full, resource),
          applyShape(record, parseShape(DEFAULT_LIST_SHAPES[family]), resource),
          // Every field asked plainly: code objects answer their codes.
          applyShape(record, parseShape(full.map((node) => node.field).join(',')), resource),
        ]) {
          issuesText(family, shaped).forEach((issue) => issues.add(issue));
        }
      }
      expect([...issues]).toEqual([]);
    });

    it('should answer the full shape with exactly the detail record', () => {
      for (const record of records) {
        expect(canonicalJson(applyShape(record, full, resource))).toBe(canonicalJson(record));
      }
    });

    it('should apply only filters the contract lists', () => {
      const unknown = appliedFilterParams(family).filter((param) => !resource.filterParams.has(param));
      expect(unknown).toEqual([]);
    });

    it('should sort by exactly the ordering values the contract lists', () => {
      const names = [...resource.orderingValues].map((value) => value.replace(/^-/, ''));
      expect(Object.keys(FAMILY_SPECS[family].orderings).sort()).toEqual([...new Set(names)].sort());
    });
  });

  it('should keep records conformant through the trickle of random changes', () => {
    const trickled = dataset();
    const rng = createRng('conformance');
    for (let n = 0; n < 400; n += 1) {
      const family = FAMILIES[rng.int(0, FAMILIES.length - 1)]!;
      const id = trickled.randomLiveId(family, rng.next());
      const record =
        id === undefined || rng.chance(0.3) ? trickled.create(family) : trickled.modify(family, id)!;
      expect(issuesText(family, record)).toEqual([]);
    }
  });

  it('should report what the contract does not allow (the checker is not vacuous)', () => {
    expect(issuesText('entities', { uei: 'X', registration_date: '2020-01-01', registered: 'Yes' })).toEqual([
      'entities registration_date: not_in_contract (neither a field nor an expand)',
      'entities registered: type_mismatch ("Yes" does not fit {"kind":"scalar","type":"bool","isList":false,"isOptional":true})',
    ]);
    expect(
      issuesText('otidvs', {
        period_of_performance: { start_date: '2026-01-01', last_date_to_order: '2027-01-01' },
      }),
    ).toEqual([
      'otidvs period_of_performance.last_date_to_order: not_in_contract (not a child of the period_of_performance expand)',
    ]);
  });

  it('should document every contract filter it does not apply as "accepted, not applied"', () => {
    const docs = readFileSync(join(__dirname, '../../../docs/simulator.md'), 'utf8');
    const section = /<!-- accepted-not-applied:start -->([\s\S]*?)<!-- accepted-not-applied:end -->/.exec(
      docs,
    );
    expect(section).not.toBeNull();
    const documented = new Map<string, string[]>();
    for (const line of section![1]!.split('\n')) {
      const match = /^\| (\w+) +\| (.*?) *\|$/.exec(line);
      if (match !== null && match[1] !== 'Family') {
        documented.set(
          match[1]!,
          match[2]!
            .split(',')
            .map((param) => param.replace(/`/g, '').trim())
            .filter((param) => param !== '' && param !== '—'),
        );
      }
    }
    for (const family of FAMILIES) {
      const applied = new Set(appliedFilterParams(family));
      const notApplied = [...tangoContract().resource(family).filterParams].filter(
        (param) => !applied.has(param),
      );
      expect({ family, params: (documented.get(family) ?? []).sort() }).toEqual({
        family,
        params: notApplied.sort(),
      });
    }
  });
});
