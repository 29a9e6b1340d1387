import { type BackfillJobView } from '../../../src/backfill/backfill.repository';
import { DESCRIBED_FAMILIES, type ResourceFamily } from '../../../src/common/tango/resource-family';
import { emptyRefreshState, type RefreshState } from '../../../src/resources/refresh-plan';
import { type SyncStateRow } from '../../../src/health/health.repository';
import { buildHealthReport } from '../../../src/health/health-report.builder';
import {
  type HealthReport,
  type HealthReportSettings,
  type HealthSnapshot,
} from '../../../src/health/health-report.types';
import { type JobRun } from '../../../src/jobs/job-runs.repository';
import { type AlertObservation, type SyncGap } from '../../../src/sync-state/gap.repository';
import { type FamilyShapeState, fullShapeState } from '../../../src/tango/family-shapes';
import { type BudgetState } from '../../../src/tango/request-budget';
import { quietFamilyReport } from './support/quiet-family-report';

const NOW = new Date('2029-06-01T12:00:00.000Z');
const SETTINGS: HealthReportSettings = {
  reconcileMaxQuotaShare: 0.2,
  lagDegradedSeconds: 300,
  health: { reconcileIntervalMs: 300_000, driftSampleSize: 100 },
  freshness: { reverifyQuotaShare: 0.1, verificationDegradedSeconds: 86_400 },
  mirrored: DESCRIBED_FAMILIES,
  resources: {},
};
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);

const NO_LIMITS: BudgetState = {
  burstLimit: null,
  burstRemaining: null,
  burstResetAt: null,
  dailyLimit: null,
  dailyRemaining: null,
  dailyResetAt: null,
  parkedUntil: null,
  parkedReason: null,
  requestsTotal: 0,
  throttledTotal: 0,
};

const EMPTY: HealthSnapshot = {
  states: [],
  backlog: [],
  deadLetters: new Map(),
  openGaps: [],
  closedGaps: [],
  observations: [],
  budget: NO_LIMITS,
  lag: { pending: 0, oldestAgeSeconds: null },
  rejected: new Map(),
  unresolved: new Map(),
  shapeStates: [],
  jobRuns: [],
  listedEventTypes: [],
  tableSizes: [],
  backfillJobs: [],
  tangoApiVersion: null,
  contracts: { worker: '4.22.0', vendored: ['4.22.0', '4.25.1'] },
  freshness: { deliveredAlertTypes: [], verification: [], probes: [], refreshes: [] },
};

function build(snapshot: Partial<HealthSnapshot>): HealthReport {
  return buildHealthReport({ ...EMPTY, ...snapshot }, NOW, SETTINGS);
}

function gap(id: string, resource: ResourceFamily | null, extra: Partial<SyncGap> = {}): SyncGap {
  return {
    id,
    scope: resource === null ? 'webhook' : 'resource',
    scopeKey: resource ?? 'webhook',
    resource,
    alertId: null,
    cause: 'webhook_rejected',
    rangeStart: ago(7200),
    rangeEnd: ago(3600),
    detail: { note: id },
    openedAt: ago(600),
    closedAt: null,
    sweepAttempts: 0,
    lastSweepAt: null,
    lastSweepError: null,
    ...extra,
  };
}

function state(
  scope: SyncStateRow['scope'],
  scopeKey: string,
  extra: Partial<SyncStateRow> = {},
): SyncStateRow {
  return {
    scope,
    scopeKey,
    lastDeliveryReceivedAt: null,
    lastDeliveryId: null,
    lastTangoTimestamp: null,
    lastCheckedAt: null,
    lastFetchSucceededAt: null,
    lastChangeEmittedAt: null,
    reconciledThrough: null,
    lastError: null,
    lastErrorAt: null,
    ...extra,
  };
}

