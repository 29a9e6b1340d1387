import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Tango-Signature';

/** Lowercase hex HMAC-SHA256 of the exact body bytes; the key is the secret's UTF-8 text (not hex-decoded). */
export function signBody(body: Buffer | string, secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
}

/** The `X-Tango-Signature` header value: `sha256=<hex>`. */
export function signatureHeaderValue(body: Buffer | string, secret: string): string {
  return `sha256=${signBody(body, secret)}`;
}

/** Accepts `sha256=<hex>` or a bare hex digest, compared in constant time. */
export function verifySignature(body: Buffer | string, header: string | undefined, secret: string): boolean {
  if (header === undefined || header === '') {
    return false;
  }
  const [algorithm, digest] = header.includes('=') ? header.split('=', 2) : ['sha256', header];
  if (algorithm?.toLowerCase() !== 'sha256' || digest === undefined || !/^[0-9a-f]+$/i.test(digest)) {
    return false;
  }
  const expected = Buffer.from(signBody(body, secret), 'hex');
  const actual = Buffer.from(digest, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A 32-byte secret as 64 hex characters, as the partner guide describes. */
export function generateSecret(): string {
  return randomBytes(32).toString('hex');
}
