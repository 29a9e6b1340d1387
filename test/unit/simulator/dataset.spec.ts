import fc from 'fast-check';
import { recordId } from '../../../simulator/dataset/families';
import { scalarText } from '../../../simulator/dataset/json';
import { Dataset, type RecordChange } from '../../../simulator/dataset/store';
import { FAMILIES, type Family, datasetSizesSchema } from '../../../simulator/options';

const BIG = datasetSizesSchema.parse({
  contracts: 5_000_000,
  idvs: 1_000_000,
  otas: 1_000_000,
  otidvs: 1_000_000,
  opportunities: 1_000_000,
  notices: 2_000_000,
  entities: 1_000_000,
  grants: 1_000_000,
  forecasts: 1_000_000,
});

const ID_PATTERNS: Record<Family, RegExp> = {
  contracts: /^CONT_AWD_[A-Z0-9]{17}_[0-9A-Z]{4}_([A-Z0-9]{17}|-NONE-)_([0-9A-Z]{4}|-NONE-)$/,
  idvs: /^CONT_IDV_[A-Z0-9]{17}_[0-9A-Z]{4}$/,
  otas: /^OT_AWD_[A-Z0-9]{17}_[0-9A-Z]{4}_-NONE-_-NONE-$/,
  otidvs: /^OT_IDV_[A-Z0-9]{17}_[0-9A-Z]{4}$/,
  opportunities: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  notices: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  entities: /^[A-Z][A-Z0-9]{11}$/,
  grants: /^\d+$/,
  forecasts: /^\d+$/,
};

