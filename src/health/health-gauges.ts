import { Injectable } from '@nestjs/common';
import { type Gauge } from 'prom-client';
import { RESOURCE_FAMILIES } from '../common/tango/resource-family';
import { GlobalGaugeLease } from '../jobs/global-gauge-lease';
import { MetricsService } from '../metrics/metrics.service';
import { HealthReportService, REPORT_CACHE_MS } from './health-report.service';
import { type FamilyReport, type GapView, type HealthReport } from './health-report.types';
import { type HealthStatus } from './health-status';

/** One `tango_sync_family_status` series per status (a Record, so a new status cannot be left out). */
const STATUS_SERIES: Readonly<Record<HealthStatus, null>> = { ok: null, degraded: null, failing: null };

/** A gauge without labels: its value, or no sample at all when the value is unknown (never a sentinel). */
function setOrOmit(gauge: Gauge, value: number | null): void {
  if (value === null) {
    gauge.remove();
  } else {
    gauge.set(value);
  }
}

const epochSeconds = (value: string | null): number | null =>
  value === null ? null : Date.parse(value) / 1000;

/** How long the oldest of these gaps has been open; 0 for none, so `> threshold` alerts need no absent(). */
function oldestAgeSeconds(gaps: readonly GapView[], nowMs: number): number {
  if (gaps.length === 0) {
    return 0;
  }
  return Math.max(0, nowMs - Math.min(...gaps.map((gap) => Date.parse(gap.openedAt)))) / 1000;
}

interface GaugeSpec<T> {
  readonly name: string;
  readonly help: string;
  /** The sample's value; null leaves the sample out. */
  readonly value: (source: T) => number | null;
}

/** Gauges with one series per family (label `resource`). */
const FAMILY_GAUGES: readonly GaugeSpec<FamilyReport>[] = [
  {
    name: 'tango_sync_open_gaps',
    help: 'Open sync gaps touching the family',
    value: (f) => f.openGaps.length,
  },
  {
    name: 'tango_sync_open_gap_oldest_seconds',
    help: 'How long the oldest open gap touching the family has been open (0 when none is)',
    value: (f) => oldestAgeSeconds(f.openGaps, Date.now()),
  },
  { name: 'tango_sync_fetch_backlog', help: 'Pending fetch targets', value: (f) => f.backlog.pending },
  {
    name: 'tango_sync_fetch_backlog_oldest_seconds',
    help: 'Age of the oldest pending fetch target (0 when none is pending)',
    value: (f) => f.backlog.oldestAgeSeconds ?? 0,
  },
  { name: 'tango_sync_dead_letters', help: 'Dead-lettered, unresolved records', value: (f) => f.deadLetters },
  {
    name: 'tango_sync_oldest_verification_age_seconds',
    help: 'Age of the least recently verified live mirrored record (no sample while none is mirrored)',
    value: (f) => f.freshness.oldestVerificationAgeSeconds,
  },
  {
    name: 'tango_sync_last_delivery_received_timestamp_seconds',
    help: 'Last webhook delivery received',
    value: (f) => epochSeconds(f.lastDeliveryReceivedAt),
  },
  {
    name: 'tango_sync_last_fetch_succeeded_timestamp_seconds',
    help: 'Last successful fetch',
    value: (f) => epochSeconds(f.lastFetchSucceededAt),
  },
  {
    name: 'tango_sync_last_change_emitted_timestamp_seconds',
    help: 'Last change event written',
    value: (f) => epochSeconds(f.lastChangeEmittedAt),
  },
  {
    name: 'tango_sync_reconciled_through_timestamp_seconds',
    help: 'Reconciliation watermark',
    value: (f) => epochSeconds(f.reconciledThrough),
  },
];

/** Gauges without labels. */
const GLOBAL_GAUGES: readonly GaugeSpec<HealthReport>[] = [
  {
    name: 'tango_sync_change_events_pending',
    help: 'Change events not yet relayed to Kafka',
    value: (report) => report.lag.changeEventsPending,
  },
  {
    name: 'tango_sync_change_events_oldest_pending_seconds',
    help: 'Age of the oldest change event not yet relayed to Kafka (0 when none is pending)',
    value: (report) => report.lag.changeEventsOldestAgeSeconds ?? 0,
  },
  {
    name: 'tango_sync_quota_daily_limit',
    help: 'Tango daily request limit (absent until an answer has reported it)',
    value: (report) => report.quota.dailyLimit,
  },
  {
    name: 'tango_sync_quota_daily_remaining',
    help: 'Tango daily requests remaining (absent until an answer has reported it)',
    value: (report) => report.quota.dailyRemaining,
  },
  {
    name: 'tango_sync_sweeps_paused',
    help: '1 when reconciliation sweeps are paused by the quota share or a 429',
    value: (report) => (report.quota.sweepsPausedReason === null ? 0 : 1),
  },
];