function observation(alertId: string, extra: Partial<AlertObservation> = {}): AlertObservation {
  return {
    alertId,
    queryType: 'contract',
    status: 'active',
    frequency: 'realtime',
    matchCount: 7,
    lastCheckedAt: ago(60),
    observedAt: ago(30),
    deliveredThroughPk: 0,
    filters: {},
    ...extra,
  };
}

function jobRun(job: JobRun['job'], extra: Partial<JobRun> = {}): JobRun {
  return {
    job,
    runs: 4,
    lastStartedAt: ago(120),
    lastFinishedAt: ago(100),
    lastSucceededAt: ago(100),
    lastError: null,
    lastErrorAt: null,
    lastOutcome: null,
    ...extra,
  };
}

function backfill(id: string, jobState: BackfillJobView['state'], failedSegments = 0): BackfillJobView {
  return {
    id,
    families: ['contracts'],
    since: null,
    until: null,
    gapId: null,
    state: jobState,
    requestedBy: 'test',
    createdAt: ago(100),
    updatedAt: ago(10),
    finishedAt: jobState === 'running' || jobState === 'paused' ? null : ago(10),
    lastError: null,
    progress: [
      {
        family: 'contracts',
        segments: { pending: 0, running: 0, done: 4, split: 0, failed: failedSegments },
        pages: 10,
        records: 1000,
        changes: 1000,
        expected: 2000,
        failures: 0,
        lastError: failedSegments > 0 ? 'Tango answered 400' : null,
      },
    ],
  };
}

/** Every family's status, in DESCRIBED_FAMILIES order. */
const statuses = (report: HealthReport): string[] =>
  DESCRIBED_FAMILIES.map((family) => report.families[family]?.status ?? 'absent');

describe('health report builder: a clean snapshot', () => {
  const report = build({});

  it('is ok everywhere, with the figures at their defaults', () => {
    expect(report.status).toBe('ok');
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(Object.keys(report.families)).toEqual([...DESCRIBED_FAMILIES]);
    expect(report.families.contracts).toEqual(quietFamilyReport('contracts'));
  });

  it('has no alerts, gaps, jobs, backfills or problems, and no sweep limit without a known quota', () => {
    expect(report.alerts).toEqual([]);
    expect(report.gaps).toEqual({ open: [], recentlyClosed: [] });
    expect(report.lag).toEqual({ changeEventsPending: 0, changeEventsOldestAgeSeconds: null });
    expect(report.quota).toEqual({
      dailyLimit: null,
      dailyRemaining: null,
      dailyResetAt: null,
      burstLimit: null,
      burstRemaining: null,
      parkedUntil: null,
      parkedReason: null,
      sweepShare: 0.2,
      sweepRequestsAllowed: null,
      sweepsPausedReason: null,
    });
    expect(report.reconcile).toBeNull();
    expect(report.storage).toEqual({ tables: [], totalBytes: 0, retention: null });
    expect(report.jobs).toEqual([]);
    expect(report.eventTypes).toEqual({ listed: [], unknown: [] });
    expect(report.backfills).toEqual([]);
    expect(report.problems).toEqual([]);
  });
});

