import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { parseSignatureHeader, secretFingerprint, verifySignature } from '../../../src/webhook/signature';

/** Independent HMAC computation, so the tests do not trust the code under test to sign. */
function hmacHex(body: Buffer, key: string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

describe('webhook signature', () => {
  const vectorBody = Buffer.from('{"events":[{"event_type":"entities.updated","uei":"ABC123"}]}');
  const vectorDigest = 'd3c0bac2ef3bb0bf5ddcacbbb1cdcbd443670e81e37d150c14331314f9a3a384';

  it('matches the published test vector (key "shh")', () => {
    expect(hmacHex(vectorBody, 'shh')).toBe(vectorDigest);
    expect(verifySignature(vectorBody, `sha256=${vectorDigest}`, ['shh'])).toEqual({
      ok: true,
      secretFingerprint: secretFingerprint('shh'),
      secretPosition: 1,
    });
  });

  it('accepts the legacy bare-hex form and an upper-case algorithm or digest', () => {
    expect(verifySignature(vectorBody, vectorDigest, ['shh']).ok).toBe(true);
    expect(verifySignature(vectorBody, `SHA256=${vectorDigest.toUpperCase()}`, ['shh']).ok).toBe(true);
  });

  it('uses the secret text as the key, not its hex decoding', () => {
    const hexLookingSecret = 'abcdef0123456789';
    const body = Buffer.from('{}');
    const signedWithBytesOfHex = createHmac('sha256', Buffer.from(hexLookingSecret, 'hex'))
      .update(body)
      .digest('hex');
    expect(verifySignature(body, `sha256=${signedWithBytesOfHex}`, [hexLookingSecret])).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature(body, `sha256=${hmacHex(body, hexLookingSecret)}`, [hexLookingSecret]).ok).toBe(
      true,
    );
  });

  it('accepts any configured secret during rotation and says which one matched', () => {
    const body = Buffer.from('{"events":[]}');
    const result = verifySignature(body, `sha256=${hmacHex(body, 'new-secret')}`, [
      'old-secret',
      'new-secret',
    ]);
    expect(result).toEqual({
      ok: true,
      secretFingerprint: secretFingerprint('new-secret'),
      secretPosition: 2,
    });
    expect(secretFingerprint('new-secret')).not.toBe(secretFingerprint('old-secret'));
    expect(secretFingerprint('new-secret')).not.toContain('new-secret');
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['   ', 'missing'],
    ['sha1=0123', 'unsupported_algorithm'],
    [`md5=${vectorDigest}`, 'unsupported_algorithm'],
    ['sha256=', 'malformed'],
    ['sha256=xyz', 'malformed'],
    [`sha256=${vectorDigest.slice(2)}`, 'malformed'],
    ['not-hex-at-all', 'malformed'],
  ])('rejects the header %p as %s', (header, reason) => {
    expect(verifySignature(vectorBody, header, ['shh'])).toEqual({ ok: false, reason });
  });

  it('rejects a signature made with another secret', () => {
    expect(verifySignature(vectorBody, `sha256=${hmacHex(vectorBody, 'other')}`, ['shh'])).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('parses only well-formed headers', () => {
    expect(parseSignatureHeader(`sha256=${vectorDigest}`)).toEqual({
      digest: Buffer.from(vectorDigest, 'hex'),
    });
  });

  it('rejects any single-byte change to a signed body (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (bytes, position, delta, secret) => {
          const body = Buffer.from(bytes);
          const header = `sha256=${hmacHex(body, secret)}`;
          expect(verifySignature(body, header, [secret]).ok).toBe(true);
          const tampered = Buffer.from(body);
          const index = position % tampered.length;
          tampered[index] = ((tampered[index] ?? 0) + delta) % 256;
          expect(verifySignature(tampered, header, [secret])).toEqual({ ok: false, reason: 'mismatch' });
        },
      ),
      { numRuns: 300 },
    );
  });
});
