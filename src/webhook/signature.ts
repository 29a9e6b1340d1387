import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureFailure = 'missing' | 'malformed' | 'unsupported_algorithm' | 'mismatch';

export type SignatureCheck =
  | {
      readonly ok: true;
      readonly secretFingerprint: string;
      /** 1 for the first configured secret, 2 for the second (rotation: the old one is usually second). */
      readonly secretPosition: number;
    }
  | { readonly ok: false; readonly reason: SignatureFailure };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * A short, non-reversible name for a secret (first 12 hex digits of its SHA-256), so logs and the database can say
 * which of the configured secrets verified a delivery without holding the secret.
 */
export function secretFingerprint(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 12);
}

/** Hex HMAC-SHA256 of the raw bytes, keyed by the secret's UTF-8 text (the way Tango signs). */
export function signBody(rawBody: Buffer, secret: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest('hex');
}

/**
 * Parses `X-Tango-Signature`: `sha256=<hex>` (the algorithm name case-insensitive) or a bare hex digest (legacy).
 * Anything else is malformed; another algorithm is refused.
 */
export function parseSignatureHeader(
  header: string | undefined,
): { readonly digest: Buffer } | { readonly failure: SignatureFailure } {
  if (header === undefined || header.trim() === '') {
    return { failure: 'missing' };
  }
  const value = header.trim();
  const separator = value.indexOf('=');
  let hex: string;
  if (separator >= 0) {
    const algorithm = value.slice(0, separator).trim().toLowerCase();
    if (algorithm !== 'sha256') {
      return { failure: 'unsupported_algorithm' };
    }
    hex = value
      .slice(separator + 1)
      .trim()
      .toLowerCase();
  } else {
    hex = value.toLowerCase();
  }
  if (!HEX_SHA256.test(hex)) {
    return { failure: 'malformed' };
  }
  return { digest: Buffer.from(hex, 'hex') };
}

/**
 * Verifies the signature over the raw bytes against every configured secret (rotation: any one may match) with a
 * constant-time comparison, and says which secret matched.
 */
export function verifySignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): SignatureCheck {
  const parsed = parseSignatureHeader(header);
  if ('failure' in parsed) {
    return { ok: false, reason: parsed.failure };
  }
  let matched: { secret: string; position: number } | undefined;
  secrets.forEach((secret, index) => {
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(rawBody).digest();
    // Compare against every secret (no early exit) so timing does not reveal which one matched.
    if (timingSafeEqual(expected, parsed.digest) && matched === undefined) {
      matched = { secret, position: index + 1 };
    }
  });
  return matched === undefined
    ? { ok: false, reason: 'mismatch' }
    : { ok: true, secretFingerprint: secretFingerprint(matched.secret), secretPosition: matched.position };
}