describe('health report builder: a family', () => {
  it('shows its sync state as ISO timestamps (resource scope only)', () => {
    const report = build({
      states: [
        state('resource', 'grants', {
          lastDeliveryReceivedAt: ago(10),
          lastTangoTimestamp: ago(20),
          lastFetchSucceededAt: ago(30),
          lastChangeEmittedAt: ago(40),
          reconciledThrough: ago(50),
          lastError: 'old error',
          lastErrorAt: ago(90),
        }),
        state('alert', 'contracts', { lastDeliveryReceivedAt: ago(5) }),
      ],
    });
    expect(report.families.grants).toMatchObject({
      status: 'ok',
      lastDeliveryReceivedAt: ago(10).toISOString(),
      lastTangoTimestamp: ago(20).toISOString(),
      lastFetchSucceededAt: ago(30).toISOString(),
      lastChangeEmittedAt: ago(40).toISOString(),
      reconciledThrough: ago(50).toISOString(),
      lastError: 'old error',
      lastErrorAt: ago(90).toISOString(),
    });
    expect(report.families.contracts?.lastDeliveryReceivedAt).toBeNull();
  });

  it('is degraded by a backlog older than the lag threshold and failing past four times it', () => {
    const at = (seconds: number): HealthReport =>
      build({ backlog: [{ resource: 'idvs', pending: 5, oldestAgeSeconds: seconds }] });
    expect(at(300).families.idvs?.status).toBe('ok');
    expect(at(301).families.idvs).toMatchObject({
      status: 'degraded',
      reasons: ['fetch backlog 301s old (5 pending)'],
      backlog: { pending: 5, oldestAgeSeconds: 301 },
    });
    expect(at(1200).families.idvs?.status).toBe('degraded');
    expect(at(1201).families.idvs).toMatchObject({
      status: 'failing',
      reasons: ['fetch backlog 1201s old (5 pending)'],
    });
    expect(at(1201).families.contracts?.status).toBe('ok');
    expect(at(1201).status).toBe('failing');
  });

  it('is failing when its latest fetch failed with work pending, not when a success came later', () => {
    const failed = (lastErrorAt: Date, pending: number): HealthReport =>
      build({
        states: [state('resource', 'otas', { lastFetchSucceededAt: ago(100), lastErrorAt })],
        backlog: [{ resource: 'otas', pending, oldestAgeSeconds: 1 }],
      });
    expect(failed(ago(50), 1).families.otas).toMatchObject({
      status: 'failing',
      reasons: ['latest fetch failed with work pending'],
    });
    expect(failed(ago(50), 0).families.otas?.status).toBe('ok');
    expect(failed(ago(150), 1).families.otas?.status).toBe('ok');
  });

  it('counts its own gaps and family-less ones; a gap whose sweeps keep failing makes it failing', () => {
    const report = build({
      openGaps: [
        gap('1', 'contracts'),
        gap('2', null),
        gap('3', 'grants', { cause: 'alert_match_count', sweepAttempts: 3, lastSweepError: 'timeout' }),
        gap('4', 'idvs', { sweepAttempts: 3 }),
      ],
    });
    expect(report.families.contracts?.openGaps.map((g) => g.id)).toEqual(['1', '2']);
    expect(report.families.contracts).toMatchObject({
      status: 'degraded',
      reasons: ['open gap (webhook_rejected)', 'open gap (webhook_rejected)'],
    });
    expect(report.families.entities?.openGaps.map((g) => g.id)).toEqual(['2']);
    expect(report.families.grants).toMatchObject({
      status: 'failing',
      reasons: [
        'gap (alert_match_count) not repaired after 3 sweeps: timeout',
        'open gap (webhook_rejected)',
      ],
    });
    expect(report.families.idvs?.status).toBe('degraded');
    expect(report.gaps.open.map((g) => g.id)).toEqual(['1', '2', '3', '4']);
  });

  it('shows gaps as views with ISO dates, open and recently closed', () => {
    const closed = gap('9', 'contracts', { closedAt: ago(5), lastSweepAt: ago(6) });
    const report = build({ openGaps: [gap('1', 'contracts')], closedGaps: [closed] });
    expect(report.gaps.recentlyClosed).toEqual([
      {
        id: '9',
        scope: 'resource',
        scopeKey: 'contracts',
        resource: 'contracts',
        alertId: null,
        cause: 'webhook_rejected',
        rangeStart: ago(7200).toISOString(),
        rangeEnd: ago(3600).toISOString(),
        openedAt: ago(600).toISOString(),
        closedAt: ago(5).toISOString(),
        sweepAttempts: 0,
        lastSweepError: null,
        detail: { note: '9' },
      },
    ]);
    expect(report.gaps.open[0]?.closedAt).toBeNull();
    expect(report.families.contracts?.openGaps).toEqual(report.gaps.open);
  });

  it('is degraded by dead letters and by ids that name no record', () => {
    const report = build({ deadLetters: new Map([['grants', 2]]), unresolved: new Map([['forecasts', 4]]) });
    expect(report.families.grants).toMatchObject({
      status: 'degraded',
      reasons: ['2 dead-lettered record(s)'],
      deadLetters: 2,
    });
    expect(report.families.forecasts).toMatchObject({
      status: 'degraded',
      reasons: ['4 id(s) that name no record (unresolved PIIDs or forecast subjects)'],
      unresolvedIds: 4,
    });
    expect(report.families.contracts?.status).toBe('ok');
  });

  it('is failing while Tango refuses fetches for good, and shows the newest refusal', () => {
    const report = build({
      rejected: new Map([
        ['notices', { count: 2, lastStatus: 400, lastError: 'bad id', lastFailedAt: ago(15) }],
      ]),
    });
    expect(report.families.notices).toMatchObject({
      status: 'failing',
      reasons: ['Tango refused 2 fetch(es) for good (dead-lettered): 400 bad id'],
      rejectedFetches: {
        count: 2,
        lastStatus: 400,
        lastError: 'bad id',
        lastFailedAt: ago(15).toISOString(),
      },
    });
  });

  it('is degraded by a reduced or unshaped shape, and reports the shape state', () => {
    const reduced: FamilyShapeState = {
      ...fullShapeState('entities'),
      status: 'reduced',
      dropped: [{ path: 'naics', reason: 'unknown_field', since: ago(500).toISOString() }],
      degradedSince: ago(500),
      driftEvents: 2,
      lastProbeAt: ago(60),
      lastProbeOutcome: 'still refused',
      restoredAt: ago(9000),
    };
    const unshaped: FamilyShapeState = {
      ...fullShapeState('grants'),
      status: 'unshaped',
      unshapedSince: ago(100),
      unshapedReason: 'tier refuses shapes',
    };
    const report = build({ shapeStates: [reduced, unshaped] });
    expect(report.families.entities).toMatchObject({
      status: 'degraded',
      reasons: [
        'shape reduced (contract drift): Tango refused naics (unknown_field); mirrored without them until Tango accepts them again',
      ],
      shape: {
        status: 'reduced',
        dropped: reduced.dropped,
        unshapedReason: null,
        degradedSince: ago(500).toISOString(),
        driftEvents: 2,
        lastProbeAt: ago(60).toISOString(),
        lastProbeOutcome: 'still refused',
        restoredAt: ago(9000).toISOString(),
      },
    });
    expect(report.families.grants).toMatchObject({
      status: 'degraded',
      reasons: ['fetched without a shape (Tango refuses shapes for this tier): tier refuses shapes'],
      shape: { status: 'unshaped', unshapedReason: 'tier refuses shapes' },
    });
    expect(report.families.contracts?.shape.status).toBe('full');
  });

  it('is degraded when its latest backfill failed, not when a later one finished', () => {
    const failed = backfill('b1', 'failed', 2);
    expect(build({ backfillJobs: [failed] }).families.contracts).toMatchObject({
      status: 'degraded',
      reasons: ['backfill b1 failed: 2 segment(s) gave up (Tango answered 400); start a new backfill'],
    });
    expect(build({ backfillJobs: [backfill('b2', 'done'), failed] }).families.contracts?.status).toBe('ok');
  });

  it('lists failing reasons before degraded ones', () => {
    const report = build({
      deadLetters: new Map([['contracts', 1]]),
      backlog: [{ resource: 'contracts', pending: 1, oldestAgeSeconds: 5000 }],
    });
    expect(report.families.contracts?.reasons).toEqual([
      'fetch backlog 5000s old (1 pending)',
      '1 dead-lettered record(s)',
    ]);
  });
});

