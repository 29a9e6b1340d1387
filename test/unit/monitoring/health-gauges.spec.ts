import { RESOURCE_FAMILIES, type ResourceFamily } from '../../../src/common/tango/resource-family';
import { HealthGauges } from '../../../src/health/health-gauges';
import { HealthReportService } from '../../../src/health/health-report.service';
import { type FamilyReport, type GapView, type HealthReport } from '../../../src/health/health-report.types';
import { type HealthSnapshotReader } from '../../../src/health/health-snapshot.reader';
import { type HealthStatus } from '../../../src/health/health-status';
import { type GlobalGaugeLease } from '../../../src/jobs/global-gauge-lease';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { type AppConfig } from '../../../src/config/app-config';
import { sampleValue } from './monitoring-files';
import { quietFamilyReport } from '../health/support/quiet-family-report';

function gap(openedAt: Date): GapView {
  return {
    id: '1',
    scope: 'resource',
    scopeKey: 'contracts',
    resource: 'contracts',
    alertId: null,
    cause: 'missed_delivery',
    rangeStart: openedAt.toISOString(),
    rangeEnd: openedAt.toISOString(),
    openedAt: openedAt.toISOString(),
    closedAt: null,
    sweepAttempts: 0,
    lastSweepError: null,
    detail: {},
  };
}

function family(name: ResourceFamily, status: HealthStatus, openGaps: readonly GapView[] = []): FamilyReport {
  return quietFamilyReport(name, { status, openGaps, lastFetchSucceededAt: '2026-01-01T00:00:00.000Z' });
}

function report(quota: { dailyLimit: number | null; dailyRemaining: number | null }): HealthReport {
  const families = Object.fromEntries(
    RESOURCE_FAMILIES.map((name) => [
      name,
      name === 'contracts'
        ? family(name, 'failing', [gap(new Date(Date.now() - 600_000))])
        : family(name, name === 'grants' ? 'degraded' : 'ok'),
    ]),
  ) as Record<ResourceFamily, FamilyReport>;
  return {
    status: 'failing',
    generatedAt: new Date().toISOString(),
    families,
    alerts: [],
    gaps: { open: [], recentlyClosed: [] },
    lag: { changeEventsPending: 3, changeEventsOldestAgeSeconds: null },
    quota: {
      ...quota,
      dailyResetAt: null,
      burstLimit: null,
      burstRemaining: null,
      parkedUntil: null,
      parkedReason: null,
      sweepShare: 0.2,
      sweepRequestsAllowed: null,
      sweepsPausedReason: null,
    },
    reconcile: null,
    storage: { tables: [], totalBytes: 0, retention: null },
    jobs: [],
    eventTypes: { listed: [], unknown: [] },
    backfills: [],
    problems: [],
    tango: {
      liveVersion: 'unknown',
      liveSeenAt: null,
      contractVersion: '4.22.0',
      vendoredVersions: ['4.22.0'],
      warning: null,
    },
  };
}

/** The health service with its report stubbed; `holder` says whether this replica holds the global-gauge lease. */
function gauges(holder: boolean, stubbed: HealthReport): MetricsService {
  const metrics = new MetricsService();
  const lease = { holdOrTake: () => Promise.resolve(holder) } as unknown as GlobalGaugeLease;
  const service = new HealthReportService({} as HealthSnapshotReader, {} as AppConfig);
  jest.spyOn(service, 'report').mockResolvedValue(stubbed);
  new HealthGauges(service, lease, metrics);
  return metrics;
}

describe('health gauges', () => {
  it('give each family one series per status, 1 on the current one (kube-state-metrics style)', async () => {
    const text = await gauges(true, report({ dailyLimit: 1000, dailyRemaining: 50 })).registry.metrics();
    const status = (name: ResourceFamily, value: HealthStatus): number | undefined =>
      sampleValue(text, 'tango_sync_family_status', { family: name, status: value });
    expect([
      status('contracts', 'ok'),
      status('contracts', 'degraded'),
      status('contracts', 'failing'),
    ]).toEqual([0, 0, 1]);
    expect([status('grants', 'ok'), status('grants', 'degraded'), status('grants', 'failing')]).toEqual([
      0, 1, 0,
    ]);
    expect(status('entities', 'ok')).toBe(1);
    expect(text).not.toContain('tango_sync_health_status');
  });

  it('export known values and leave unknown ones out, never a -1', async () => {
    const text = await gauges(true, report({ dailyLimit: null, dailyRemaining: null })).registry.metrics();
    expect(sampleValue(text, 'tango_sync_quota_daily_remaining')).toBeUndefined();
    expect(sampleValue(text, 'tango_sync_quota_daily_limit')).toBeUndefined();
    expect(sampleValue(text, 'tango_sync_last_delivery_received_timestamp_seconds')).toBeUndefined();
    expect(sampleValue(text, 'tango_sync_last_fetch_succeeded_timestamp_seconds', { resource: 'idvs' })).toBe(
      Date.parse('2026-01-01T00:00:00.000Z') / 1000,
    );
    expect(sampleValue(text, 'tango_sync_change_events_pending')).toBe(3);
    expect(text).not.toMatch(/^tango_sync_\S+ -1$/m);
    const known = await gauges(true, report({ dailyLimit: 1000, dailyRemaining: 50 })).registry.metrics();
    expect(sampleValue(known, 'tango_sync_quota_daily_remaining')).toBe(50);
    expect(sampleValue(known, 'tango_sync_quota_daily_limit')).toBe(1000);
  });

  it('say how long the oldest open gap has been open, 0 where none is', async () => {
    const text = await gauges(true, report({ dailyLimit: null, dailyRemaining: null })).registry.metrics();
    const age = (name: ResourceFamily): number | undefined =>
      sampleValue(text, 'tango_sync_open_gap_oldest_seconds', { resource: name });
    expect(age('contracts')).toBeGreaterThanOrEqual(600);
    expect(age('contracts')).toBeLessThan(660);
    expect(age('grants')).toBe(0);
    expect(sampleValue(text, 'tango_sync_fetch_backlog_oldest_seconds', { resource: 'grants' })).toBe(0);
  });

  it('name the live Tango API version beside the vendored contract version in one info series', async () => {
    const stubbed = { ...report({ dailyLimit: null, dailyRemaining: null }) };
    const text = await gauges(true, {
      ...stubbed,
      tango: { ...stubbed.tango, liveVersion: '4.25.1' },
    }).registry.metrics();
    expect(
      sampleValue(text, 'tango_sync_tango_api_version_info', { live: '4.25.1', vendored: '4.22.0' }),
    ).toBe(1);
    expect(text.match(/^tango_sync_tango_api_version_info\{/gm)).toHaveLength(1);
  });

  it('are left out entirely on a replica that does not hold the global-gauge lease', async () => {
    const text = await gauges(false, report({ dailyLimit: 1000, dailyRemaining: 50 })).registry.metrics();
    expect(sampleValue(text, 'tango_sync_global_gauges_exporter')).toBe(0);
    for (const name of [
      'tango_sync_family_status',
      'tango_sync_open_gaps',
      'tango_sync_change_events_pending',
      'tango_sync_quota_daily_remaining',
      'tango_sync_sweeps_paused',
      'tango_sync_tango_api_version_info',
    ]) {
      expect(sampleValue(text, name)).toBeUndefined();
    }
  });
});
