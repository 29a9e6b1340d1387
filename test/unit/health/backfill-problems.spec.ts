import { type BackfillJobView } from '../../../src/backfill/backfill.repository';
import { jobRate } from '../../../src/backfill/backfill.service';
import { backfillProblems } from '../../../src/health/health-report.builder';
import { familyStatus } from '../../../src/health/health-status';

function job(
  id: string,
  state: BackfillJobView['state'],
  failedSegments: number,
  createdAt: string,
): BackfillJobView {
  return {
    id,
    families: ['contracts'],
    since: null,
    until: null,
    gapId: null,
    state,
    requestedBy: 'test',
    createdAt: new Date(createdAt),
    updatedAt: new Date(createdAt),
    finishedAt: state === 'running' ? null : new Date(Date.parse(createdAt) + 100_000),
    lastError: failedSegments > 0 ? '1 segment(s) failed after 5 attempts' : null,
    progress: [
      {
        family: 'contracts',
        segments: { pending: 0, running: 0, done: 9, split: 2, failed: failedSegments },
        pages: 100,
        records: 10_000,
        changes: 10_000,
        expected: 12_000,
        failures: 5,
        lastError: failedSegments > 0 ? 'Tango answered 400: bad filter' : null,
      },
    ],
  };
}

describe('backfill problems on /health', () => {
  it('degrades a family whose latest backfill failed, until a later one finishes', () => {
    const failed = job('11111111-1111-4111-8111-111111111111', 'failed', 1, '2026-12-01T00:00:00Z');
    const problems = backfillProblems([failed]);
    expect(problems.get('contracts')).toEqual([
      'backfill 11111111-1111-4111-8111-111111111111 failed: 1 segment(s) gave up (Tango answered 400: bad filter); start a new backfill',
    ]);
    expect(problems.has('entities')).toBe(false);
    // Jobs come newest first: a later job that finished clears the older failure.
    const done = job('22222222-2222-4222-8222-222222222222', 'done', 0, '2026-12-02T00:00:00Z');
    expect(backfillProblems([done, failed]).size).toBe(0);
  });

  it('gives a running job its rate and ETA, and a finished one no ETA', () => {
    const running = job('33333333-3333-4333-8333-333333333333', 'running', 0, '2026-12-02T00:00:00Z');
    expect(jobRate(running, new Date('2026-12-02T00:00:10Z'))).toEqual({
      recordsPerSecond: 1000,
      etaSeconds: 2,
    });
    const done = job('44444444-4444-4444-8444-444444444444', 'done', 0, '2026-12-02T00:00:00Z');
    expect(jobRate(done)).toEqual({ recordsPerSecond: 100, etaSeconds: null });
  });

  it('makes the family degraded with that reason', () => {
    const verdict = familyStatus(
      {
        openGaps: [],
        backlogPending: 0,
        backlogOldestAgeSeconds: null,
        deadLetters: 0,
        lastFetchSucceededAt: new Date(),
        lastErrorAt: null,
        degradedAlerts: [],
        quotaProblems: [],
        rejected: null,
        shape: { status: 'full', dropped: [], unshapedReason: null },
        unresolvedIds: 0,
        jobProblems: [],
        backfillProblems: ['backfill x failed'],
      },
      { lagDegradedSeconds: 900, lagFailingFactor: 4, failingSweepAttempts: 3 },
    );
    expect(verdict).toEqual({ status: 'degraded', reasons: ['backfill x failed'] });
  });
});
