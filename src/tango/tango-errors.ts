/** Why a Tango request failed, and whether trying again later can help. */
export type TangoFailure =
  | 'not_found'
  | 'client_error'
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
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TangoRequestError';
  }
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
