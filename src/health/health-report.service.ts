import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { buildHealthReport } from './health-report.builder';
import { type HealthReport } from './health-report.types';
import { HealthSnapshotReader } from './health-snapshot.reader';

// The report's types live in health-report.types.ts; re-exported for the specs outside src/health that import
// them from here (test/e2e), so this refactor leaves those files alone.
export type { FamilyReport, HealthReport } from './health-report.types';

/** How long a report (and the gauges' lease check) is reused. */
export const REPORT_CACHE_MS = 1_000;

/**
 * `/health`'s report: a snapshot read (HealthSnapshotReader) turned into verdicts (buildHealthReport). The
 * Prometheus gauges (HealthGauges) and the console share one cached report.
 */
@Injectable()
export class HealthReportService {
  private cached: { at: number; report: Promise<HealthReport> } | undefined;

  constructor(
    private readonly snapshots: HealthSnapshotReader,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async report(now: Date = new Date()): Promise<HealthReport> {
    return buildHealthReport(await this.snapshots.read(), now, {
      ...this.config.health,
      health: this.config.health,
      freshness: this.config.freshness,
      mirrored: this.config.tango.resources,
      resources: this.config.resources,
    });
  }

  /** The report, at most a second old: shared by every gauge of one scrape and by the console's viewers. */
  recentReport(): Promise<HealthReport> {
    const now = Date.now();
    if (this.cached === undefined || now - this.cached.at > REPORT_CACHE_MS) {
      this.cached = { at: now, report: this.report() };
    }
    return this.cached.report;
  }
}