describe('health report builder: contract resources', () => {
  const withAgencies = { ...SETTINGS, mirrored: [...DESCRIBED_FAMILIES, 'agencies' as const] };
  const refreshed = (extra: Partial<RefreshState>): HealthReport =>
    buildHealthReport(
      {
        ...EMPTY,
        freshness: {
          ...EMPTY.freshness,
          refreshes: [{ state: { ...emptyRefreshState('agencies'), ...extra }, live: 400 }],
        },
      },
      NOW,
      withAgencies,
    );

  it('lists a resource turned on with its freshness source and where its walks stand', () => {
    const report = refreshed({ fullStartedAt: ago(120), fullCompletedAt: ago(100) });
    expect(report.families.agencies).toMatchObject({
      status: 'ok',
      freshness: {
        source: 'full-refresh',
        mirrored: 400,
        problem: null,
        refresh: {
          mode: 'full',
          dimension: true,
          fullSeconds: 86_400,
          lastFullWalkAt: ago(100).toISOString(),
          nextDueAt: new Date(ago(120).getTime() + 86_400_000).toISOString(),
        },
      },
    });
    expect(build({}).families.agencies).toBeUndefined();
  });

  it('degrades a resource whose walk failed, that was never walked, or whose walks stopped', () => {
    const failed = refreshed({
      fullStartedAt: ago(120),
      fullCompletedAt: ago(100),
      lastKind: 'full',
      lastError: 'HTTP 503',
      lastErrorAt: ago(5),
    });
    expect(failed.families.agencies?.status).toBe('degraded');
    expect(failed.families.agencies?.reasons).toEqual(['last full failed: HTTP 503']);
    expect(failed.status).toBe('degraded');
    expect(refreshed({}).families.agencies?.reasons).toEqual([
      'no complete walk of the list yet: the mirror does not hold the resource yet',
    ]);
    expect(
      refreshed({ fullStartedAt: ago(3 * 86_400), fullCompletedAt: ago(3 * 86_400) }).families.agencies
        ?.reasons,
    ).toEqual([`last complete walk is ${3 * 86_400}s old (period 86400s): is the refresh job running?`]);
  });
});

