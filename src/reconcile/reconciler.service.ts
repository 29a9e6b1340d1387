import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { FAMILIES, familyForQueryType } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { FetchTargetOutbox, type RetryTarget } from '../outbox/fetch-target-outbox';
import { MetricsService } from '../metrics/metrics.service';
import { type FetchedRecord, fetchedRecord } from '../mirror/mirror.repository';
import { MirrorWriter } from '../mirror/mirror-writer';
import { RecordFetcher } from '../tango/record-fetcher';
import { BackfillService } from '../backfill/backfill.service';
import { type BudgetState, TangoRequestBudget } from '../tango/request-budget';
import { TangoRequestError } from '../tango/tango-errors';
import { GapRepository, type SyncGap } from '../sync-state/gap.repository';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { FreshnessRepository } from './freshness.repository';
import { type ReverifyShare, planReverification, reverifyRequestsPerRun } from './freshness-plan';
import { reverifyTarget } from './reverify-target';
import { type ObservedAlert, planGapSweep, type PlannedSweep, type SweepPlan } from './sweep-plan';

export interface QuotaAllowance {
  /** Requests sweeps may still send in this daily window (Infinity when Tango has not told us its limits). */
  readonly requests: number;
  /** Why sweeps are paused, when they are. */
  readonly pausedReason: string | null;
}

/**
 * Sweeps may use at most `share` of the daily quota: they run only while more than `(1 - share)` of it remains,
 * so live fetches always keep the rest, and they stop while requests are parked after a 429.
 */
export function quotaAllowance(state: BudgetState, share: number, now: Date = new Date()): QuotaAllowance {
  if (state.parkedUntil !== null && state.parkedUntil > now) {
    return { requests: 0, pausedReason: `requests parked until ${state.parkedUntil.toISOString()}` };
  }
  if (state.dailyLimit === null || state.dailyRemaining === null) {
    return { requests: Number.POSITIVE_INFINITY, pausedReason: null };
  }
  if (state.dailyResetAt !== null && state.dailyResetAt <= now) {
    return { requests: Math.floor(state.dailyLimit * share), pausedReason: null };
  }
  const floor = Math.ceil(state.dailyLimit * (1 - share));
  const requests = Math.max(0, state.dailyRemaining - floor);
  return requests > 0
    ? { requests, pausedReason: null }
    : {
        requests: 0,
        pausedReason: `daily quota: ${state.dailyRemaining}/${state.dailyLimit} left, sweeps may use ${Math.round(share * 100)}%`,
      };
}

export interface GapSweepOutcome {
  readonly gapId: string;
  readonly closed: boolean;
  readonly records: number;
  readonly changes: number;
  readonly requests: number;
  readonly why: string | null;
}

export interface ReconcileRunOutcome {
  readonly at: Date;
  readonly gaps: readonly GapSweepOutcome[];
  readonly pausedReason: string | null;
  /** Records enqueued for re-verification. */
  readonly reverified: number;
}

/**
 * Repairs gaps: for each open gap, re-runs the affected alert's filters and the family's date windows over the
 * gap's range (plus the overlap) and writes what they return through the mirror (change events included). The gap
 * is closed in the same transaction as those writes, so it closes only when the sweep has committed; a sweep cut
 * short by quota, page limit or error leaves it open with the reason. Drift sampling re-fetches a rotating sample
 * of mirrored records grew into the rolling re-verification of every one (`reverify`).
 */
@Injectable()
export class Reconciler {
  private readonly logger = new Logger(Reconciler.name);
  private readonly sweptRecords: Counter<'resource'>;
  private readonly gapsClosed: Counter<'cause'>;
  private running: Promise<ReconcileRunOutcome> | undefined;

