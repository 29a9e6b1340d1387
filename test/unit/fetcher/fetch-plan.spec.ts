import { coalesce } from '../../../src/fetcher/fetch-batch';
import {
  EMPTY_SWEEPS,
  type FetchedRecords,
  planCommit,
  planSucceeded,
  type SweptRecords,
} from '../../../src/fetcher/fetch-plan';
import { type FetchFailure } from '../../../src/fetcher/fetch-policy';
import { type FetchRequest } from '../../../src/outbox/fetch-request';
import { type GapToOpen } from '../../../src/sync-state/gap.repository';
import { TangoQuotaExhaustedError, TangoRequestError } from '../../../src/tango/tango-errors';

const SETTINGS = { maxAttempts: 3, retryBaseMs: 1_000, retryMaxMs: 10_000 };
const NOW = new Date('2026-06-01T00:00:00Z');

function request(recordId: string, overrides: Partial<FetchRequest> = {}): FetchRequest {
  return {
    schema: 'tango-sync.fetch-request.v1',
    targetId: '1',
    resource: 'contracts',
    recordId,
    idKind: 'key',
    kind: 'record',
    priority: 'live',
    reason: 'alerts.contract.match',
    hintedAt: '2026-05-31T23:00:00Z',
    hintCount: 1,
    attempt: 0,
    deliveryIds: ['d-1'],
    sweep: null,
    ...overrides,
  };
}

const SWEEP_SPEC = { alertId: 'a-1', queryType: 'contract', filters: { naics: '541511' }, checkedAt: null };

function sweepRequest(attempt = 0): FetchRequest {
  return request('alert:a-1', {
    idKind: 'alert',
    kind: 'sweep',
    reason: 'alerts.contract.match',
    sweep: SWEEP_SPEC,
    attempt,
    priority: 'sweep',
  });
}

function fetched(overrides: Partial<FetchedRecords> = {}): FetchedRecords {
  return {
    found: new Map(),
    notFound: new Map(),
    mirrored: new Set(),
    failures: [],
    skipped: 0,
    requests: 0,
    ...overrides,
  };
}

function ok(key: string) {
  return { record: { key, obligated: 1 }, sentAt: NOW, missingFields: [], unshaped: false };
}

const retryable = (message = 'Tango answered 503'): TangoRequestError =>
  new TangoRequestError('server_error', message, 503, true);

function failureOf(
  error: TangoRequestError | null,
  attempt: number,
  kind: FetchFailure['kind'] = 'error',
): FetchFailure {
  return { attempt, error, kind, message: error?.message ?? kind };
}

