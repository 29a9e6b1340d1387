/** Why a Tango request failed, and whether trying again later can help. */
export type TangoFailure =
  | 'not_found'
  | 'client_error'
  | 'forbidden'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'rate_limited'
  | 'quota_exhausted'
  | 'invalid_body'
  | 'error_in_body'
  | 'unauthorized';

export class TangoRequestError extends Error {
  constructor(
    readonly failure: TangoFailure,
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    readonly retryAfterMs: number | null = null,
    options?: { cause?: unknown; body?: unknown; detail?: string | null },
  ) {
    super(message, options);
    this.name = 'TangoRequestError';
    this.body = options?.body;
    this.detail = options?.detail ?? null;
  }

  /** Tango's answer body (parsed JSON), when it sent one. */
  readonly body: unknown;
  /** Tango's own message (`detail`, `message` or `error`), when it gave one. */
  readonly detail: string | null;
}

/** The daily quota is spent: nothing should be requested before `until`. */
export class TangoQuotaExhaustedError extends TangoRequestError {
  constructor(
    readonly until: Date,
    message: string,
  ) {
    super('quota_exhausted', message, 429, false, Math.max(0, until.getTime() - Date.now()));
    this.name = 'TangoQuotaExhaustedError';
  }
}

/**
 * Tango's message in an error body: `detail`, `message` or `error` (DRF and Tango's own forms), else the first
 * field error of a DRF validation answer (`{"field": ["msg"]}`).
 */
export function tangoMessage(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return null;
  }
  const record = body as Record<string, unknown>;
  for (const key of ['detail', 'message', 'error']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim() !== '') {
      return value.trim();
    }
  }
  for (const [field, value] of Object.entries(record)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') {
      return `${field}: ${first}`;
    }
  }
  return null;
}