  constructor(
    private readonly gaps: GapRepository,
    private readonly fetcher: RecordFetcher,
    private readonly writer: MirrorWriter,
    private readonly targets: FetchTargetOutbox,
    private readonly budget: TangoRequestBudget,
    private readonly backfills: BackfillService,
    private readonly freshness: FreshnessRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.sweptRecords = metrics.counter(
      'tango_sync_reconcile_swept_records_total',
      'Records read by reconciliation sweeps',
      ['resource'],
    );
    this.gapsClosed = metrics.counter(
      'tango_sync_gaps_closed_total',
      'Sync gaps closed by a committed sweep',
      ['cause'],
    );
  }

  /** One reconciliation run (concurrent callers share the run in progress). */
  reconcile(options: { drift?: boolean } = {}): Promise<ReconcileRunOutcome> {
    this.running ??= this.run(options.drift ?? true).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /**
   * Sweeps one open gap now (an operator's action from the console), within what sweeps may spend. Null when no
   * open gap has that id.
   */
  async sweepOne(gapId: string): Promise<GapSweepOutcome | null> {
    const gap = (await this.gaps.openGaps()).find((candidate) => candidate.id === gapId);
    if (gap === undefined) {
      return null;
    }
    const allowance = await this.allowance();
    if (allowance.pausedReason !== null || allowance.requests <= 0) {
      const why = allowance.pausedReason ?? 'sweep quota share used up';
      await this.gaps.noteSweepIncomplete(gap.id, `paused: ${why}`, 0);
      return { gapId, closed: false, records: 0, changes: 0, requests: 0, why };
    }
    return this.sweepGap(gap, await this.gaps.latestObservations(), allowance.requests);
  }

  /** What sweeps may spend now. */
  async allowance(): Promise<QuotaAllowance> {
    return quotaAllowance(await this.budget.state(), this.config.health.reconcileMaxQuotaShare);
  }

  private async run(drift: boolean): Promise<ReconcileRunOutcome> {
    const outcomes: GapSweepOutcome[] = [];
    let allowance = await this.allowance();
    let remaining = allowance.requests;
    const open = await this.gaps.openGaps();
    const observations = await this.gaps.latestObservations();
    for (const gap of open) {
      if (allowance.pausedReason !== null || remaining <= 0) {
        const why = allowance.pausedReason ?? 'sweep quota share used up';
        await this.gaps.noteSweepIncomplete(gap.id, `paused: ${why}`, 0);
        outcomes.push({ gapId: gap.id, closed: false, records: 0, changes: 0, requests: 0, why });
        continue;
      }
      const outcome = await this.sweepGap(gap, observations, remaining);
      remaining -= outcome.requests;
      outcomes.push(outcome);
      allowance = await this.allowance();
      remaining = Math.min(remaining, allowance.requests);
    }
    // Re-verification has its own quota share (HEALTH_REVERIFY_QUOTA_SHARE), not what the gap sweeps left.
    const reverified = drift ? await this.reverify() : 0;
    const result: ReconcileRunOutcome = {
      at: new Date(),
      gaps: outcomes,
      pausedReason: allowance.pausedReason,
      reverified,
    };
    if (outcomes.length > 0 || allowance.pausedReason !== null) {
      this.logger.log(
        {
          gaps: outcomes.length,
          closed: outcomes.filter((o) => o.closed).length,
          pausedReason: allowance.pausedReason,
          reverified,
        },
        'reconciliation run finished',
      );
    }
    return result;
  }

  /** Repairs one gap: plan (pure), read (Tango), hand long windows to a backfill, commit with the gap's state. */
  private async sweepGap(
    gap: SyncGap,
    observations: readonly ObservedAlert[],
    budget: number,
  ): Promise<GapSweepOutcome> {
    const handed = await this.gapHandedToBackfill(gap);
    if (handed !== null) {
      return handed;
    }
    const planned = planGapSweep(gap, observations, familyOf, this.config.health.overlapSeconds);
    const read =
      planned.unsweepable === null
        ? await this.readSweeps(gap, planned.sweeps, budget)
        : { byFamily: new Map<ResourceFamily, FetchedRecord[]>(), requests: 0, why: planned.unsweepable };
    const why =
      read.why === null && planned.segmented.length > 0
        ? await this.handToBackfill(gap, planned.plan, planned.segmented)
        : read.why;
    const records = [...read.byFamily.values()].reduce((sum, list) => sum + list.length, 0);
    const changes = await this.commitSweep(gap, read.byFamily, records, why);
    const outcome = { gapId: gap.id, closed: why === null, records, changes, requests: read.requests, why };
    this.logger.log(
      { ...outcome, cause: gap.cause, resource: gap.resource, alertId: gap.alertId },
      why === null ? 'gap swept and closed' : 'gap sweep incomplete; gap stays open',
    );
    return outcome;
  }

  /**
   * Reads a gap's sweeps from Tango within the budget (each at most SWEEP_MAX_PAGES pages). `why` says what cut
   * the reading short (quota share, page limit, a Tango error), or is null when every sweep ran to its end.
   */
  private async readSweeps(
    gap: SyncGap,
    sweeps: readonly PlannedSweep[],
    budget: number,
  ): Promise<{ byFamily: Map<ResourceFamily, FetchedRecord[]>; requests: number; why: string | null }> {
    const byFamily = new Map<ResourceFamily, FetchedRecord[]>();
    let requests = 0;
    let why: string | null = null;
    const provenance = {
      deliveryIds: [],
      eventTypes: [],
      alertIds: gap.alertId === null ? [] : [gap.alertId],
    };
    for (const sweep of sweeps) {
      const pages = Math.min(this.config.health.sweepMaxPages, budget - requests);
      if (pages <= 0) {
        why = 'sweep quota share used up';
        break;
      }
      try {
        const result = await this.fetcher.sweep(sweep.family, sweep.filters, 'sweep', pages);
        requests += result.requests;
        const reasons = [`reconcile:${gap.cause}:${sweep.label}`];
        const list = byFamily.get(sweep.family) ?? [];
        list.push(...result.records.map((item) => fetchedRecord(item, { ...provenance, reasons })));
        byFamily.set(sweep.family, list);
        this.sweptRecords.inc({ resource: sweep.family }, result.records.length);
        if (!result.complete) {
          why = `${sweep.family} ${sweep.label}: stopped at ${pages} page(s)`;
        }
      } catch (error) {
        if (!(error instanceof TangoRequestError)) {
          throw error;
        }
        why = `${sweep.family} ${sweep.label}: ${error.message}`;
        break;
      }
    }
    return { byFamily, requests, why };
  }

  /**
   * Writes what a sweep read through the mirror writer and, in the same transaction, closes the gap (nothing cut
   * the sweep short) or notes why it stays open. Returns the changes written.
   */
  private async commitSweep(
    gap: SyncGap,
    byFamily: ReadonlyMap<ResourceFamily, FetchedRecord[]>,
    records: number,
    why: string | null,
  ): Promise<number> {
    const writes = [...byFamily].map(([family, upserts]) => ({
      family,
      upserts,
      fetchState: { succeeded: true, error: null },
    }));
    const committed = await this.writer.commit(writes, async (manager) => {
      if (why === null) {
        await this.gaps.close(gap.id, 'swept', records, manager);
        await this.gaps.markReconciled(gap.resource, gap.alertId, gap.rangeEnd, manager);
      } else {
        await this.gaps.noteSweepIncomplete(gap.id, why, records, manager);
      }
    });
    if (why === null) {
      this.gapsClosed.inc({ cause: gap.cause });
    }
    return committed.results.reduce((sum, result) => sum + result.upserted.changes.length, 0);
  }

  /**
   * A gap whose window was handed to a backfill job: while the job runs it stays open (said so); once the job is
   * done it closes, as a sweep would have closed it. Null: no job, or the last one failed or was cancelled (the
   * gap is swept again, which starts a new job).
   */
  private async gapHandedToBackfill(gap: SyncGap): Promise<GapSweepOutcome | null> {
    const [job] = await this.backfills.jobs({ gapId: gap.id, limit: 1 });
    if (job === undefined || job.state === 'failed' || job.state === 'cancelled') {
      return null;
    }
    const records = job.progress.reduce((sum, family) => sum + family.records, 0);
    const changes = job.progress.reduce((sum, family) => sum + family.changes, 0);
    if (job.state === 'done') {
      await this.writer.commit([], async (manager) => {
        await this.gaps.close(gap.id, 'swept', records, manager);
        await this.gaps.markReconciled(gap.resource, gap.alertId, gap.rangeEnd, manager);
      });
      this.gapsClosed.inc({ cause: gap.cause });
      this.logger.log(
        { gapId: gap.id, backfill: job.id, records, changes },
        'gap closed by its backfill job',
      );
      return { gapId: gap.id, closed: true, records, changes, requests: 0, why: null };
    }
    const why = `window read by backfill ${job.id} (${job.state}, ${records} records so far)`;
    await this.gaps.noteSweepIncomplete(gap.id, why, 0);
    return { gapId: gap.id, closed: false, records: 0, changes: 0, requests: 0, why };
  }

  /** Starts the backfill job that reads a gap's long window; the gap stays open until it is done. */
  private async handToBackfill(
    gap: SyncGap,
    plan: SweepPlan,
    sweeps: readonly PlannedSweep[],
  ): Promise<string> {
    const families = [...new Set(sweeps.map((sweep) => sweep.family))];
    const job = await this.backfills.start({
      families,
      since: plan.windowStart.toISOString().slice(0, 10),
      until: plan.windowEnd.toISOString().slice(0, 10),
      gapId: gap.id,
      requestedBy: `reconcile:${gap.id}`,
    });
    this.logger.log(
      { gapId: gap.id, backfill: job.id, families },
      'long gap window handed to a backfill job',
    );
    return `window read by backfill ${job.id} (${families.join(', ')} from ${job.since ?? '?'} to ${job.until ?? '?'})`;
  }

  /**
   * The rolling re-verification (drift sampling grown into a full cycle): every live mirrored record of every
   * family is re-read, least recently verified first, as low-priority fetch targets the fetcher reads 100 ids per
   * request through the family's id-list filter (one detail read each where the family has none); a record Tango
   * no longer has is confirmed missing and marked deleted, a changed one is written with its change event. A run
   * spends its share of HEALTH_REVERIFY_QUOTA_SHARE of the daily quota (HEALTH_DRIFT_SAMPLE_SIZE requests while
   * Tango has not told us its limits), shared so that every family's cycle has the same length.
   */
  async reverify(now: Date = new Date()): Promise<number> {
    const plan = await this.reverifyPlan(now);
    const targets: RetryTarget[] = [];
    for (const share of plan) {
      for (const id of await this.freshness.leastRecentlyVerified(share.family, share.records)) {
        targets.push(reverifyTarget(share.family, id, 're-verification'));
      }
    }
    await this.targets.enqueue(targets);
    return targets.length;
  }

  /** What this run re-verifies per family (pure planning over the mirror's counts and the request budget). */
  private async reverifyPlan(now: Date): Promise<ReverifyShare[]> {
    const state = await this.budget.state();
    const allowance = quotaAllowance(state, this.config.freshness.reverifyQuotaShare, now);
    if (allowance.pausedReason !== null) {
      return [];
    }
    const perRun = reverifyRequestsPerRun(
      state.dailyLimit,
      this.config.freshness.reverifyQuotaShare,
      this.config.health.reconcileIntervalMs / 1000,
      this.config.health.driftSampleSize,
    );
    const counts = await this.freshness.verificationStates(
      this.config.tango.resources.filter((family) => FAMILIES[family].refresh === undefined),
    );
    return planReverification(counts, Math.min(perRun, allowance.requests));
  }
}

function familyOf(queryType: string): ResourceFamily | null {
  return familyForQueryType(queryType) ?? null;
}
