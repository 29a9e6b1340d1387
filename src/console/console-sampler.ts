import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Ticker } from '../common/ticker';
import { MetricsService } from '../metrics/metrics.service';
import { type ActivitySample, ConsoleRepository } from './console.repository';

/** The counters each chart sums, with the label values that count (all when absent). */
const SOURCES: Readonly<
  Record<keyof ActivitySample, readonly { name: string; outcome?: readonly string[] }[]>
> = {
  deliveries: [{ name: 'tango_sync_webhook_deliveries_total' }],
  recordsFetched: [
    { name: 'tango_sync_fetch_records_total' },
    { name: 'tango_sync_backfill_records_total' },
    { name: 'tango_sync_reconcile_swept_records_total' },
  ],
  tangoRequests: [{ name: 'tango_sync_tango_requests_total' }],
  tangoThrottled: [
    { name: 'tango_sync_tango_requests_total', outcome: ['429', 'rate_limited', 'quota_exhausted'] },
  ],
  changesPublished: [{ name: 'tango_sync_change_events_published_total' }],
};

/**
 * Every CONSOLE_SAMPLE_INTERVAL_MS, writes what this replica did since the last sample (from its own counters) to
 * `console_samples`, so the console charts the last hours across replicas and restarts.
 */
@Injectable()
export class ConsoleSampler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ConsoleSampler.name);
  private readonly replica = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  private readonly ticker = new Ticker(() => this.sample());
  private last: ActivitySample | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly repository: ConsoleRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const every = this.config.consoleSampleIntervalMs;
    if (every === 0) {
      return;
    }
    this.last = await this.totals();
    this.ticker.start(every);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.ticker.started) {
      await this.ticker.stop();
      await this.sample();
    }
  }

  /** Records the activity since the previous sample (exported for tests). */
  async sample(): Promise<void> {
    const now = await this.totals();
    const before = this.last ?? now;
    this.last = now;
    const delta = Object.fromEntries(
      (Object.keys(now) as (keyof ActivitySample)[]).map((key) => [key, Math.max(0, now[key] - before[key])]),
    ) as Record<keyof ActivitySample, number>;
    try {
      await this.repository.recordSample(
        this.replica,
        Math.max(1, Math.round(this.config.consoleSampleIntervalMs / 1000)),
        delta,
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not record a console sample (the charts will show a dip)');
    }
  }

  private async totals(): Promise<ActivitySample> {
    const entries = await Promise.all(
      (Object.entries(SOURCES) as [keyof ActivitySample, (typeof SOURCES)[keyof ActivitySample]][]).map(
        async ([key, sources]) => {
          let total = 0;
          for (const source of sources) {
            total += await this.counterTotal(source.name, source.outcome);
          }
          return [key, total] as const;
        },
      ),
    );
    return Object.fromEntries(entries) as Record<keyof ActivitySample, number>;
  }

  private async counterTotal(name: string, outcomes: readonly string[] | undefined): Promise<number> {
    const metric = this.metrics.registry.getSingleMetric(name);
    if (metric === undefined) {
      return 0;
    }
    const { values } = await metric.get();
    return values
      .filter((value) => outcomes === undefined || outcomes.includes(String(value.labels.outcome)))
      .reduce((sum, value) => sum + value.value, 0);
  }
}
