import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { type Gauge } from 'prom-client';
import { z } from 'zod';
import { MetricsService } from '../metrics/metrics.service';
import { MirrorRebuildService } from '../history/mirror-rebuild.service';
import { JobRunRepository } from '../jobs/job-runs.repository';
import { startInterval, stopIntervals } from '../jobs/scheduled-interval';
import { FamilyShapes } from '../tango/family-shapes';
import { RecordFetcher } from '../tango/record-fetcher';
import { EventTypeCatalog } from './event-type-catalog';
import { FreshnessService } from './freshness.service';
import { GapDetector } from './gap-detector';
import { JobRunner, type JobTickOutcome } from '../jobs/job-runner';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Reconciler } from './reconciler.service';

/** The history check's cursors as its last outcome recorded them. */
const historyCursorsSchema = z.record(z.string(), z.string());

const POLL_JOB = 'health.alert-poll';
const RECONCILE_JOB = 'health.reconcile';
const SHAPE_PROBE_JOB = 'health.shape-probe';
const NEWEST_POLL_JOB = 'health.newest-poll';
const MODIFIED_SINCE_PROBE_JOB = 'health.modified-since-probe';
const HISTORY_CHECK_JOB = 'health.history-check';

/**
 * Registers the periodic jobs with @nestjs/schedule at the configured intervals (0 turns a job off): the alert
 * poll (Tango's event types, then rule a, then an immediate reconciliation when it opened a gap), the regular
 * reconciliation run (rule b, sweeps of open gaps, drift sampling), and the shape probe (families whose shape
 * Tango refused go back to the full shape once Tango accepts it). Each tick goes through the JobRunner: with any
 * number of replicas it runs once, never overlaps another run of the job, and none starts while shutting down;
 * each run and its outcome is recorded in `job_runs` for /health. Tests call the `…Tick()` methods directly.
 */