describe('health report builder: history check', () => {
  it('degrades the families whose mirror rows the last history check found differing from their history', () => {
    const report = build({
      jobRuns: [
        jobRun('history-check', {
          lastOutcome: {
            checked: 200,
            differing: 2,
            mismatches: [
              { resource: 'grants', id: '7', difference: 'record' },
              { resource: 'grants', id: '9', difference: 'hash' },
            ],
            cursors: {},
          },
        }),
      ],
    });
    expect(report.families.grants?.status).toBe('degraded');
    expect(report.families.grants?.reasons).toContain(
      'history check: 2 record(s) differ from the fold of their history (tango-sync rebuild grants)',
    );
    expect(report.families.contracts?.status).toBe('ok');
  });
});

describe('health report builder: alerts', () => {
  it('reports each alert with its family and its own delivery state', () => {
    const report = build({
      observations: [observation('a1')],
      states: [
        state('alert', 'a1', { lastDeliveryReceivedAt: ago(7), reconciledThrough: ago(8) }),
        state('resource', 'a1', { lastDeliveryReceivedAt: ago(99) }),
      ],
    });
    expect(report.alerts).toEqual([
      {
        alertId: 'a1',
        queryType: 'contract',
        resource: 'contracts',
        status: 'ok',
        reason: null,
        alertStatus: 'active',
        frequency: 'realtime',
        matchCount: 7,
        lastCheckedAt: ago(60).toISOString(),
        observedAt: ago(30).toISOString(),
        lastDeliveryReceivedAt: ago(7).toISOString(),
        reconciledThrough: ago(8).toISOString(),
      },
    ]);
    expect(report.status).toBe('ok');
  });

  it('degrades a paused or stale alert and its family only', () => {
    const report = build({
      observations: [
        observation('a1', { status: 'paused' }),
        observation('a2', { queryType: 'grant', lastCheckedAt: ago(901) }),
        observation('a3', { queryType: 'entity', lastCheckedAt: ago(900) }),
      ],
    });
    expect(report.alerts.map((alert) => [alert.alertId, alert.status, alert.reason])).toEqual([
      ['a1', 'degraded', 'alert is paused'],
      ['a2', 'degraded', 'not checked for 901s (frequency realtime)'],
      ['a3', 'ok', null],
    ]);
    expect(report.families.contracts?.reasons).toEqual(['alert a1: alert is paused']);
    expect(report.families.grants?.reasons).toEqual(['alert a2: not checked for 901s (frequency realtime)']);
    expect(report.families.entities?.status).toBe('ok');
    expect(report.status).toBe('degraded');
  });

  it('gives an alert of an unknown query type no family, so it degrades none', () => {
    const report = build({
      observations: [observation('a9', { queryType: 'contract_appeal', status: 'paused' })],
    });
    expect(report.alerts[0]).toMatchObject({ resource: null, status: 'degraded' });
    expect(statuses(report).every((status) => status === 'ok')).toBe(true);
  });
});

