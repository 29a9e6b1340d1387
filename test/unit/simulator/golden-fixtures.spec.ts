import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fitsObservedType } from '../../../src/tango-contract/observed-values';
import {
  type ContractExpand,
  type ResourceContract,
  tangoContract,
} from '../../../src/tango-contract/tango-contract';
import { FAMILY_SPECS } from '../../../simulator/dataset/families';
import { scalarText } from '../../../simulator/dataset/json';
import { Dataset } from '../../../simulator/dataset/store';
import { datasetSizesSchema, type Family } from '../../../simulator/options';
import { buildSampleDelivery } from '../../../simulator/webhooks/samples';
import { ALERT_QUERY_TYPES, buildLegacyEvent, sampleChange } from '../../../simulator/webhooks/envelopes';

const FIXTURES = join(__dirname, '../../fixtures');

/** Fixtures are byte-for-byte copies of the documents; `//` comments (one has them) are stripped to parse. */
function fixture(name: string): unknown {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  return JSON.parse(text.replace(/\s\/\/[^\n]*/g, ''));
}

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'null';
function kind(value: unknown): Kind {
  if (value === null) {
    return 'null';
  }
  return Array.isArray(value) ? 'array' : (typeof value as Kind);
}

/** `$.a.b[].c` -> `a.b.c` (the contract's dotted paths). */
function contractPath(path: string): string {
  return path.replace(/^\$\.?/, '').replace(/\[\]/g, '');
}

/**
 * Where Tango's vendored contract disagrees with the older documents, the contract wins: a documented path the
 * contract does not have is skipped (opportunity `meta.notice_type.description`; the contract has `type`), and a
 * different JSON type is accepted when the simulator's value fits the type observed on the live API (a code object
 * where the document shows the bare code, a CFDA number as a number).
 */
function contractAllows(resource: ResourceContract | undefined, path: string): boolean {
  if (resource === undefined) {
    return true;
  }
  const [top = '', ...rest] = contractPath(path).split('.');
  let expand: ContractExpand | undefined = resource.expands.get(top);
  if (!resource.fields.has(top) && expand === undefined) {
    return false;
  }
  for (const part of rest) {
    if (expand === undefined || expand.fields.has('*')) {
      return true;
    }
    if (!expand.fields.has(part) && !expand.expands.has(part)) {
      return false;
    }
    expand = expand.expands.get(part);
  }
  return true;
}

function fitsContractType(resource: ResourceContract | undefined, path: string, actual: unknown): boolean {
  const observed = resource?.observedType(contractPath(path));
  return observed !== undefined && fitsObservedType(actual, observed);
}

/**
 * Every field of the documented example exists in the simulator's output with the same JSON type
 * (a documented `null` accepts any type; a simulator `null` is accepted where the document shows a value
 * only for fields listed in `nullable`). Arrays compare their first elements. With `resource`, the contract
 * decides where it disagrees with the document (see `contractAllows`).
 */
function expectSameShape(
  actual: unknown,
  documented: unknown,
  path: string,
  nullable: ReadonlySet<string>,
  resource?: ResourceContract,
): void {
  if (documented === null) {
    return;
  }
  if (path !== '$' && !contractAllows(resource, path)) {
    return;
  }
  if (path !== '$' && kind(actual) !== kind(documented) && fitsContractType(resource, path, actual)) {
    return;
  }
  if (path.endsWith('.filters')) {
    expect(kind(actual)).toBe('object');
    return;
  }
  if (actual === null && nullable.has(path)) {
    return;
  }
  expect({ path, type: kind(actual) }).toEqual({ path, type: kind(documented) });
  if (Array.isArray(documented) && Array.isArray(actual) && documented.length > 0 && actual.length > 0) {
    expectSameShape(actual[0], documented[0], `${path}[]`, nullable, resource);
  } else if (kind(documented) === 'object') {
    for (const [key, value] of Object.entries(documented as Record<string, unknown>)) {
      if (resource !== undefined && !contractAllows(resource, `${path}.${key}`)) {
        continue;
      }
      expect({ path: `${path}.${key}`, present: key in (actual as Record<string, unknown>) }).toEqual({
        path: `${path}.${key}`,
        present: true,
      });
      expectSameShape((actual as Record<string, unknown>)[key], value, `${path}.${key}`, nullable, resource);
    }
  }
}

const dataset = new Dataset(42, datasetSizesSchema.parse({}), '2026-08-14');

describe('golden fixtures: alerts envelope (tango-api.md §3.3)', () => {
  it('should match the opportunity delivery example', () => {
    const sample = buildSampleDelivery(dataset, 'alerts.opportunity.match', 'full');
    expectSameShape(sample, fixture('tango-api/alerts-opportunity-delivery.json'), '$', new Set());
  });

  it('should match the contract delivery example', () => {
    const sample = buildSampleDelivery(dataset, 'alerts.contract.match', 'full');
    expectSameShape(sample, fixture('tango-api/alerts-contract-delivery.json'), '$', new Set());
  });

  it('should produce the same envelope and matches fields for every query type', () => {
    const documented = fixture('tango-api/alerts-opportunity-delivery.json') as {
      events: { matches: object }[];
    };
    for (const queryType of ALERT_QUERY_TYPES) {
      const sample = buildSampleDelivery(dataset, `alerts.${queryType}.match`, 'full') as {
        events: { matches: object; event_type: string }[];
      };
      expect(sample.events[0]!.event_type).toBe(`alerts.${queryType}.match`);
      expect(Object.keys(sample.events[0]!.matches).sort()).toEqual(
        Object.keys(documented.events[0]!.matches).sort(),
      );
    }
  });
});

