import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobRunner, type JobTickOutcome } from '../jobs/job-runner';
import { startInterval, stopIntervals } from '../jobs/scheduled-interval';
import { ResourceRefreshService } from './resource-refresh.service';

const REFRESH_JOB = 'resources.refresh';

/**
 * Looks for due contract-resource refreshes every RESOURCE_REFRESH_INTERVAL_MS (0: never) through the JobRunner:
 * one replica at a time, never overlapping, recorded in `job_runs`. Tests call `refreshTick` directly.
 */
@Injectable()
export class ResourceRefreshScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ResourceRefreshScheduler.name);

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly refresh: ResourceRefreshService,
    private readonly jobs: JobRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const intervalMs = this.config.resources.refreshIntervalMs;
    if (this.refresh.refreshedResources().length === 0 || intervalMs === 0) {
      return;
    }
    startInterval(this.registry, this.logger, REFRESH_JOB, intervalMs, () => this.refreshTick());
    // What is due at start (a first walk of a resource just turned on) runs now, not an interval later.
    void this.refreshTick().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'contract-resource refresh at start failed; retried on its schedule');
    });
  }

  onApplicationShutdown(): void {
    stopIntervals(this.registry, [REFRESH_JOB]);
  }

  async refreshTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    const when = { intervalMs: this.config.resources.refreshIntervalMs, force: options.force ?? false };
    return this.jobs.tick('resource-refresh', when, async () => ({ runs: await this.refresh.refreshDue() }));
  }
}
