import { alertProblem, familyStatus, type FamilySignals } from '../../../src/health/health-status';
import { judgeAlertGrowth } from '../../../src/reconcile/gap-detector';
import { quotaAllowance } from '../../../src/reconcile/reconciler.service';
import { isLongWindow, planSweeps } from '../../../src/reconcile/sweep-plan';
import { type BudgetState } from '../../../src/tango/request-budget';

const CLEAN: FamilySignals = {
  openGaps: [],
  backlogPending: 0,
  backlogOldestAgeSeconds: null,
  deadLetters: 0,
  lastFetchSucceededAt: null,
  lastErrorAt: null,
  degradedAlerts: [],
  quotaProblems: [],
  rejected: null,
  shape: { status: 'full', dropped: [], unshapedReason: null },
  unresolvedIds: 0,
  jobProblems: [],
  backfillProblems: [],
};
const THRESHOLDS = { lagDegradedSeconds: 300, lagFailingFactor: 4, failingSweepAttempts: 3 };

const BUDGET: BudgetState = {
  burstLimit: null,
  burstRemaining: null,
  burstResetAt: null,
  dailyLimit: 1000,
  dailyRemaining: 1000,
  dailyResetAt: new Date('2030-01-01T00:00:00Z'),
  parkedUntil: null,
  parkedReason: null,
  requestsTotal: 0,
  throttledTotal: 0,
};
const NOW = new Date('2029-06-01T00:00:00Z');

describe('family status', () => {
  it('is ok without signals', () => {
    expect(familyStatus(CLEAN, THRESHOLDS)).toEqual({ status: 'ok', reasons: [] });
  });

  it('is degraded by an open gap, old backlog, dead letters, a degraded alert or quota', () => {
    const cases: Partial<FamilySignals>[] = [
      { openGaps: [{ cause: 'alert_match_count', sweepAttempts: 0, lastSweepError: null }] },
      { backlogPending: 3, backlogOldestAgeSeconds: 301 },
      { deadLetters: 2 },
      { degradedAlerts: [{ alertId: 'a1', why: 'alert is paused' }] },
      { quotaProblems: ['sweeps paused: daily quota'] },
    ];
    for (const signals of cases) {
      expect(familyStatus({ ...CLEAN, ...signals }, THRESHOLDS).status).toBe('degraded');
    }
  });

  it('is failing when the backlog is far behind, the latest fetch failed with work pending, or sweeps keep failing', () => {
    expect(
      familyStatus({ ...CLEAN, backlogPending: 1, backlogOldestAgeSeconds: 1201 }, THRESHOLDS).status,
    ).toBe('failing');
    expect(
      familyStatus(
        { ...CLEAN, backlogPending: 1, lastErrorAt: new Date(2), lastFetchSucceededAt: new Date(1) },
        THRESHOLDS,
      ).status,
    ).toBe('failing');
    expect(
      familyStatus(
        { ...CLEAN, openGaps: [{ cause: 'webhook_rejected', sweepAttempts: 3, lastSweepError: 'boom' }] },
        THRESHOLDS,
      ).status,
    ).toBe('failing');
  });

  it('flags paused alerts and alerts not checked within their frequency', () => {
    const base = { frequency: 'realtime', lastCheckedAt: NOW, observedAt: NOW };
    expect(alertProblem({ ...base, status: 'paused' }, 3, NOW)).toBe('alert is paused');
    expect(alertProblem({ ...base, status: 'active' }, 3, NOW)).toBeNull();
    expect(
      alertProblem({ ...base, status: 'active', lastCheckedAt: new Date(NOW.getTime() - 901_000) }, 3, NOW),
    ).toMatch(/not checked for 901s/);
  });
});

