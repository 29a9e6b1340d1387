import { fitsObservedType } from '../../../src/tango-contract/observed-values';
import { formatShape, parseShape } from '../../../src/tango-contract/shape-grammar';
import {
  tangoContract,
  UnknownContractVersionError,
  vendoredContract,
  vendoredContractVersions,
  WORKER_CONTRACT_VERSION,
} from '../../../src/tango-contract/tango-contract';

describe('the vendored Tango contract', () => {
  const contract = tangoContract();

  it('is the contract of API 4.25.1 with every family the mirror covers', () => {
    expect(contract.apiVersion).toBe('4.25.1');
    for (const name of [
      'contracts',
      'idvs',
      'otas',
      'otidvs',
      'opportunities',
      'notices',
      'entities',
      'grants',
      'forecasts',
    ]) {
      expect(contract.resource(name).fields.size).toBeGreaterThan(5);
    }
  });

  it('refuses a resource it does not have instead of guessing', () => {
    expect(() => contract.resource('contract')).toThrow(/no resource "contract"/);
  });

  it('reads the pagination class, tier and id-list filters Tango publishes', () => {
    expect(contract.resource('contracts').pagination).toEqual({
      kind: 'keyset',
      className: 'KeysetPagination',
      maxPageSize: 100,
    });
    expect(contract.resource('grants').pagination.kind).toBe('page');
    expect(contract.resource('entities').shapeTierRequired).toBe('pro');
    expect(contract.resource('forecasts').filterParams.has('id')).toBe(true);
    expect(contract.resource('notices').filterParams.has('notice_id')).toBe(false);
  });

  it('names the shape items Tango refuses, with the reason', () => {
    const grants = contract.resource('grants');
    expect(grants.validateShape(parseShape('grant_id,status(code),synopsis(*),nope,status(zz)'))).toEqual([
      { path: 'synopsis', reason: 'not_expandable' },
      { path: 'nope', reason: 'unknown_field' },
      { path: 'status.zz', reason: 'unknown_field' },
    ]);
    expect(contract.resource('idvs').validateShape(parseShape('key,award_type(*)'))).toEqual([
      { path: 'award_type', reason: 'unknown_field' },
    ]);
    expect(contract.resource('forecasts').validateShape(parseShape('id,raw_data(anything)'))).toEqual([]);
  });

  it('lists the query parameters Tango would silently ignore', () => {
    expect(
      contract.resource('forecasts').unknownListParams({
        source_system: 'DHS',
        external_id: '7',
        modified_after: '2026-01-01',
        page: '2',
        limit: '100',
        shape: 'id',
      }),
    ).toEqual(['external_id']);
    expect(
      contract.resource('contracts').unknownListParams({ cursor: 'x', page: '2', modified_after: 'd' }),
    ).toEqual(['page', 'modified_after']);
    expect(contract.resource('contracts').unknownListParams({ ordering: '-award_date' })).toEqual([]);
    expect(contract.resource('notices').unknownListParams({ ordering: 'posted_date' })).toEqual([
      'ordering=posted_date',
    ]);
  });

  it('checks values against the types observed on the live API', () => {
    const entities = contract.resource('entities');
    const status = entities.observedType('registration_status');
    expect(status).toBeDefined();
    expect(fitsObservedType(true, status!)).toBe(true);
    expect(fitsObservedType('A', status!)).toBe(false);
    expect(fitsObservedType('2026-01-02', entities.observedType('last_update_date')!)).toBe(true);
    expect(fitsObservedType('yesterday', entities.observedType('last_update_date')!)).toBe(false);
  });
});

describe('the vendored contracts by version', () => {
  it('lists every vendored version, oldest first, the worker running on one of them', () => {
    expect(vendoredContractVersions()).toEqual(['4.22.0', '4.25.1']);
    expect(vendoredContractVersions()).toContain(WORKER_CONTRACT_VERSION);
    expect(tangoContract()).toBe(vendoredContract(WORKER_CONTRACT_VERSION));
  });

  it('loads API 4.25.1 with its new resources and the plan-gated shape items', () => {
    const contract = vendoredContract('4.25.1');
    expect(contract.apiVersion).toBe('4.25.1');
    expect(contract.resourceNames()).toHaveLength(48);
    expect(contract.resource('sled/opportunities').shapeTierRequired).toBe('pro');
    expect(contract.resource('entities').shapeGatedByLevel).toEqual(
      new Map([['free', ['past_performance', 'relationships']]]),
    );
    expect(contract.resource('entities').expands.has('workforce')).toBe(true);
    expect(vendoredContract('4.22.0').resource('entities').expands.has('workforce')).toBe(false);
    expect(vendoredContract('4.22.0').resource('entities').shapeGatedByLevel.size).toBe(0);
  });

  it('reads resources that take no shape as having no fields', () => {
    expect(vendoredContract('4.25.1').resource('news').fields.size).toBe(0);
  });

  it('refuses a version that is not vendored, naming the ones that are', () => {
    expect(() => vendoredContract('4.26.0')).toThrow(UnknownContractVersionError);
    expect(() => vendoredContract('4.26.0')).toThrow('(vendored: 4.22.0, 4.25.1)');
  });
});

describe('the shape grammar', () => {
  it('prints what it parses', () => {
    const text = 'key,recipient(uei,display_name::name),naics(*)';
    expect(formatShape(parseShape(text))).toBe(text);
  });

  it('rejects unbalanced parentheses and empty names', () => {
    expect(() => parseShape('a(b')).toThrow();
    expect(() => parseShape('a)b')).toThrow();
    expect(() => parseShape('a,,b')).toThrow();
  });
});