describe('health report builder: quota', () => {
  const budget = (extra: Partial<BudgetState>): BudgetState => ({
    ...NO_LIMITS,
    dailyLimit: 1000,
    dailyRemaining: 1000,
    dailyResetAt: new Date(NOW.getTime() + 3_600_000),
    ...extra,
  });

  it('lets sweeps use their share of what is left, and reports the budget', () => {
    const report = build({ budget: budget({ burstLimit: 10, burstRemaining: 9, parkedReason: 'old 429' }) });
    expect(report.quota).toEqual({
      dailyLimit: 1000,
      dailyRemaining: 1000,
      dailyResetAt: new Date(NOW.getTime() + 3_600_000).toISOString(),
      burstLimit: 10,
      burstRemaining: 9,
      parkedUntil: null,
      parkedReason: 'old 429',
      sweepShare: 0.2,
      sweepRequestsAllowed: 200,
      sweepsPausedReason: null,
    });
    expect(report.status).toBe('ok');
  });

  it('degrades every family while sweeps are paused by the daily quota or parked requests', () => {
    const spent = build({ budget: budget({ dailyRemaining: 800 }) });
    const reason = 'sweeps paused: daily quota: 800/1000 left, sweeps may use 20%';
    expect(spent.quota).toMatchObject({ sweepRequestsAllowed: 0, sweepsPausedReason: reason.slice(15) });
    expect(statuses(spent).every((status) => status === 'degraded')).toBe(true);
    expect(spent.families.forecasts?.reasons).toEqual([reason]);
    const until = new Date(NOW.getTime() + 60_000);
    const parked = build({ budget: budget({ parkedUntil: until }) });
    expect(parked.quota.parkedUntil).toBe(until.toISOString());
    expect(parked.families.contracts?.reasons).toEqual([
      `sweeps paused: requests parked until ${until.toISOString()}`,
    ]);
  });
});