describe(Dataset.name, () => {
  describe('get', () => {
    it('should generate the same record for the same seed and a different one for another seed', () => {
      const a = new Dataset(7, BIG, '2026-08-14');
      const b = new Dataset(7, BIG, '2026-08-14');
      const c = new Dataset(8, BIG, '2026-08-14');
      for (const family of FAMILIES) {
        expect(a.get(family, 123_456)).toEqual(b.get(family, 123_456));
        expect(a.get(family, 123_456)).not.toEqual(c.get(family, 123_456));
      }
    });

    it('should use the documented id formats and JSON types', () => {
      const dataset = new Dataset(1, BIG, '2026-08-14');
      for (const family of FAMILIES) {
        const record = dataset.get(family, 4242)!;
        expect(recordId(dataset.spec(family), record)).toMatch(ID_PATTERNS[family]);
      }
      expect(typeof dataset.get('grants', 1)!.grant_id).toBe('number');
      expect(typeof dataset.get('forecasts', 1)!.id).toBe('number');
      expect(typeof dataset.get('forecasts', 1)!.modified).toBe('string');
      expect(typeof dataset.get('contracts', 1)!.naics_code).toBe('number');
    });
  });

  describe('resolve', () => {
    it('should map every id back to its index without materialising the family', () => {
      const dataset = new Dataset(3, BIG, '2026-08-14');
      fc.assert(
        fc.property(fc.constantFrom(...FAMILIES), fc.nat(999_999), (family, index) => {
          const id = recordId(dataset.spec(family), dataset.get(family, index)!);
          expect(dataset.resolve(family, id)).toBe(index);
        }),
        { numRuns: 300 },
      );
    });

    it('should reject ids that decode to an index but belong to nothing', () => {
      const dataset = new Dataset(3, BIG, '2026-08-14');
      const key = recordId(dataset.spec('contracts'), dataset.get('contracts', 10)!);
      expect(dataset.resolve('contracts', key.replace('CONT_AWD_', 'CONT_AWX_'))).toBeUndefined();
      const notice = recordId(dataset.spec('notices'), dataset.get('notices', 10)!);
      expect(dataset.resolve('opportunities', notice)).toBeUndefined();
      expect(
        dataset.resolve(
          'entities',
          recordId(dataset.spec('entities'), dataset.get('entities', 10)!).toLowerCase(),
        ),
      ).toBe(10);
    });
  });

  describe('mutations', () => {
    it('should emit new and modified changes, and nothing for deletions', () => {
      const sizes = datasetSizesSchema.parse({ contracts: 5, entities: 5 });
      const dataset = new Dataset(1, sizes, '2026-08-14');
      const changes: RecordChange[] = [];
      dataset.onChange((change) => changes.push(change));
      const created = dataset.create('contracts');
      const key = scalarText(created.key);
      expect(dataset.resolve('contracts', key)).toBe(5);
      const modified = dataset.modify('contracts', key)!;
      expect((modified.transactions as unknown[]).length).toBeGreaterThan(
        (created.transactions as unknown[]).length,
      );
      expect(dataset.delete('contracts', key)).toBe(true);
      expect(dataset.resolve('contracts', key)).toBeUndefined();
      expect(dataset.liveCount('contracts')).toBe(5);
      expect(changes.map((change) => [change.kind, change.legacyChange])).toEqual([
        ['new', 'new_award'],
        ['modified', 'new_transaction'],
      ]);
      expect(changes[1]!.transactionIds).toHaveLength(1);
    });

    it('should update the parent opportunity when a notice is created', () => {
      const dataset = new Dataset(
        1,
        datasetSizesSchema.parse({ opportunities: 3, notices: 6 }),
        '2026-08-14',
      );
      const parent = scalarText(dataset.get('opportunities', 1)!.opportunity_id);
      const changes: RecordChange[] = [];
      dataset.onChange((change) => changes.push(change));
      const notice = dataset.create('notices', { opportunity_id: parent });
      const opportunity = dataset.get('opportunities', 1)!;
      expect(opportunity.latest_notice_id).toBe(notice.notice_id);
      expect((opportunity.meta as { notices_count: number }).notices_count).toBe(3);
      expect(changes.map((change) => `${change.family}:${change.legacyChange}`)).toEqual([
        'notices:new_notice',
        'opportunities:new_notice',
      ]);
    });

    it('should refuse to change identity fields', () => {
      const dataset = new Dataset(1, datasetSizesSchema.parse({}), '2026-08-14');
      const key = scalarText(dataset.get('contracts', 0)!.key);
      expect(() => dataset.modify('contracts', key, { award_date: '2020-01-01' })).toThrow('cannot be set');
    });

    it('should refuse fields its records do not have (records stay within Tango’s contract)', () => {
      const dataset = new Dataset(1, datasetSizesSchema.parse({}), '2026-08-14');
      const key = scalarText(dataset.get('idvs', 0)!.key);
      expect(() => dataset.modify('idvs', key, { base_and_exercised_options_value: 1 })).toThrow(
        'not a field of idvs records',
      );
      expect(() => dataset.create('entities', { registration_date: '2020-01-01' })).toThrow(
        'not a field of entities records',
      );
      expect(dataset.modify('idvs', key, { description: 'RENAMED' })!.description).toBe('RENAMED');
    });

    it('should serve records without the fields removed from the contract, and keep them stored', () => {
      const dataset = new Dataset(1, datasetSizesSchema.parse({ grants: 3 }), '2026-08-14');
      dataset.contract.remove('grants', 'synopsis');
      expect(dataset.served('grants', 1)).not.toHaveProperty('synopsis');
      const modified = dataset.modify('grants', scalarText(dataset.get('grants', 1)!.grant_id))!;
      expect(modified).not.toHaveProperty('synopsis');
      dataset.contract.restore('grants', 'synopsis');
      expect(dataset.served('grants', 1)).toHaveProperty('synopsis');
    });
  });

  describe('orderedIndices', () => {
    it('should list created awards first (newest first) and skip deleted records', () => {
      const dataset = new Dataset(1, datasetSizesSchema.parse({ contracts: 4 }), '2026-08-14');
      dataset.create('contracts');
      dataset.create('contracts');
      dataset.delete('contracts', scalarText(dataset.get('contracts', 1)!.key));
      expect([...dataset.orderedIndices('contracts')]).toEqual([5, 4, 0, 2, 3]);
      expect([...dataset.orderedIndices('contracts', 4)]).toEqual([0, 2, 3]);
      expect([...dataset.orderedIndicesBefore('contracts', 2)]).toEqual([0, 4, 5]);
    });
  });
});
