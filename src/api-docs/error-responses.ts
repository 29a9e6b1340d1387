import { type ErrorCode } from '../common/errors/app-error';
import { type DatabaseFailure } from '../common/errors/database-errors';
import { HTTP_STATUS_BY_CODE, RETRY_AFTER_SECONDS_BY_CODE } from '../common/errors/http-status';
import { arraySchema, type JsonSchema, objectSchema, ref, stringSchema } from './json-schema';

/**
 * Error answers, generated from the one mapping of error codes to statuses (src/common/errors/http-status.ts):
 * every route lists the codes it can raise, and its error responses are those codes grouped by status, with
 * `Retry-After` where the mapping sets one.
 */

/** What each code means to a client (the compiler requires one entry per code). */
export const ERROR_CODE_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  'CONFIG.INVALID': 'the configuration is invalid',
  'DATABASE.UNAVAILABLE': 'the database cannot be reached; retry later',
  'DATABASE.TIMEOUT': 'the database did not answer in time; retry later',
  'DATABASE.CONFLICT': 'the write conflicted with another one; retry',
  'DATABASE.MIGRATION_FAILED': 'the schema migrations failed',
  'KAFKA.UNAVAILABLE': 'Kafka cannot be reached; retry later',
  'REQUEST.VALIDATION_FAILED': 'the query or body is invalid (`issues` says where)',
  'REQUEST.NOT_FOUND': 'no such resource',
  'REQUEST.METHOD_NOT_ALLOWED': 'the method is not accepted here (`Allow` says which is)',
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 'the body is not application/json (or +json), or is missing',
  'REQUEST.PAYLOAD_TOO_LARGE': 'the body is larger than the configured limit',
  'REQUEST.CONFLICT': 'the resource is not in a state that allows this (`state` says which it is in)',
  'AUTH.TOKEN_REQUIRED': 'the operator token is missing or wrong',
  'AUTH.ACTIONS_DISABLED': 'no operator token is configured: the deployment is read-only',
  'WEBHOOK.SIGNATURE_MISSING': 'X-Tango-Signature is missing',
  'WEBHOOK.SIGNATURE_INVALID': 'X-Tango-Signature does not verify with any configured secret',
  INTERNAL: 'an unexpected failure; `errorId` is logged with its cause',
};

/** What classifyDatabaseError can name: any route that reads or writes Postgres may answer these. */
const DATABASE_FAILURES: Readonly<Record<DatabaseFailure, true>> = {
  'DATABASE.UNAVAILABLE': true,
  'DATABASE.TIMEOUT': true,
  'DATABASE.CONFLICT': true,
};
export const DATABASE_ERRORS = Object.keys(DATABASE_FAILURES) as DatabaseFailure[];

/** Every route may fail unexpectedly. */
export const COMMON_ERRORS: readonly ErrorCode[] = ['INTERNAL'];

/** `components.schemas.Error`: the body of every error answer (error-answer.ts). */
export const ERROR_BODY_SCHEMA: JsonSchema = objectSchema<{ error: object }>(
  {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: Object.keys(HTTP_STATUS_BY_CODE), description: 'Stable error code' },
        message: stringSchema('What went wrong, for people'),
        errorId: stringSchema('INTERNAL only: the id logged with the cause'),
        issues: arraySchema(
          objectSchema<{ path: string; message: string }>({ path: stringSchema(), message: stringSchema() }),
          'REQUEST.VALIDATION_FAILED only: each invalid member',
        ),
        reason: stringSchema('WEBHOOK.SIGNATURE_* only: why the signature was refused'),
        state: stringSchema('REQUEST.CONFLICT only: the state the resource is in'),
      },
      required: ['code', 'message'],
      additionalProperties: true,
    },
  },
  { description: 'An error answer: `{ error: { code, message, …details } }`' },
);

export interface HeaderDoc {
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, HeaderDoc>>;
  readonly content?: Readonly<Record<string, { readonly schema: JsonSchema }>>;
}

/** The error responses of a route that raises `codes`, by status (as strings, OpenAPI's response keys). */
export function errorResponses(
  codes: readonly ErrorCode[],
  extraHeaders: Partial<Record<ErrorCode, Readonly<Record<string, HeaderDoc>>>> = {},
): Record<string, ResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = HTTP_STATUS_BY_CODE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, ResponseObject> = {};
  for (const [status, statusCodes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const sorted = [...statusCodes].sort();
    const retry = sorted.flatMap((code) => {
      const seconds = RETRY_AFTER_SECONDS_BY_CODE[code];
      return seconds === undefined ? [] : [`${seconds} s for ${code}`];
    });
    const headers: Record<string, HeaderDoc> = {};
    for (const code of sorted) {
      Object.assign(headers, extraHeaders[code]);
    }
    if (retry.length > 0) {
      headers['Retry-After'] = {
        description: `Seconds to wait before retrying (${retry.join(', ')})`,
        schema: { type: 'integer', minimum: 0 },
      };
    }
    responses[String(status)] = {
      description: sorted.map((code) => `- \`${code}\`: ${ERROR_CODE_MEANINGS[code]}`).join('\n'),
      ...(Object.keys(headers).length === 0 ? {} : { headers }),
      content: {
        'application/json': {
          schema: {
            ...ref('#/components/schemas/Error'),
            properties: { error: { properties: { code: { enum: sorted } } } },
          },
        },
      },
    };
  }
  return responses;
}