describe("planCommit (the fetcher's decisions, no I/O)", () => {
  const wanted = coalesce([request('C1'), request('C2'), request('C3', { priority: 'sweep', attempt: 1 })]);

  it('upserts what was found, with why each record was fetched, and resolves their failures', () => {
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ found: new Map([['C1', { fetched: ok('C1'), item: wanted.get('C1') }]]) }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.upserts).toEqual([
      {
        record: { key: 'C1', obligated: 1 },
        fetchedAt: NOW,
        missingFields: [],
        unshaped: false,
        provenance: {
          deliveryIds: ['d-1'],
          eventTypes: ['alerts.contract.match'],
          alertIds: [],
          reasons: ['alerts.contract.match'],
        },
      },
    ]);
    expect(plan.resolved).toEqual(['C1']);
    expect(plan).toMatchObject({
      tombstones: [],
      failureRows: [],
      retries: [],
      deadLetters: [],
      firstError: null,
    });
    expect(planSucceeded(plan)).toBe(true);
  });

  it('tombstones confirmed 404s of mirrored records at the latest confirming request, and resolves them', () => {
    const notFound = new Map([
      ['C1', new Date('2026-05-31T10:00:00Z')],
      ['C2', new Date('2026-05-31T11:00:00Z')],
    ]);
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ notFound, mirrored: new Set(['C1', 'C2']) }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.tombstones).toEqual(['C1', 'C2']);
    expect(plan.tombstonedAt).toEqual(new Date('2026-05-31T11:00:00Z'));
    expect(plan.tombstoneProvenance.deliveryIds).toEqual(['d-1']);
    expect(plan.resolved).toEqual(['C1', 'C2']);
    expect(plan.failureRows).toEqual([]);
  });

  it('records a 404 of a record the mirror never held as not_found, never as a tombstone or a retry', () => {
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ notFound: new Map([['C2', NOW]]) }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.tombstones).toEqual([]);
    expect(plan.retries).toEqual([]);
    expect(plan.failureRows).toEqual([
      {
        resource: 'contracts',
        recordId: 'C2',
        idKind: 'key',
        kind: 'not_found',
        status: 404,
        error: 'Tango answered 404 for a record the mirror never held',
        deadLettered: false,
        sweep: null,
      },
    ]);
    expect(plan.firstError).toBe('Tango answered 404 for a record the mirror never held');
    expect(planSucceeded(plan)).toBe(false);
  });

  it('retries a retryable record failure with backoff, at its own priority, and records it', () => {
    const item = wanted.get('C3')!;
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ failures: [{ item, failure: failureOf(retryable(), 1) }] }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.retries).toEqual([
      {
        resource: 'contracts',
        recordId: 'C3',
        idKind: 'key',
        kind: 'record',
        reason: 'retry',
        priority: 'sweep',
        sweep: null,
        attempt: 2,
        notBefore: new Date(NOW.getTime() + 4_000),
      },
    ]);
    expect(plan.failureRows).toEqual([
      {
        resource: 'contracts',
        recordId: 'C3',
        idKind: 'key',
        kind: 'error',
        status: 503,
        error: 'Tango answered 503',
        deadLettered: false,
        sweep: null,
      },
    ]);
    expect(plan.deadLetters).toEqual([]);
  });

  it('dead-letters a record whose attempts are spent, without a retry', () => {
    const item = wanted.get('C3')!;
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ failures: [{ item, failure: failureOf(retryable(), 2) }] }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.retries).toEqual([]);
    expect(plan.failureRows).toMatchObject([{ recordId: 'C3', kind: 'error', deadLettered: true }]);
    expect(plan.deadLetters).toEqual([
      { recordId: 'C3', idKind: 'key', attempts: 3, status: 503, error: 'Tango answered 503' },
    ]);
  });

  it('dead-letters a request Tango refused for good at once, as rejected', () => {
    const item = wanted.get('C1')!;
    const refused = new TangoRequestError('client_error', 'Tango answered 400', 400, false);
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ failures: [{ item, failure: failureOf(refused, 0) }] }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.retries).toEqual([]);
    expect(plan.failureRows).toMatchObject([
      { recordId: 'C1', kind: 'rejected', status: 400, deadLettered: true },
    ]);
    expect(plan.deadLetters).toEqual([
      { recordId: 'C1', idKind: 'key', attempts: 1, status: 400, error: 'Tango answered 400' },
    ]);
  });

  it('waits for the daily quota reset with the same attempt, recording nothing', () => {
    const item = wanted.get('C1')!;
    const until = new Date('2026-06-02T00:00:00Z');
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ failures: [{ item, failure: failureOf(new TangoQuotaExhaustedError(until, 'quota'), 0) }] }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.retries).toMatchObject([{ recordId: 'C1', attempt: 0, notBefore: until }]);
    expect(plan.failureRows).toEqual([]);
    expect(plan.deadLetters).toEqual([]);
  });

  it('records an unresolvable id once, without retrying it', () => {
    const piid = coalesce([request('GS00F1', { idKind: 'piid' })]);
    const plan = planCommit(
      'contracts',
      piid,
      fetched({ failures: [{ item: piid.get('GS00F1')!, failure: failureOf(null, 0, 'unresolvable') }] }),
      EMPTY_SWEEPS,
      SETTINGS,
      NOW,
    );
    expect(plan.retries).toEqual([]);
    expect(plan.failureRows).toEqual([
      {
        resource: 'contracts',
        recordId: 'GS00F1',
        idKind: 'piid',
        kind: 'unresolvable',
        status: null,
        error: 'unresolvable',
        deadLettered: false,
        sweep: null,
      },
    ]);
  });

  it('retries a failed alert re-run as a sweep with its filters, and dead-letters it once spent', () => {
    const swept = (attempt: number): SweptRecords => ({
      ...EMPTY_SWEEPS,
      failures: [{ sweep: sweepRequest(attempt), failure: failureOf(retryable(), attempt) }],
    });
    const first = planCommit('contracts', new Map(), fetched(), swept(0), SETTINGS, NOW);
    expect(first.retries).toEqual([
      {
        resource: 'contracts',
        recordId: 'alert:a-1',
        idKind: 'alert',
        kind: 'sweep',
        reason: 'alerts.contract.match',
        priority: 'sweep',
        sweep: SWEEP_SPEC,
        attempt: 1,
        notBefore: new Date(NOW.getTime() + 2_000),
      },
    ]);
    expect(first.failureRows).toMatchObject([
      { recordId: 'alert:a-1', idKind: 'alert', sweep: SWEEP_SPEC, deadLettered: false },
    ]);
    const last = planCommit('contracts', new Map(), fetched(), swept(2), SETTINGS, NOW);
    expect(last.retries).toEqual([]);
    expect(last.deadLetters).toEqual([
      { recordId: 'alert:a-1', idKind: 'alert', attempts: 3, status: 503, error: 'Tango answered 503' },
    ]);
  });

  it('writes what alert re-runs returned, resolves the ones that ran to the end and opens their gaps', () => {
    const gap: GapToOpen = {
      scope: 'alert',
      scopeKey: 'a-2',
      resource: 'contracts',
      alertId: 'a-2',
      cause: 'sweep_incomplete' as GapToOpen['cause'],
      rangeStart: NOW,
      rangeEnd: NOW,
      detail: {},
    };
    const record = {
      record: { key: 'C9' },
      fetchedAt: NOW,
      provenance: { deliveryIds: [], eventTypes: [], alertIds: ['a-1'], reasons: ['x'] },
    };
    const plan = planCommit(
      'contracts',
      new Map(),
      fetched(),
      { ...EMPTY_SWEEPS, records: [record], succeeded: ['alert:a-1'], gaps: [gap] },
      SETTINGS,
      NOW,
    );
    expect(plan.upserts).toEqual([record]);
    expect(plan.resolved).toEqual(['alert:a-1']);
    expect(plan.gaps).toEqual([gap]);
  });

  it("orders failure rows records first, then sweeps, and reports the first one's error", () => {
    const item = wanted.get('C1')!;
    const plan = planCommit(
      'contracts',
      wanted,
      fetched({ failures: [{ item, failure: failureOf(retryable('record failed'), 0) }] }),
      {
        ...EMPTY_SWEEPS,
        failures: [{ sweep: sweepRequest(), failure: failureOf(retryable('sweep failed'), 0) }],
      },
      SETTINGS,
      NOW,
    );
    expect(plan.failureRows.map((row) => row.recordId)).toEqual(['C1', 'alert:a-1']);
    expect(plan.firstError).toBe('record failed');
  });
});
