import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffContracts, formatContractDiff } from '../../../src/tango-contract/contract-diff';
import {
  loadTangoContract,
  OBSERVED_TYPES_FILE,
  type TangoContract,
  vendoredContract,
} from '../../../src/tango-contract/tango-contract';

interface Runtime {
  fields?: string[];
  expands?: Record<string, unknown>;
  filters?: Record<string, string>;
  ordering?: string[];
  gated?: Record<string, string[]>;
  tier?: string | null;
}

function resource(name: string, runtime: Runtime): unknown {
  const filters = runtime.filters ?? {};
  return {
    resource_key: name,
    runtime: {
      filter_params: Object.keys(filters),
      filter_params_detail: Object.fromEntries(
        Object.entries(filters).map(([param, filterClass]) => [param, { filter_class: filterClass }]),
      ),
      ordering_fields: runtime.ordering ?? [],
      pagination: { class: 'KeysetPagination', max_page_size: 100 },
      shape: { fields: runtime.fields ?? [], expands: runtime.expands ?? {} },
      shape_supported: true,
      shape_tier_required: runtime.tier ?? null,
      ...(runtime.gated === undefined ? {} : { shape_gated_by_level: runtime.gated }),
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'contract-diff-'));

function contract(version: string, resources: Record<string, Runtime>): TangoContract {
  const file = join(dir, `${version}.json`);
  const raw = Object.fromEntries(Object.entries(resources).map(([name, r]) => [name, resource(name, r)]));
  writeFileSync(file, JSON.stringify({ meta: { api_version: version, schema_version: 2 }, resources: raw }));
  return loadTangoContract({ contract: file, observed: OBSERVED_TYPES_FILE });
}

const leaf = (...fields: string[]) => ({ fields, expands: {} });

describe('diffContracts', () => {
  const a = contract('1.0.0', {
    kept: {
      fields: ['id', 'name', 'gone'],
      expands: { recipient: { fields: ['uei', 'old'], expands: { parent: leaf('uei') } } },
      filters: { award_date: 'DateFilter', piid: 'CharFilter', dropped: 'CharFilter' },
      ordering: ['award_date', 'obligated'],
      tier: null,
    },
    same: { fields: ['id'] },
    retired: { fields: ['id'] },
  });
  const b = contract('2.0.0', {
    kept: {
      fields: ['id', 'name', 'fresh'],
      expands: { recipient: { fields: ['uei', 'new'], expands: {} }, naics: leaf('code') },
      filters: { award_date: 'DateFilter', piid: 'SolicitationNumberFilter', added: 'CharFilter' },
      ordering: ['award_date', 'modified'],
      gated: { free: ['naics'] },
      tier: 'pro',
    },
    same: { fields: ['id'] },
    born: { fields: ['id'] },
  });
  const diff = diffContracts(a, b);

  it('lists resources added and removed', () => {
    expect(diff).toMatchObject({ from: '1.0.0', to: '2.0.0' });
    expect(diff.resources).toEqual({ added: ['born'], removed: ['retired'] });
  });

  it('lists only the resources that changed, with every kind of change', () => {
    expect(diff.changed).toEqual([
      {
        resource: 'kept',
        fields: {
          added: ['fresh', 'naics.code', 'recipient.new'],
          removed: ['gone', 'recipient.old', 'recipient.parent.uei'],
        },
        expands: { added: ['naics'], removed: ['recipient.parent'] },
        filters: {
          added: ['added'],
          removed: ['dropped'],
          classChanged: [{ param: 'piid', from: 'CharFilter', to: 'SolicitationNumberFilter' }],
        },
        orderings: { added: ['-modified', 'modified'], removed: ['-obligated', 'obligated'] },
        gated: { added: ['free:naics'], removed: [] },
        tier: { from: null, to: 'pro' },
      },
    ]);
  });

  it('is empty between a contract and itself', () => {
    expect(diffContracts(a, a)).toEqual({
      from: '1.0.0',
      to: '1.0.0',
      resources: { added: [], removed: [] },
      changed: [],
    });
  });

  it('prints one line per kind of change', () => {
    expect(formatContractDiff(diff)).toEqual([
      'Tango contract 1.0.0 -> 2.0.0',
      'resources added (1): born',
      'resources removed (1): retired',
      'kept:',
      '  + fields: fresh, naics.code, recipient.new',
      '  - fields: gone, recipient.old, recipient.parent.uei',
      '  + expands: naics',
      '  - expands: recipient.parent',
      '  + filters: added',
      '  - filters: dropped',
      '  ~ filter piid: CharFilter -> SolicitationNumberFilter',
      '  + orderings: -modified, modified',
      '  - orderings: -obligated, obligated',
      '  + gated by plan: free:naics',
      '  ~ shape tier: none -> pro',
    ]);
  });
});

describe('the vendored 4.22.0 and 4.25.1 contracts (DIFF-4.22.0-4.25.1.md)', () => {
  const diff = diffContracts(vendoredContract('4.22.0'), vendoredContract('4.25.1'));
  const changed = (name: string) => diff.changed.find((entry) => entry.resource === name);

  it('adds 16 resources and removes none', () => {
    expect(diff.resources.removed).toEqual([]);
    expect(diff.resources.added).toHaveLength(16);
    expect(diff.resources.added).toEqual(
      expect.arrayContaining(['sled/opportunities', 'sled/forecasts', 'idvs_lcats', 'vehicles_orders']),
    );
  });

  it('adds the workforce expand to entities and nothing else to any shape', () => {
    expect(changed('entities')?.expands).toEqual({ added: ['workforce'], removed: [] });
    expect(changed('entities')?.fields).toEqual({
      added: [
        'workforce.last_verified',
        'workforce.location_count',
        'workforce.locations',
        'workforce.number_of_employees',
      ],
      removed: [],
    });
    const otherShapes = diff.changed.filter(
      (entry) =>
        entry.resource !== 'entities' &&
        entry.fields.added.length + entry.fields.removed.length + entry.expands.added.length > 0,
    );
    expect(otherShapes).toEqual([]);
  });

  it('adds and removes no filter or ordering, and changes five filter classes', () => {
    for (const entry of diff.changed) {
      expect([entry.resource, entry.filters.added, entry.filters.removed]).toEqual([entry.resource, [], []]);
      expect([entry.resource, entry.orderings]).toEqual([entry.resource, { added: [], removed: [] }]);
    }
    expect(
      diff.changed.flatMap((entry) =>
        entry.filters.classChanged.map((change) => `${entry.resource}.${change.param}:${change.to}`),
      ),
    ).toEqual([
      'contracts.solicitation_identifier:SolicitationNumberFilter',
      'idvs.solicitation_identifier:SolicitationNumberFilter',
      'notices.solicitation_number:SolicitationNumberFilter',
      'opportunities.solicitation_number:SolicitationNumberFilter',
      'protests.solicitation_number:SolicitationNumberFilter',
    ]);
  });

  it('gates the shape items the new shape_gated_by_level names', () => {
    expect(changed('entities')?.gated.added).toEqual(['free:past_performance', 'free:relationships']);
    expect(changed('opportunities')?.gated.added).toEqual(['free:attachments.extracted_text']);
    expect(changed('notices')?.gated.added).toEqual(['free:attachments.extracted_text']);
  });
});
