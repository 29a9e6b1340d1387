import { type AppConfig } from '../config/app-config';
import { TangoQuotaExhaustedError, type TangoRequestError } from '../tango/tango-errors';
import { type FailureKind } from '../sync-state/fetch-failure.repository';

/** The fetcher's retry settings (FETCHER_MAX_ATTEMPTS, FETCHER_RETRY_BASE_MS, FETCHER_RETRY_MAX_MS). */
export type RetrySettings = Pick<AppConfig['fetcher'], 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs'>;

/** How long a failed record or sweep waits before its next attempt: exponential, capped. The one formula. */
export function retryDelayMs(attempt: number, settings: RetrySettings): number {
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** attempt);
}

/** Why one record (or sweep) of a batch could not be mirrored. */
export interface FetchFailure {
  readonly attempt: number;
  /** What Tango answered, or null when the failure is ours to state (not found, unresolvable). */
  readonly error: TangoRequestError | null;
  readonly kind: Exclude<FailureKind, 'rejected' | 'filter_ignored'>;
  readonly message: string;
}

export interface FailureDecision {
  /** When to try again (null: not again, unless an operator redrives it). */
  readonly retryAt: Date | null;
  /** The attempt number the retry carries. */
  readonly attempt: number;
  /** Send it to the dead-letter topic now. */
  readonly deadLetter: boolean;
  /** What `fetch_failures` records (null: nothing, e.g. the daily quota is only a pause). */
  readonly record: { readonly kind: FailureKind; readonly status: number | null } | null;
}

/**
 * What happens to a failure:
 * - the daily quota is spent: wait for its reset, same attempt, nothing recorded (a pause, not a failure);
 * - Tango refused the request for good (a 4xx other than 404/429, or a 200 carrying an error): dead-letter now,
 *   recorded as `rejected` (the family shows failing on /health until it is redriven or fetched);
 * - a retryable failure: retried with backoff, recorded; dead-lettered once the attempts are spent;
 * - not found or unresolvable: recorded, not retried (a fetch hint or an operator brings it back).
 */
export function decideFailure(failure: FetchFailure, settings: RetrySettings, now: Date): FailureDecision {
  const { error } = failure;
  if (error instanceof TangoQuotaExhaustedError) {
    return { retryAt: error.until, attempt: failure.attempt, deadLetter: false, record: null };
  }
  if (error === null) {
    return {
      retryAt: null,
      attempt: failure.attempt,
      deadLetter: false,
      record: { kind: failure.kind, status: failure.kind === 'not_found' ? 404 : null },
    };
  }
  if (!error.retryable) {
    return {
      retryAt: null,
      attempt: failure.attempt + 1,
      deadLetter: true,
      record: { kind: 'rejected', status: error.status },
    };
  }
  const attempt = failure.attempt + 1;
  if (attempt >= settings.maxAttempts) {
    return { retryAt: null, attempt, deadLetter: true, record: { kind: 'error', status: error.status } };
  }
  return {
    retryAt: new Date(now.getTime() + retryDelayMs(attempt, settings)),
    attempt,
    deadLetter: false,
    record: { kind: 'error', status: error.status },
  };
}

/**
 * Which 404s become tombstones: only records the mirror holds (their 404 was confirmed by a second request). An
 * id never mirrored that Tango does not have is a failure to record, not a deletion.
 */
export function splitNotFound(
  notFound: ReadonlyMap<string, Date>,
  mirrored: ReadonlySet<string>,
): { tombstones: string[]; neverMirrored: string[] } {
  const tombstones: string[] = [];
  const neverMirrored: string[] = [];
  for (const id of notFound.keys()) {
    (mirrored.has(id) ? tombstones : neverMirrored).push(id);
  }
  return { tombstones, neverMirrored };
}
