import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { JobRunner, type JobTickOutcome } from '../jobs/job-runner';
import { startInterval, stopIntervals } from '../jobs/scheduled-interval';
import { RetentionService } from './retention.service';
import { RETENTION_SETTINGS, type RetentionSettings } from './retention-settings';

const RETENTION_JOB = 'retention';

/**
 * Runs retention every RETENTION_INTERVAL_MS (0: off) through the JobRunner, so with N replicas each tick runs
 * once and its outcome (rows pruned per table) is in `job_runs` for /health. Shutdown stops a run between batches.
 */
@Injectable()
export class RetentionScheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RetentionScheduler.name);
  private readonly stopping = new AbortController();

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly retention: RetentionService,
    private readonly jobs: JobRunner,
    @Inject(RETENTION_SETTINGS) private readonly settings: RetentionSettings,
  ) {}

  onApplicationBootstrap(): void {
    startInterval(this.registry, this.logger, RETENTION_JOB, this.settings.intervalMs, () => this.tick());
  }

  beforeApplicationShutdown(): void {
    this.stopping.abort();
  }

  onApplicationShutdown(): void {
    stopIntervals(this.registry, [RETENTION_JOB]);
  }

  /** One retention tick (timer ticks skip when another replica ran it this interval; `force` runs regardless). */
  async tick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    return this.jobs.tick(
      'retention',
      { intervalMs: this.settings.intervalMs, force: options.force ?? false },
      async () => ({ pruned: await this.retention.run(this.stopping.signal) }),
    );
  }
}