describe('health report builder: jobs and storage', () => {
  it('degrades every family while the alert poll fails, and lists the job as degraded', () => {
    const poll = jobRun('alert-poll', { lastError: 'Tango 503', lastErrorAt: ago(50) });
    const report = build({ jobRuns: [poll] });
    const reason = `alert poll failing since ${ago(50).toISOString()} (gap detection is blind): Tango 503`;
    expect(statuses(report).every((status) => status === 'degraded')).toBe(true);
    expect(report.families.idvs?.reasons).toEqual([reason]);
    expect(report.jobs).toEqual([
      {
        job: 'alert-poll',
        status: 'degraded',
        runs: 4,
        lastStartedAt: ago(120).toISOString(),
        lastSucceededAt: ago(100).toISOString(),
        lastError: 'Tango 503',
        lastErrorAt: ago(50).toISOString(),
        lastFinishedAt: ago(100).toISOString(),
        lastOutcome: null,
      },
    ]);
  });

  it('ignores an alert poll whose latest run succeeded, and a failing job other than the poll', () => {
    const report = build({
      jobRuns: [
        jobRun('alert-poll', { lastError: 'old', lastErrorAt: ago(500) }),
        jobRun('shape-probe', { lastError: 'boom', lastErrorAt: ago(5) }),
      ],
    });
    expect(report.jobs.map((job) => job.status)).toEqual(['ok', 'degraded']);
    expect(report.status).toBe('ok');
  });

  it('shows the last reconcile outcome and the retention run next to the table sizes', () => {
    const report = build({
      jobRuns: [
        jobRun('reconcile', { lastOutcome: { gapsClosed: 2 } }),
        jobRun('retention', { lastOutcome: { pruned: 10 } }),
      ],
      tableSizes: [
        { table: 'contracts', bytes: 3000, estimatedRows: 10 },
        { table: 'grants', bytes: 500, estimatedRows: 2 },
      ],
    });
    expect(report.reconcile).toEqual({ gapsClosed: 2 });
    expect(report.storage.totalBytes).toBe(3500);
    expect(report.storage.tables).toHaveLength(2);
    expect(report.storage.retention).toMatchObject({ job: 'retention', lastOutcome: { pruned: 10 } });
  });

  it('reports the change-event lag as read', () => {
    expect(build({ lag: { pending: 12, oldestAgeSeconds: 4.5 } }).lag).toEqual({
      changeEventsPending: 12,
      changeEventsOldestAgeSeconds: 4.5,
    });
  });
});

describe('health report builder: event types and backfills', () => {
  it('makes listed event types the parser does not know a problem that degrades the report, not a family', () => {
    const report = build({
      listedEventTypes: ['alerts.contract.match', 'alerts.exclusion.match', 'weird.new'],
    });
    expect(report.eventTypes).toEqual({
      listed: ['alerts.contract.match', 'alerts.exclusion.match', 'weird.new'],
      unknown: ['weird.new'],
    });
    expect(report.problems).toEqual([
      'Tango lists webhook event type weird.new, which the delivery parser does not know',
    ]);
    expect(report.status).toBe('degraded');
    expect(statuses(report).every((status) => status === 'ok')).toBe(true);
  });

  it('shows running and paused backfills and the three newest others, each with its rate', () => {
    const jobs = [
      backfill('d1', 'done'),
      backfill('d2', 'cancelled'),
      backfill('d3', 'done'),
      backfill('r1', 'running'),
      backfill('d4', 'done'),
      backfill('p1', 'paused'),
    ];
    const report = build({ backfillJobs: jobs });
    expect(report.backfills.map((job) => job.id)).toEqual(['d1', 'd2', 'd3', 'r1', 'p1']);
    expect(report.backfills[3]?.rate).toEqual({ recordsPerSecond: 10, etaSeconds: 100 });
    expect(report.backfills[0]?.rate).toEqual({ recordsPerSecond: 11.1, etaSeconds: null });
  });
});

describe('health report builder: the Tango it talks to', () => {
  it('reports a newer live Tango as a warning that changes no status', () => {
    const report = build({ tangoApiVersion: { version: '4.26.0', seenAt: ago(60) } });
    expect(report.tango).toMatchObject({
      liveVersion: '4.26.0',
      liveSeenAt: ago(60).toISOString(),
      contractVersion: '4.22.0',
    });
    expect(report.tango.warning).toMatch(/scripts\/refresh-tango-contract\.sh/);
    expect(report.status).toBe('ok');
    expect(report.problems).toEqual([]);
    expect(build({}).tango).toMatchObject({ liveVersion: 'unknown', warning: null });
  });
});
