/** How a database failure is told apart, for answers, records and retries. */
export type DatabaseFailure = 'DATABASE.UNAVAILABLE' | 'DATABASE.TIMEOUT' | 'DATABASE.CONFLICT';

/** The SQLSTATE of a Postgres error, looking through TypeORM's and pg's wrappers. */
export function sqlState(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return code;
    }
    const driverError = (current as Error & { driverError?: unknown }).driverError;
    current = driverError instanceof Error ? driverError : current.cause;
  }
  return undefined;
}

/** SQLSTATEs of a transaction Postgres rolled back to keep order: a retry of the same work is expected to pass. */
const CONFLICT_STATES = new Set(['40001', '40P01']);
/** A statement stopped by a timeout (statement_timeout, lock_timeout): the database is up but busy or blocked. */
const TIMEOUT_STATES = new Set(['57014', '55P03', '25P03']);
/** Connection and server-state failures: the database cannot be reached or is going away. */
const UNAVAILABLE_STATE = /^(08...|57P0[1-3]|53...|58...)$/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
]);
const UNAVAILABLE_MESSAGE =
  /connection terminated|connection is not established|timeout exceeded when trying to connect|client has encountered a connection error|cannot use a pool after calling end|the database system is (starting up|shutting down)/i;

/**
 * What a database failure means: a conflict (deadlock, serialization failure) worth retrying at once, a timeout
 * (the database answers but the statement waited too long), or the database unavailable. Undefined for anything
 * else: an error in what was written or in the code, which must not be reported as an outage.
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  const state = sqlState(error);
  if (state !== undefined) {
    if (CONFLICT_STATES.has(state)) {
      return 'DATABASE.CONFLICT';
    }
    if (TIMEOUT_STATES.has(state)) {
      return 'DATABASE.TIMEOUT';
    }
    return UNAVAILABLE_STATE.test(state) ? 'DATABASE.UNAVAILABLE' : undefined;
  }
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    if ((typeof code === 'string' && NETWORK_CODES.has(code)) || UNAVAILABLE_MESSAGE.test(current.message)) {
      return 'DATABASE.UNAVAILABLE';
    }
    const driverError = (current as Error & { driverError?: unknown }).driverError;
    current = driverError instanceof Error ? driverError : current.cause;
  }
  return undefined;
}
