import fc from 'fast-check';
import { type JsonValue } from '../../../src/common/json';
import { applyJsonPatch, diffJson, JsonPatchError, jsonEqual } from '../../../src/common/json-patch';

/** fast-check's JSON values, typed as tango-sync's. */
// Values as they travel (JSON has no -0: fast-check's jsonValue may produce it, JSON.stringify writes 0).
const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as JsonValue);

describe('RFC 6902 JSON Patch (diffJson / applyJsonPatch)', () => {
  it('writes the minimal operations of simple changes', () => {
    expect(diffJson({ a: 1, b: 2 }, { a: 1, b: 3, c: 4 })).toEqual([
      { op: 'replace', path: '/b', value: 3 },
      { op: 'add', path: '/c', value: 4 },
    ]);
    expect(diffJson({ a: { x: 1 } }, {})).toEqual([{ op: 'remove', path: '/a' }]);
    expect(diffJson([1, 2, 3], [1, 5])).toEqual([
      { op: 'replace', path: '/1', value: 5 },
      { op: 'remove', path: '/2' },
    ]);
    expect(diffJson(null, { a: 1 })).toEqual([{ op: 'replace', path: '', value: { a: 1 } }]);
    expect(diffJson({ a: [1] }, { a: [1] })).toEqual([]);
  });

  it('escapes "/" and "~" in member names (RFC 6901)', () => {
    const ops = diffJson({ 'a/b': 1, 'c~d': 1 }, { 'a/b': 2, 'c~d': 2 });
    expect(ops).toEqual([
      { op: 'replace', path: '/a~1b', value: 2 },
      { op: 'replace', path: '/c~0d', value: 2 },
    ]);
    expect(applyJsonPatch({ 'a/b': 1, 'c~d': 1 }, ops)).toEqual({ 'a/b': 2, 'c~d': 2 });
  });

  it('applies RFC 6902 examples (add into arrays, "-", remove) without touching its input', () => {
    const document: JsonValue = { foo: ['bar', 'baz'] };
    expect(applyJsonPatch(document, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({
      foo: ['bar', 'qux', 'baz'],
    });
    expect(applyJsonPatch(document, [{ op: 'add', path: '/foo/-', value: 'end' }])).toEqual({
      foo: ['bar', 'baz', 'end'],
    });
    expect(applyJsonPatch(document, [{ op: 'remove', path: '/foo/0' }])).toEqual({ foo: ['baz'] });
    expect(document).toEqual({ foo: ['bar', 'baz'] });
  });

  it('refuses operations on paths that do not exist', () => {
    expect(() => applyJsonPatch({}, [{ op: 'remove', path: '/missing' }])).toThrow(JsonPatchError);
    expect(() => applyJsonPatch({ a: [] }, [{ op: 'replace', path: '/a/0', value: 1 }])).toThrow(
      JsonPatchError,
    );
    expect(() => applyJsonPatch({}, [{ op: 'add', path: '/a/b', value: 1 }])).toThrow(JsonPatchError);
  });

  it('treats a member named __proto__ as data', () => {
    const after = JSON.parse('{"__proto__": {"x": 1}}') as JsonValue;
    const patched = applyJsonPatch({}, diffJson({}, after)) as Record<string, JsonValue>;
    expect(Object.hasOwn(patched, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(patched)).toBe(Object.prototype);
  });

  it('property: the patch of any two JSON values turns the first into the second', () => {
    fc.assert(
      fc.property(json, json, (before, after) => {
        const patched = applyJsonPatch(before, diffJson(before, after));
        expect(jsonEqual(patched, after)).toBe(true);
        expect(diffJson(before, after).length === 0).toBe(jsonEqual(before, after));
      }),
      { numRuns: 500 },
    );
  });

  it('jsonEqual ignores key order and tells arrays from objects', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([], {})).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 1 })).toBe(false);
    expect(jsonEqual({ a: null }, { b: null })).toBe(false);
  });
});
