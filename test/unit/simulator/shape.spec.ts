import { applyShape, flatten, parseShape, validateShape } from '../../../src/simulator/rest/shape';

describe('parseShape', () => {
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
    expect(() => parseShape('a(b')).toThrow();
    expect(() => parseShape('a)b')).toThrow();
    expect(() => parseShape('a,,b')).toThrow();
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

  it('should report unknown fields with their paths', () => {
    expect(validateShape(parseShape('key,nope,recipient(bad)'), record)).toEqual([
      { path: 'nope', reason: 'unknown_field' },
      { path: 'recipient.bad', reason: 'unknown_field' },
    ]);
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
