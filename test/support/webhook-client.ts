import { createHmac } from 'node:crypto';

export interface WebhookResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** Signs like Tango (HMAC-SHA256 of the exact bytes, keyed by the secret's text), computed independently. */
export function tangoSignature(body: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export async function postDelivery(
  url: string,
  body: Buffer | string,
  options: {
    secret?: string;
    signature?: string | null;
    contentType?: string | null;
    headers?: Record<string, string>;
    method?: string;
  } = {},
): Promise<WebhookResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType !== null) {
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const signature =
    options.signature === undefined
      ? options.secret
        ? tangoSignature(body, options.secret)
        : undefined
      : options.signature;
  if (signature !== undefined && signature !== null) {
    headers['x-tango-signature'] = signature;
  }
  const response = await fetch(url, {
    method: options.method ?? 'POST',
    headers,
    body: options.method === 'GET' ? undefined : body,
  });
  const text = await response.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { raw: text };
  }
  return { status: response.status, headers: response.headers, body: parsed };
}