describe('golden fixtures: legacy envelope (partner guide §5.6, §6)', () => {
  const record = FAMILY_SPECS.otas.generate(dataset.ctx, 3);
  const at = Date.parse('2024-01-15T10:29:12.123Z');

  it('should match the delivery example (new_transaction and new_award events)', () => {
    const transaction = buildLegacyEvent(
      sampleChange('otas', record, 'modified', 'new_transaction', at),
      'full',
    );
    const award = buildLegacyEvent(sampleChange('otas', record, 'new', 'new_award', at), 'full');
    const documented = fixture('partner-guide/delivery.json') as { events: unknown[] };
    expectSameShape(
      { timestamp: '2024-01-15T10:30:00Z', events: [transaction] },
      { ...documented, events: [documented.events[0]] },
      '$',
      new Set(),
    );
    expectSameShape(award, documented.events[1], '$.events[1]', new Set());
  });

  it.each([
    ['partner-guide/new-award-event.jsonc', 'contracts', 'new', 'new_award'],
    ['partner-guide/new-transaction-event.json', 'contracts', 'modified', 'new_transaction'],
    ['partner-guide/entity-new-event.json', 'entities', 'new', 'new_entity'],
    ['partner-guide/entity-updated-event.json', 'entities', 'modified', 'updated'],
  ] as const)('should match %s', (file, family: Family, kindOfChange, legacy) => {
    const source = FAMILY_SPECS[family].generate(dataset.ctx, 5);
    const event = buildLegacyEvent(sampleChange(family, source, kindOfChange, legacy, at), 'bare');
    const documented = fixture(file) as Record<string, unknown>;
    expectSameShape(event, documented, '$', new Set());
    expect(Object.keys(event!)).toEqual(Object.keys(documented));
  });

  it('should match the sample-payload response example in sample_delivery', () => {
    const documented = fixture('partner-guide/sample-payload-response.json') as { sample_delivery: unknown };
    const sample = buildSampleDelivery(dataset, 'awards.new_award', 'full');
    expectSameShape(sample, documented.sample_delivery, '$', new Set());
  });

  it('should send bare PIIDs and full keys in mixed mode, and prefix-free keys in bare mode', () => {
    const keys = Array.from({ length: 40 }, (_, index) => {
      const contract = FAMILY_SPECS.contracts.generate(dataset.ctx, index);
      return scalarText(
        buildLegacyEvent(sampleChange('contracts', contract, 'new', 'new_award', at), 'mixed')!.award_key,
      );
    });
    expect(keys.some((key) => key.startsWith('CONT_AWD_'))).toBe(true);
    expect(keys.some((key) => !key.startsWith('CONT_AWD_'))).toBe(true);
  });

  it('should use <source_system>:<external_id> for legacy forecast subjects', () => {
    const forecast = FAMILY_SPECS.forecasts.generate(dataset.ctx, 2);
    const event = buildLegacyEvent(sampleChange('forecasts', forecast, 'modified', 'updated', at), 'full')!;
    expect(event.forecast_id).toBe(
      `${scalarText(forecast.source_system)}:${scalarText(forecast.external_id)}`,
    );
  });
});

describe("golden fixtures: REST detail examples (tango-api.md §2), where Tango's contract agrees", () => {
  it.each([
    ['tango-api/contract-detail.json', 'contracts', ['$.solicitation_identifier', '$.parent_award']],
    ['tango-api/idv-detail.json', 'idvs', ['$.parent_award']],
    ['tango-api/opportunity.json', 'opportunities', ['$.set_aside']],
    ['tango-api/notice.json', 'notices', ['$.posted_date', '$.office']],
    ['tango-api/entity-detail.json', 'entities', ['$.cage_code', '$.entity_url']],
    ['tango-api/grant.json', 'grants', []],
    ['tango-api/forecast.json', 'forecasts', ['$.status', '$.contract_vehicle']],
  ] as const)('should serve every field of %s with the same type', (file, family: Family, nullable) => {
    const documented = fixture(file) as Record<string, unknown>;
    const resource = tangoContract().resource(family);
    for (const index of [0, 1, 2, 3, 4]) {
      expectSameShape(
        FAMILY_SPECS[family].generate(dataset.ctx, index),
        documented,
        '$',
        new Set(nullable),
        resource,
      );
    }
  });
});

const SHARED = join(__dirname, '../../../../shared');
const SOURCES: Record<string, string> = {
  'tango-api': join(SHARED, 'docs/tango-api.md'),
  'partner-guide': join(SHARED, 'seeds/002_a65a33922f352f07.txt'),
};
const FIXTURE_FILES = [
  'tango-api/contract-detail.json',
  'tango-api/idv-detail.json',
  'tango-api/opportunity.json',
  'tango-api/notice.json',
  'tango-api/entity-detail.json',
  'tango-api/grant.json',
  'tango-api/forecast.json',
  'tango-api/alerts-opportunity-delivery.json',
  'tango-api/alerts-contract-delivery.json',
  'tango-api/signing-vector-body.json',
  'partner-guide/sample-payload-response.json',
  'partner-guide/delivery.json',
  'partner-guide/new-award-event.jsonc',
  'partner-guide/new-transaction-event.json',
  'partner-guide/entity-new-event.json',
  'partner-guide/entity-updated-event.json',
];

// The reference documents live next to the repository in the development workspace only.
(existsSync(SHARED) ? describe : describe.skip)(
  'golden fixtures are verbatim copies of the documents',
  () => {
    it.each(FIXTURE_FILES)('should find %s byte for byte in its source', (file) => {
      const source = readFileSync(SOURCES[file.split('/')[0]!]!, 'utf8');
      expect(source.includes(readFileSync(join(FIXTURES, file), 'utf8').replace(/\n$/, ''))).toBe(true);
    });
  },
);
