import { randomUUID } from 'node:crypto';
import { HttpException, type Logger } from '@nestjs/common';
import { AppError, type ErrorCode } from './app-error';
import { classifyDatabaseError } from './database-errors';
import { HTTP_STATUS_BY_CODE, RETRY_AFTER_SECONDS_BY_CODE } from './http-status';

/** What an HTTP route answers for an error. */
export interface ErrorAnswer {
  readonly status: number;
  /** The error code (null for Nest HTTP exceptions, which carry their own body, e.g. terminus health results). */
  readonly code: ErrorCode | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Fastify's own request errors (body size, media type), which reach the error handlers as plain errors. */
function transportCode(error: Error): ErrorCode | undefined {
  const fastify = error as Error & { code?: unknown; statusCode?: unknown };
  switch (fastify.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'REQUEST.PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'REQUEST.UNSUPPORTED_MEDIA_TYPE';
    default:
      return fastify.statusCode === 413
        ? 'REQUEST.PAYLOAD_TOO_LARGE'
        : fastify.statusCode === 415
          ? 'REQUEST.UNSUPPORTED_MEDIA_TYPE'
          : undefined;
  }
}

/** The error as an AppError when it is one we know how to name (including database failures), else undefined. */
export function knownError(error: unknown): AppError | undefined {
  if (error instanceof AppError) {
    return error;
  }
  const database = classifyDatabaseError(error);
  if (database !== undefined) {
    return new AppError(database, DATABASE_MESSAGES[database], undefined, { cause: error });
  }
  const transport = error instanceof Error ? transportCode(error) : undefined;
  return transport === undefined ? undefined : new AppError(transport, (error as Error).message);
}

const DATABASE_MESSAGES: Readonly<Record<ReturnType<typeof classifyDatabaseError> & string, string>> = {
  'DATABASE.UNAVAILABLE': 'the database cannot be reached; retry later',
  'DATABASE.TIMEOUT': 'the database did not answer in time; retry later',
  'DATABASE.CONFLICT': 'the write conflicted with another one; retry',
};

/**
 * The one mapping from errors to HTTP answers, for every route: known errors by their code (status and
 * `Retry-After` from http-status.ts), Nest HTTP exceptions as they are, anything else as a 500 with an `errorId`
 * that is logged with the cause. Failures (5xx) are logged here, once.
 */
export function answerFor(error: unknown, logger: Logger): ErrorAnswer {
  const known = knownError(error);
  if (known !== undefined) {
    const status = HTTP_STATUS_BY_CODE[known.code];
    const retryAfter = RETRY_AFTER_SECONDS_BY_CODE[known.code];
    if (status >= 500) {
      logger.error({ code: known.code, err: known.cause ?? known }, 'request failed');
    }
    return {
      status,
      code: known.code,
      headers: retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
      body: { error: { code: known.code, message: known.message, ...known.details } },
    };
  }
  if (error instanceof HttpException) {
    const body = error.getResponse();
    return {
      status: error.getStatus(),
      code: null,
      headers: {},
      body: typeof body === 'string' ? { message: body } : body,
    };
  }
  const errorId = randomUUID();
  logger.error({ errorId, err: error }, 'unhandled error');
  return {
    status: 500,
    code: 'INTERNAL',
    headers: {},
    body: { error: { code: 'INTERNAL', message: 'internal error', errorId } },
  };
}