describe('gap rules', () => {
  it('opens a gap only when match_count grew by more than was delivered', () => {
    expect(judgeAlertGrowth(10, 13, 0)).toEqual({ gap: true, growth: 3, missing: 3 });
    expect(judgeAlertGrowth(10, 13, 3)).toEqual({ gap: false, growth: 3, missing: 0 });
    expect(judgeAlertGrowth(10, 13, 1)).toEqual({ gap: true, growth: 3, missing: 2 });
    expect(judgeAlertGrowth(10, 10, 0).gap).toBe(false);
    expect(judgeAlertGrowth(10, 4, 0).gap).toBe(false);
  });

  it('lets sweeps use only their share of the daily quota and pauses them while parked', () => {
    expect(quotaAllowance(BUDGET, 0.2, NOW)).toEqual({ requests: 200, pausedReason: null });
    expect(quotaAllowance({ ...BUDGET, dailyRemaining: 850 }, 0.2, NOW).requests).toBe(50);
    expect(quotaAllowance({ ...BUDGET, dailyRemaining: 800 }, 0.2, NOW).pausedReason).toMatch(/daily quota/);
    expect(
      quotaAllowance({ ...BUDGET, parkedUntil: new Date(NOW.getTime() + 1000) }, 0.2, NOW).pausedReason,
    ).toMatch(/parked/);
    expect(quotaAllowance({ ...BUDGET, dailyLimit: null, dailyRemaining: null }, 0.2, NOW).requests).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('plans the alert filters first, then the family windows widened by the overlap', () => {
    const plan = planSweeps(
      {
        resource: 'opportunities',
        rangeStart: new Date('2026-03-10T00:30:00Z'),
        rangeEnd: new Date('2026-03-10T02:00:00Z'),
        alertFilters: { naics: ['541511', '541512'], active: true },
      },
      3600,
    );
    expect(plan).toEqual({
      alertSkipped: null,
      sweeps: [
        {
          family: 'opportunities',
          filters: { naics: '541511|541512', active: 'true' },
          label: 'alert filters',
        },
        {
          family: 'opportunities',
          filters: { last_notice_date_after: '2026-03-09', last_notice_date_before: '2026-03-10' },
          label: 'last_notice_date window',
        },
        {
          family: 'opportunities',
          filters: {
            last_notice_date_after: '2026-03-09',
            last_notice_date_before: '2026-03-10',
            active: 'false',
          },
          label: 'last_notice_date window (inactive)',
        },
      ],
      windowStart: new Date('2026-03-09T23:30:00Z'),
      windowEnd: new Date('2026-03-10T03:00:00Z'),
    });
    expect(isLongWindow(plan)).toBe(false);
    const week = planSweeps(
      {
        resource: 'contracts',
        rangeStart: new Date('2026-03-01T00:00:00Z'),
        rangeEnd: new Date('2026-03-08T00:00:00Z'),
        alertFilters: null,
      },
      3600,
    );
    // A widened window of more than 7 days is read by a backfill job instead (SEGMENTED_SWEEP_MIN_DAYS).
    expect(isLongWindow(week)).toBe(true);
    expect(
      planSweeps({ resource: 'entities', rangeStart: NOW, rangeEnd: NOW, alertFilters: null }, 0).sweeps,
    ).toEqual([]);
  });

  it('never re-runs an alert whose filters Tango would partly ignore: the window alone repairs the gap', () => {
    const plan = planSweeps(
      {
        resource: 'contracts',
        rangeStart: new Date('2026-03-10T00:30:00Z'),
        rangeEnd: new Date('2026-03-10T02:00:00Z'),
        alertFilters: { naics: '541512', not_a_tango_filter: 'x' },
      },
      0,
    );
    expect(plan.sweeps.map((sweep) => sweep.label)).toEqual(['award_date window']);
    expect(plan.alertSkipped).toMatch(/not_a_tango_filter/);
  });

  it('repairs a gap of a contract resource by its own poll from the gap’s start (it has no date window)', () => {
    const gap = {
      rangeStart: new Date('2026-03-10T00:30:00Z'),
      rangeEnd: new Date('2026-03-10T02:00:00Z'),
      alertFilters: { not_a_tango_filter: 'x' },
    };
    expect(planSweeps({ ...gap, resource: 'exclusions' }, 3600).sweeps).toEqual([
      {
        family: 'exclusions',
        filters: { update_date_after: '2026-03-08' },
        label: 'resource poll (update_date_after)',
      },
    ]);
    expect(planSweeps({ ...gap, resource: 'dibbs_rfqs' }, 0).sweeps).toEqual([
      { family: 'dibbs_rfqs', filters: { ordering: '-modified' }, label: 'resource poll (-modified)' },
    ]);
    // A dimension is only walked whole, on its schedule: no sweep.
    expect(planSweeps({ ...gap, resource: 'agencies' }, 0).sweeps).toEqual([]);
  });

  it('marks a family failing when Tango refused its fetches for good, and degraded while its shape is reduced', () => {
    expect(
      familyStatus(
        { ...CLEAN, rejected: { count: 2, lastStatus: 400, lastError: 'Invalid shape' } },
        THRESHOLDS,
      ),
    ).toEqual({
      status: 'failing',
      reasons: ['Tango refused 2 fetch(es) for good (dead-lettered): 400 Invalid shape'],
    });
    const reduced = familyStatus(
      {
        ...CLEAN,
        shape: {
          status: 'reduced',
          dropped: [{ path: 'synopsis', reason: 'unknown_field' }],
          unshapedReason: null,
        },
      },
      THRESHOLDS,
    );
    expect(reduced.status).toBe('degraded');
    expect(reduced.reasons[0]).toMatch(/synopsis \(unknown_field\)/);
    expect(familyStatus({ ...CLEAN, jobProblems: ['alert poll failing'] }, THRESHOLDS).status).toBe(
      'degraded',
    );
  });
});
