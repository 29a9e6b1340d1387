/**
 * Every error the application raises on purpose carries a stable code. The HTTP status for each code is decided
 * in one place (`http-status.ts`); services never throw HTTP exceptions.
 */
export type ErrorCode =
  | 'CONFIG.INVALID'
  | 'DATABASE.UNAVAILABLE'
  | 'DATABASE.TIMEOUT'
  | 'DATABASE.CONFLICT'
  | 'DATABASE.MIGRATION_FAILED'
  | 'KAFKA.UNAVAILABLE'
  | 'REQUEST.VALIDATION_FAILED'
  | 'REQUEST.NOT_FOUND'
  | 'REQUEST.METHOD_NOT_ALLOWED'
  | 'REQUEST.UNSUPPORTED_MEDIA_TYPE'
  | 'REQUEST.PAYLOAD_TOO_LARGE'
  | 'REQUEST.CONFLICT'
  | 'AUTH.TOKEN_REQUIRED'
  | 'AUTH.ACTIONS_DISABLED'
  | 'WEBHOOK.SIGNATURE_MISSING'
  | 'WEBHOOK.SIGNATURE_INVALID'
  | 'INTERNAL';

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}
