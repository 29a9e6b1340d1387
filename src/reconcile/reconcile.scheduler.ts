import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { GapDetector } from './gap-detector';
import { RECONCILE_SETTINGS, type ReconcileSettings } from './reconcile-settings';
import { Reconciler } from './reconciler.service';

const POLL_JOB = 'health.alert-poll';
const RECONCILE_JOB = 'health.reconcile';

/**
 * Registers the two periodic jobs with @nestjs/schedule at the configured intervals (0 turns a job off): the alert
 * poll (rule a, then an immediate reconciliation when it opened a gap) and the regular reconciliation run
 * (rule b, sweeps of open gaps, drift sampling). A tick never overlaps the previous one, and none starts while
 * shutting down. Tests call `pollTick()` and `reconcileTick()` directly.
 */
@Injectable()
export class ReconcileScheduler
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(ReconcileScheduler.name);
  private pollRunning = false;
  private reconcileRunning = false;
  private draining = false;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly detector: GapDetector,
    private readonly reconciler: Reconciler,
    @Inject(RECONCILE_SETTINGS) private readonly settings: ReconcileSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(POLL_JOB, this.settings.alertPollIntervalMs, () => this.pollTick());
    this.schedule(RECONCILE_JOB, this.settings.reconcileIntervalMs, () => this.reconcileTick());
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }

  onApplicationShutdown(): void {
    for (const name of [POLL_JOB, RECONCILE_JOB]) {
      if (this.registry.doesExist('interval', name)) {
        this.registry.deleteInterval(name);
      }
    }
  }

  /** Polls the alerts; a gap found is reconciled right away. */
  async pollTick(): Promise<void> {
    if (this.pollRunning || this.draining) {
      return;
    }
    this.pollRunning = true;
    try {
      const outcome = await this.detector.pollAlerts();
      if (outcome.gapsOpened > 0) {
        await this.reconciler.reconcile({ drift: false });
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'alert poll failed; retried at the next tick');
    } finally {
      this.pollRunning = false;
    }
  }

  /** Turns new webhook rejections into gaps and sweeps every open gap (plus drift sampling). */
  async reconcileTick(): Promise<void> {
    if (this.reconcileRunning || this.draining) {
      return;
    }
    this.reconcileRunning = true;
    try {
      await this.detector.detectRejections();
      await this.reconciler.reconcile({ drift: true });
    } catch (error) {
      this.logger.warn({ err: error }, 'reconciliation run failed; retried at the next tick');
    } finally {
      this.reconcileRunning = false;
    }
  }

  private schedule(name: string, intervalMs: number, tick: () => Promise<void>): void {
    if (intervalMs <= 0) {
      this.logger.log({ job: name }, 'scheduled job disabled');
      return;
    }
    const handle = setInterval(() => void tick(), intervalMs);
    handle.unref();
    this.registry.addInterval(name, handle);
    this.logger.log({ job: name, intervalMs }, 'scheduled job registered');
  }
}