/**
 * The health report's figures as Prometheus gauges, computed at scrape time from one cached report, and exported
 * by one replica only: the holder of the global-gauge lease (see GlobalGaugeLease), so summing over replicas never
 * multiplies them.
 */
@Injectable()
export class HealthGauges {
  private exporting: { at: number; holder: Promise<boolean> } | undefined;

  constructor(
    private readonly reports: HealthReportService,
    private readonly gaugeLease: GlobalGaugeLease,
    metrics: MetricsService,
  ) {
    this.registerExporterGauge(metrics);
    this.registerStatusGauge(metrics);
    this.registerTangoVersionGauge(metrics);
    for (const spec of FAMILY_GAUGES) {
      this.registerFamilyGauge(metrics, spec);
    }
    for (const spec of GLOBAL_GAUGES) {
      this.registerGlobalGauge(metrics, spec);
    }
  }

  /** The report for the global gauges, or null when this replica does not export them. */
  private exportedReport(): Promise<HealthReport | null> {
    const now = Date.now();
    if (this.exporting === undefined || now - this.exporting.at > REPORT_CACHE_MS) {
      this.exporting = { at: now, holder: this.gaugeLease.holdOrTake().catch(() => false) };
    }
    const holder = this.exporting.holder;
    // A failing database must not fail the scrape: the gauges are then left out.
    return holder.then((held) => (held ? this.reports.recentReport().catch(() => null) : null));
  }

  private registerExporterGauge(metrics: MetricsService): void {
    const current = (): Promise<HealthReport | null> => this.exportedReport();
    metrics.gauge(
      'tango_sync_global_gauges_exporter',
      '1 on the one replica that exports the global (database-derived) gauges, 0 on the others',
      [],
      async function collect() {
        this.set((await current()) !== null ? 1 : 0);
      },
    );
  }

  private registerStatusGauge(metrics: MetricsService): void {
    const current = (): Promise<HealthReport | null> => this.exportedReport();
    metrics.gauge(
      'tango_sync_family_status',
      'Family health, one series per status: 1 for the current one (ok, degraded, failing), 0 for the others',
      ['family', 'status'],
      async function collect() {
        const report = await current();
        this.reset();
        if (report === null) {
          return;
        }
        for (const family of RESOURCE_FAMILIES) {
          const now = report.families[family]?.status;
          if (now === undefined) {
            continue;
          }
          for (const status of Object.keys(STATUS_SERIES)) {
            this.set({ family, status }, status === now ? 1 : 0);
          }
        }
      },
    );
  }

  private registerTangoVersionGauge(metrics: MetricsService): void {
    const current = (): Promise<HealthReport | null> => this.exportedReport();
    metrics.gauge(
      'tango_sync_tango_api_version_info',
      "Always 1: the live Tango API version (newest x-tango-api-version seen, or unknown) and the worker's vendored contract version",
      ['live', 'vendored'],
      async function collect() {
        const report = await current();
        this.reset();
        if (report !== null) {
          this.set({ live: report.tango.liveVersion, vendored: report.tango.contractVersion }, 1);
        }
      },
    );
  }

  private registerFamilyGauge(metrics: MetricsService, spec: GaugeSpec<FamilyReport>): void {
    const current = (): Promise<HealthReport | null> => this.exportedReport();
    metrics.gauge(spec.name, spec.help, ['resource'], async function collect() {
      const report = await current();
      this.reset();
      if (report === null) {
        return;
      }
      for (const family of RESOURCE_FAMILIES) {
        const entry = report.families[family];
        const value = entry === undefined ? null : spec.value(entry);
        if (value !== null) {
          this.set({ resource: family }, value);
        }
      }
    });
  }

  private registerGlobalGauge(metrics: MetricsService, spec: GaugeSpec<HealthReport>): void {
    const current = (): Promise<HealthReport | null> => this.exportedReport();
    metrics.gauge(spec.name, spec.help, [], async function collect() {
      const report = await current();
      setOrOmit(this, report === null ? null : spec.value(report));
    });
  }
}
