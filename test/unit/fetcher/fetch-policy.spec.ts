import { coalesce, staleRecords } from '../../../src/fetcher/fetch-batch';
import { decideFailure, retryDelayMs, splitNotFound } from '../../../src/fetcher/fetch-policy';
import { type FetchRequest } from '../../../src/outbox/fetch-request';
import { TangoQuotaExhaustedError, TangoRequestError } from '../../../src/tango/tango-errors';

const SETTINGS = { maxAttempts: 3, retryBaseMs: 1_000, retryMaxMs: 10_000 };
const NOW = new Date('2026-06-01T00:00:00Z');

function failure(
  error: TangoRequestError | null,
  attempt = 0,
  kind: 'error' | 'not_found' | 'unresolvable' = 'error',
) {
  return { attempt, error, kind, message: error?.message ?? kind };
}

describe('fetch failure policy', () => {
  it('backs off exponentially up to the cap, with one formula', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => retryDelayMs(attempt, SETTINGS))).toEqual([
      1_000, 2_000, 4_000, 8_000, 10_000, 10_000,
    ]);
  });

  it('retries a retryable failure with backoff and records it', () => {
    const decision = decideFailure(
      failure(new TangoRequestError('server_error', '503', 503, true)),
      SETTINGS,
      NOW,
    );
    expect(decision).toEqual({
      retryAt: new Date(NOW.getTime() + 2_000),
      attempt: 1,
      deadLetter: false,
      record: { kind: 'error', status: 503 },
    });
  });

  it('dead-letters a retryable failure once its attempts are spent', () => {
    const decision = decideFailure(
      failure(new TangoRequestError('timeout', 'slow', null, true), 2),
      SETTINGS,
      NOW,
    );
    expect(decision).toMatchObject({
      retryAt: null,
      attempt: 3,
      deadLetter: true,
      record: { kind: 'error' },
    });
  });

  it.each([
    ['a 400', new TangoRequestError('client_error', 'Tango answered 400: Invalid shape', 400, false)],
    ['a 401', new TangoRequestError('unauthorized', 'Tango answered 401', 401, false)],
    ['a 403', new TangoRequestError('forbidden', 'Tango answered 403', 403, false)],
    [
      'a 200 carrying an error',
      new TangoRequestError('error_in_body', 'Tango answered 200 with an error', 200, false),
    ],
  ])('dead-letters %s at once, as rejected, without a retry', (_what, error) => {
    const decision = decideFailure(failure(error), SETTINGS, NOW);
    expect(decision).toEqual({
      retryAt: null,
      attempt: 1,
      deadLetter: true,
      record: { kind: 'rejected', status: error.status },
    });
  });

  it('parks a record while the daily quota is spent, without counting an attempt or recording a failure', () => {
    const until = new Date(NOW.getTime() + 3_600_000);
    const decision = decideFailure(failure(new TangoQuotaExhaustedError(until, 'quota'), 1), SETTINGS, NOW);
    expect(decision).toEqual({ retryAt: until, attempt: 1, deadLetter: false, record: null });
  });

  it('records a record Tango does not have, or an id naming none, without retrying or dead-lettering', () => {
    expect(decideFailure(failure(null, 0, 'not_found'), SETTINGS, NOW)).toEqual({
      retryAt: null,
      attempt: 0,
      deadLetter: false,
      record: { kind: 'not_found', status: 404 },
    });
    expect(decideFailure(failure(null, 0, 'unresolvable'), SETTINGS, NOW).record).toEqual({
      kind: 'unresolvable',
      status: null,
    });
  });

  it('tombstones only 404s of records the mirror holds', () => {
    const notFound = new Map([
      ['held', NOW],
      ['never', NOW],
    ]);
    expect(splitNotFound(notFound, new Set(['held', 'other']))).toEqual({
      tombstones: ['held'],
      neverMirrored: ['never'],
    });
  });
});

describe('fetch batch coalescing', () => {
  const request = (
    recordId: string,
    hintedAt: string,
    priority: FetchRequest['priority'],
    attempt = 0,
  ): FetchRequest => ({
    schema: 'tango-sync.fetch-request.v1',
    targetId: '1',
    resource: 'contracts',
    recordId,
    idKind: 'key',
    kind: 'record',
    priority,
    reason: `alerts.contract.match:${priority}`,
    hintedAt,
    hintCount: 1,
    attempt,
    deliveryIds: [`d-${hintedAt}`],
    sweep: null,
  });

  it('keeps one entry per record with its newest hint, highest priority, most attempts and all provenance', () => {
    const wanted = coalesce([
      request('A', '2026-06-01T00:00:00Z', 'sweep', 2),
      request('A', '2026-06-01T00:05:00Z', 'live'),
      request('B', '2026-06-01T00:01:00Z', 'backfill'),
    ]);
    const a = wanted.get('A');
    expect(a?.hintedAt.toISOString()).toBe('2026-06-01T00:05:00.000Z');
    expect(a?.priority).toBe('live');
    expect(a?.attempt).toBe(2);
    expect([...(a?.deliveryIds ?? [])].sort()).toEqual(['d-2026-06-01T00:00:00Z', 'd-2026-06-01T00:05:00Z']);
    expect(wanted.size).toBe(2);
  });

  it('skips records fetched after their newest hint', () => {
    const wanted = [
      ...coalesce([
        request('A', '2026-06-01T00:05:00Z', 'live'),
        request('B', '2026-06-01T00:05:00Z', 'live'),
      ]).values(),
    ];
    const stale = staleRecords(
      wanted,
      new Map([
        ['A', new Date('2026-06-01T00:06:00Z')],
        ['B', new Date('2026-06-01T00:04:00Z')],
      ]),
    );
    expect(stale.map((item) => item.recordId)).toEqual(['B']);
  });
});
