import { type ErrorCode } from './app-error';

/** The single mapping from error codes to HTTP statuses. */
export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  'CONFIG.INVALID': 500,
  'DATABASE.UNAVAILABLE': 503,
  'DATABASE.TIMEOUT': 503,
  'DATABASE.CONFLICT': 503,
  'DATABASE.MIGRATION_FAILED': 503,
  'KAFKA.UNAVAILABLE': 503,
  'REQUEST.VALIDATION_FAILED': 400,
  'REQUEST.NOT_FOUND': 404,
  'REQUEST.METHOD_NOT_ALLOWED': 405,
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
  'REQUEST.PAYLOAD_TOO_LARGE': 413,
  'REQUEST.CONFLICT': 409,
  'AUTH.TOKEN_REQUIRED': 401,
  'AUTH.ACTIONS_DISABLED': 403,
  'WEBHOOK.SIGNATURE_MISSING': 401,
  'WEBHOOK.SIGNATURE_INVALID': 401,
  INTERNAL: 500,
};

/** Seconds a client should wait before retrying, for codes that mean "temporarily unavailable". */
export const RETRY_AFTER_SECONDS_BY_CODE: Partial<Readonly<Record<ErrorCode, number>>> = {
  'DATABASE.UNAVAILABLE': 5,
  'DATABASE.TIMEOUT': 2,
  'DATABASE.CONFLICT': 1,
  'DATABASE.MIGRATION_FAILED': 30,
  'KAFKA.UNAVAILABLE': 5,
};