@Injectable()
export class ReconcileScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReconcileScheduler.name);
  private readonly historyMismatchGauge: Gauge<'resource'>;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly detector: GapDetector,
    private readonly reconciler: Reconciler,
    private readonly eventTypes: EventTypeCatalog,
    private readonly shapes: FamilyShapes,
    private readonly fetcher: RecordFetcher,
    private readonly jobs: JobRunner,
    private readonly freshness: FreshnessService,
    private readonly rebuilds: MirrorRebuildService,
    private readonly jobRuns: JobRunRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.historyMismatchGauge = metrics.gauge(
      'tango_sync_history_mismatches',
      'Mirror rows the last history check (on this replica) found differing from the fold of their history',
      ['resource'],
    );
  }

  onApplicationBootstrap(): void {
    // Timer ticks: skipped when another replica ran the job in this interval. Direct calls may pass `force`.
    this.schedule(POLL_JOB, this.config.health.alertPollIntervalMs, () => this.pollTick());
    this.schedule(RECONCILE_JOB, this.config.health.reconcileIntervalMs, () => this.reconcileTick());
    this.schedule(SHAPE_PROBE_JOB, this.config.health.shapeProbeIntervalMs, () => this.shapeProbeTick());
    this.schedule(NEWEST_POLL_JOB, this.newestPollIntervalMs(), () => this.newestPollTick());
    this.schedule(MODIFIED_SINCE_PROBE_JOB, this.probeIntervalMs(), () => this.modifiedSinceProbeTick());
    this.schedule(HISTORY_CHECK_JOB, this.config.health.historyCheckIntervalMs, () =>
      this.historyCheckTick(),
    );
    if (this.probeIntervalMs() > 0) {
      // Known soon after start, not a probe interval later (a day by default).
      void this.modifiedSinceProbeTick().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'modified_after probe at start failed; retried on its schedule');
      });
    }
    if (this.config.health.alertPollIntervalMs > 0) {
      // Tango's event types at start, not only after the first poll interval.
      void this.eventTypes.refresh().catch((error: unknown) => {
        this.logger.warn(
          { err: error },
          'reading Tango event types at start failed; retried on the next poll',
        );
      });
    }
  }

  onApplicationShutdown(): void {
    stopIntervals(this.registry, [
      POLL_JOB,
      RECONCILE_JOB,
      SHAPE_PROBE_JOB,
      NEWEST_POLL_JOB,
      MODIFIED_SINCE_PROBE_JOB,
      HISTORY_CHECK_JOB,
    ]);
  }

  /** Reads Tango's event types and polls the alerts; a gap found is reconciled right away. */
  async pollTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    let gapsOpened = 0;
    const when = { intervalMs: this.config.health.alertPollIntervalMs, force: options.force ?? false };
    const tick = await this.jobs.tick('alert-poll', when, async () => {
      const outcome = await this.detector.pollAlerts();
      gapsOpened = outcome.gapsOpened;
      // After the alerts, so a failing event-types endpoint never holds up gap detection (it still fails the run).
      const eventTypes = await this.eventTypes.refresh();
      return { ...outcome, eventTypes: eventTypes.length };
    });
    if (gapsOpened > 0) {
      // Right away, as a reconcile run of its own (under its lock, so never beside a scheduled one).
      await this.jobs.tick(
        'reconcile',
        { intervalMs: this.config.health.reconcileIntervalMs, force: true },
        () => this.reconcileRun({ drift: false }),
      );
    }
    return tick;
  }

  /** Turns new webhook rejections into gaps and sweeps every open gap (plus drift sampling). */
  async reconcileTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    return this.jobs.tick(
      'reconcile',
      { intervalMs: this.config.health.reconcileIntervalMs, force: options.force ?? false },
      () => this.reconcileRun({ drift: true }),
    );
  }

  private async reconcileRun(options: { readonly drift: boolean }): Promise<Record<string, unknown>> {
    const rejections = await this.detector.detectRejections();
    const overLimits = await this.detector.detectOverLimits();
    const outcome = await this.reconciler.reconcile(options);
    return {
      rejections,
      overLimits,
      gaps: outcome.gaps.length,
      closed: outcome.gaps.filter((gap) => gap.closed).length,
      reverified: outcome.reverified,
      pausedReason: outcome.pausedReason,
    };
  }

  /** Asks Tango whether it accepts the full shape of each family whose shape it refused; restores those it does. */
  async shapeProbeTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    const when = { intervalMs: this.config.health.shapeProbeIntervalMs, force: options.force ?? false };
    return this.jobs.tick('shape-probe', when, async () => {
      const probed: Record<string, string> = {};
      for (const family of await this.shapes.degradedFamilies()) {
        const probe = await this.fetcher.probeFullShape(family);
        probed[family] = probe.outcome;
        if (probe.accepted) {
          await this.shapes.restore(family, 'probe: Tango accepts the full shape again');
        } else {
          await this.shapes.noteProbe(family, `probe: ${probe.outcome}`);
        }
      }
      return { probed };
    });
  }

  /**
   * The newest-first poll of every family Tango sends no alerts for (its source decided from the live catalog),
   * then the modified-since poll of award lists where Tango honours `modified_after`.
   */
  async newestPollTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    const when = { intervalMs: this.newestPollIntervalMs(), force: options.force ?? false };
    return this.jobs.tick('newest-poll', when, async () => {
      const poll = await this.freshness.newestPoll();
      const modifiedSince = await this.freshness.modifiedSincePoll();
      return { ...poll, modifiedSince };
    });
  }

  /** Probes whether Tango honours `modified_after` on award lists (it is not in their contract). */
  async modifiedSinceProbeTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    const when = { intervalMs: this.probeIntervalMs(), force: options.force ?? false };
    return this.jobs.tick('modified-since-probe', when, async () => ({
      verdicts: await this.freshness.probeModifiedSince(),
    }));
  }

  /**
   * Compares a rotating sample of each resource's mirror rows with the fold of their history (the log the mirror
   * can be rebuilt from). Where the last run stopped is read from its recorded outcome, so any replica goes on.
   */
  async historyCheckTick(options: { readonly force?: boolean } = {}): Promise<JobTickOutcome> {
    const when = { intervalMs: this.config.health.historyCheckIntervalMs, force: options.force ?? false };
    const previous = (await this.jobRuns.all()).find((run) => run.job === 'history-check')?.lastOutcome;
    const cursors = historyCursorsSchema.safeParse(previous?.cursors).data ?? {};
    return this.jobs.tick('history-check', when, async () => {
      const run = await this.rebuilds.checkSample(
        this.config.tango.resources,
        this.config.health.historyCheckSample,
        cursors,
      );
      for (const resource of this.config.tango.resources) {
        this.historyMismatchGauge.set(
          { resource },
          run.mismatches.filter((mismatch) => mismatch.resource === resource).length,
        );
      }
      if (run.mismatches.length > 0) {
        this.logger.error(
          { mismatches: run.mismatches.slice(0, 20) },
          `${run.mismatches.length} mirror row(s) differ from the fold of their history`,
        );
      }
      return {
        checked: run.checked,
        mismatches: run.mismatches.slice(0, 100),
        differing: run.mismatches.length,
        cursors: run.cursors,
      };
    });
  }

  private newestPollIntervalMs(): number {
    return this.config.freshness.newestPollIntervalSeconds * 1000;
  }

  private probeIntervalMs(): number {
    return this.config.freshness.modifiedSinceProbeIntervalSeconds * 1000;
  }

  private schedule(name: string, intervalMs: number, tick: () => Promise<unknown>): void {
    startInterval(this.registry, this.logger, name, intervalMs, tick);
  }
}
