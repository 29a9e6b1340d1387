import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { canonicalJson, contentHash } from '../../../simulator/canonical-hash';
import { signBody, signatureHeaderValue, verifySignature } from '../../../simulator/webhooks/signer';

describe('canonicalJson', () => {
  it('should sort keys recursively and drop whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'x' }], c: true } })).toBe(
      '{"a":{"c":true,"d":[3,{"y":"x","z":null}]},"b":1}',
    );
  });

  it('should write numbers as JSON.stringify does (7500000.0 is 7500000)', () => {
    expect(canonicalJson({ v: 7500000.0, w: 5306.85, x: -0.5 })).toBe('{"v":7500000,"w":5306.85,"x":-0.5}');
  });

  it('should not depend on key insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
        const reversed = Object.fromEntries(Object.entries(object).reverse());
        return canonicalJson(object) === canonicalJson(reversed);
      }),
    );
  });

  it('should round-trip through JSON.parse to an equal value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('contentHash', () => {
  it('should be the sha256 hex of the canonical JSON', () => {
    const record = { key: 'CONT_AWD_X', obligated: 1.5, recipient: { uei: 'A', display_name: 'B' } };
    const expected = createHash('sha256')
      .update('{"key":"CONT_AWD_X","obligated":1.5,"recipient":{"display_name":"B","uei":"A"}}')
      .digest('hex');
    expect(contentHash(record)).toBe(expected);
  });
});

describe('signBody', () => {
  const vectorBody = readFileSync(join(__dirname, '../../fixtures/tango-api/signing-vector-body.json'));

  it('should match the documented test vector for key "shh"', () => {
    expect(signBody(vectorBody, 'shh')).toBe(
      'd3c0bac2ef3bb0bf5ddcacbbb1cdcbd443670e81e37d150c14331314f9a3a384',
    );
  });

  it('should equal an independent HMAC over the raw bytes keyed by the UTF-8 secret', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.string({ minLength: 1 }), (bytes, secret) => {
        const body = Buffer.from(bytes);
        const independent = createHmac('sha256', secret).update(body).digest('hex');
        expect(signatureHeaderValue(body, secret)).toBe(`sha256=${independent}`);
      }),
    );
  });

  it('should verify prefixed and bare digests and reject tampering', () => {
    const header = signatureHeaderValue(vectorBody, 'shh');
    expect(verifySignature(vectorBody, header, 'shh')).toBe(true);
    expect(verifySignature(vectorBody, header.slice('sha256='.length), 'shh')).toBe(true);
    expect(verifySignature(Buffer.concat([vectorBody, Buffer.from(' ')]), header, 'shh')).toBe(false);
    expect(verifySignature(vectorBody, header, 'other')).toBe(false);
    expect(verifySignature(vectorBody, 'sha1=abc', 'shh')).toBe(false);
    expect(verifySignature(vectorBody, undefined, 'shh')).toBe(false);
  });
});
