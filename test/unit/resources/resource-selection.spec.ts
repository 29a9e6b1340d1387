import { DESCRIBED_FAMILIES, RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import { DIMENSION_RESOURCES, selectResources } from '../../../src/tango-contract/resource-selection';
import { ConfigValidationError, parseConfig } from '../../../src/config/app-config';

const BASE = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x',
  KAFKA_BROKERS: '127.0.0.1:1',
  WEBHOOK_SECRETS: 's',
};

const DIMENSIONS = [
  'agencies',
  'departments',
  'offices',
  'organizations',
  'naics',
  'psc',
  'assistance_listings',
  'business_types',
  'mas_sins',
];

describe('TANGO_RESOURCES', () => {
  it('defaults to the nine families, exclusions, DIBBS RFQs and RFPs and the dimensions', () => {
    const resources = parseConfig(BASE).tango.resources;
    expect(resources).toEqual([
      ...DESCRIBED_FAMILIES,
      'exclusions',
      'dibbs_rfqs',
      'dibbs_rfps',
      ...DIMENSIONS,
    ]);
    expect(DIMENSION_RESOURCES).toEqual(DIMENSIONS);
  });

  it('adds groups and names and takes away -names, left to right, in the order of the resources', () => {
    expect(selectResources(['families', 'protests', 'dibbs/awards'])).toEqual({
      ok: true,
      resources: [...DESCRIBED_FAMILIES, 'dibbs_awards', 'protests'],
    });
    expect(selectResources(['all', '-dimensions', '-notices'])).toEqual({
      ok: true,
      resources: RESOURCE_FAMILIES.filter(
        (name) => name !== 'notices' && !(DIMENSION_RESOURCES as readonly string[]).includes(name),
      ),
    });
  });

  it('refuses unknown names and an empty selection, naming them', () => {
    expect(() => parseConfig({ ...BASE, TANGO_RESOURCES: 'default,exclusion,news' })).toThrow(
      ConfigValidationError,
    );
    const result = selectResources(['default', 'exclusion', 'news']);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      expect.stringContaining('unknown resource "exclusion"'),
      expect.stringContaining('unknown resource "news"'),
    ]);
    expect(selectResources(['families', '-families'])).toEqual({
      ok: false,
      problems: ['turns no resource on'],
    });
  });
});
