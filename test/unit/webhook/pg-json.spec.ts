import fc from 'fast-check';
import { pgJson } from '../../../src/webhook/pg-json';

/** What Postgres jsonb refuses in JSON text: the NUL escape and escapes of lone surrogates. */
const REFUSED = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

describe('pgJson', () => {
  it('leaves ordinary JSON exactly as JSON.stringify writes it', () => {
    const value = { a: 'text', b: [1, 2.5, null, true], c: { 'd\\u0000': 'escaped backslash stays' } };
    expect(pgJson(value)).toBe(JSON.stringify(value));
  });

  it('replaces NUL characters and lone surrogates, in values and in keys, with U+FFFD', () => {
    const value = {
      'key\u0000': ['a\u0000b', 'x\uD800y', 'pair \uD83D\uDE00 kept'],
      nested: { v: '\uDC00' },
    };
    const text = pgJson(value);
    expect(JSON.parse(text)).toEqual({
      'key\uFFFD': ['a\uFFFDb', 'x\uFFFDy', 'pair \uD83D\uDE00 kept'],
      nested: { v: '\uFFFD' },
    });
    expect(text).not.toMatch(REFUSED);
  });

  it('never emits what jsonb refuses, and changes nothing else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, extra) => {
        const input = { value, extra, [extra]: extra };
        const text = pgJson(input);
        expect(text).not.toMatch(REFUSED);
        const clean = (s: string): string =>
          s
            .replaceAll('\u0000', '\uFFFD')
            .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
        if (!hasLoneSurrogate(extra) && !extra.includes('\u0000')) {
          expect((JSON.parse(text) as { extra: string }).extra).toBe(extra);
        } else {
          expect((JSON.parse(text) as { extra: string }).extra).toBe(clean(extra));
        }
      }),
    );
  });
});
