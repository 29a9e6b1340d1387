import * as grammar from '../../../src/tango-contract/shape-grammar';
import { tangoContract } from '../../../src/tango-contract/tango-contract';
import { SimContract } from '../../../simulator/contract/sim-contract';
import { applyShape, flatten, parseShape } from '../../../simulator/rest/shape';

describe('parseShape', () => {
  it('should be the contract module parser, not a copy', () => {
    expect(parseShape).toBe(grammar.parseShape);
  });

  it('should parse aliases, children and wildcards', () => {
    expect(parseShape('key,recipient(uei,display_name::name),naics(*)')).toEqual([
      { field: 'key', alias: 'key' },
      {
        field: 'recipient',
        alias: 'recipient',
        children: [
          { field: 'uei', alias: 'uei' },
          { field: 'display_name', alias: 'name' },
        ],
      },
      { field: 'naics', alias: 'naics', children: [{ field: '*', alias: '*' }] },
    ]);
  });

  it('should reject unbalanced parentheses', () => {
    expect(() => parseShape('a(b')).toThrow(grammar.ShapeSyntaxError);
    expect(() => parseShape('a)b')).toThrow(grammar.ShapeSyntaxError);
    expect(() => parseShape('a,,b')).toThrow(grammar.ShapeSyntaxError);
  });
});

describe('applyShape', () => {
  const record = { key: 'K', recipient: { uei: 'U', display_name: 'N' }, transactions: [{ a: 1, b: 2 }] };

  it('should select top-level fields, children of objects and of arrays', () => {
    expect(applyShape(record, parseShape('key::id,recipient(uei),transactions(b)'))).toEqual({
      id: 'K',
      recipient: { uei: 'U' },
      transactions: [{ b: 2 }],
    });
  });

  it('should answer the bare code for a code object asked as a plain field, and the object for x(*)', () => {
    const idvs = tangoContract().resource('idvs');
    const idv = { key: 'K', idv_type: { code: 'E', description: 'BPA' }, set_aside: null };
    expect(applyShape(idv, parseShape('idv_type,set_aside'), idvs)).toEqual({
      idv_type: 'E',
      set_aside: null,
    });
    expect(applyShape(idv, parseShape('idv_type(*)'), idvs)).toEqual({ idv_type: idv.idv_type });
    const entities = tangoContract().resource('entities');
    const entity = { business_types: [{ code: 'A2', description: 'Woman Owned Business' }] };
    expect(applyShape(entity, parseShape('business_types'), entities)).toEqual({
      business_types: [{ code: 'A2' }],
    });
  });

  it('should answer text for an expand whose plain form Tango shows as a string', () => {
    const otas = tangoContract().resource('otas');
    const ota = { recipient: { uei: 'U', display_name: 'ACME LLC' } };
    expect(applyShape(ota, parseShape('recipient'), otas)).toEqual({ recipient: 'ACME LLC' });
  });

  it('should flatten nested objects with the joiner', () => {
    expect(flatten(record, '__')).toEqual({
      key: 'K',
      recipient__uei: 'U',
      recipient__display_name: 'N',
      transactions: [{ a: 1, b: 2 }],
    });
  });
});

describe(SimContract.name, () => {
  it('should validate shapes against Tango’s contract, not against records', () => {
    const contract = new SimContract();
    expect(contract.validateShape('contracts', parseShape('key,nope,recipient(bad),piid(x)'))).toEqual([
      { path: 'nope', reason: 'unknown_field' },
      { path: 'recipient.bad', reason: 'unknown_field' },
      { path: 'piid', reason: 'not_expandable' },
    ]);
    expect(contract.validateShape('contracts', parseShape('tradeoff_process(*),vehicle(uuid)'))).toEqual([]);
  });

  it('should remove and restore top-level fields at run time', () => {
    const contract = new SimContract();
    contract.remove('idvs', 'idv_type');
    expect(contract.validateShape('idvs', parseShape('key,idv_type(*)'))).toEqual([
      { path: 'idv_type', reason: 'unknown_field' },
    ]);
    expect(contract.availableFields('idvs')).not.toHaveProperty('idv_type');
    expect(contract.project('idvs', { key: 'K', idv_type: 'E' })).toEqual({ key: 'K' });
    expect(contract.removals()).toEqual({ idvs: ['idv_type'] });
    expect(() => {
      contract.remove('idvs', 'not_a_field');
    }).toThrow('has no top-level field');
    expect(contract.restore('idvs', 'idv_type')).toBe(true);
    expect(contract.validateShape('idvs', parseShape('idv_type(*)'))).toEqual([]);
    expect(contract.removals()).toEqual({});
  });
});
