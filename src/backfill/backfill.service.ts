import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { FAMILIES } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { BackfillRepository, type BackfillJobState, type BackfillJobView } from './backfill.repository';
import { initialSegments, type SegmentSpec } from './segment-plan';

export interface BackfillRequest {
  readonly families: readonly ResourceFamily[];
  /** Only records from this day (`YYYY-MM-DD`, the family's date filter); the whole family when absent. */
  readonly since?: string | undefined;
  /** Last day (`YYYY-MM-DD`) of a windowed job; needs `since`. Open-ended when absent. */
  readonly until?: string | undefined;
  /** The gap a reconciliation sweep job repairs. */
  readonly gapId?: string | undefined;
  /** Who asked (`cli`, `http`, `reconcile:<gap>`), for the job list. */
  readonly requestedBy: string;
}

/** An operator's action on a job: which states it applies to, and the state it leads to. */
const ACTIONS = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  cancel: { from: ['running', 'paused'], to: 'cancelled' },
} as const satisfies Record<string, { from: readonly BackfillJobState[]; to: BackfillJobState }>;

export type BackfillAction = keyof typeof ACTIONS;

export interface JobRate {
  readonly recordsPerSecond: number | null;
  readonly etaSeconds: number | null;
}

/** Records per second over a job's life and the time left at that rate (null when unknown). */
export function jobRate(job: BackfillJobView, now: Date = new Date()): JobRate {
  const end = job.finishedAt ?? now;
  const seconds = Math.max(0.001, (end.getTime() - job.createdAt.getTime()) / 1000);
  const records = job.progress.reduce((sum, family) => sum + family.records, 0);
  const expected = job.progress.every((family) => family.expected !== null)
    ? job.progress.reduce((sum, family) => sum + (family.expected ?? 0), 0)
    : null;
  const perSecond = records / seconds;
  return {
    recordsPerSecond: records === 0 ? null : Math.round(perSecond * 10) / 10,
    etaSeconds:
      job.state !== 'running' || expected === null || perSecond === 0
        ? null
        : Math.max(0, Math.round((expected - records) / perSecond)),
  };
}

/**
 * Backfills as managed jobs: start one (its segments are planned and stored at once, so any replica can read
 * them), pause, resume or cancel it, and read its progress. The reading itself is the BackfillEngine's, in every
 * worker and in the `backfill start` command.
 */
@Injectable()
export class BackfillService {
  private readonly logger = new Logger(BackfillService.name);

  constructor(private readonly repository: BackfillRepository) {}

  async start(request: BackfillRequest): Promise<BackfillJobView> {
    const families = [...new Set(request.families)];
    if (families.length === 0) {
      throw new AppError(
        'REQUEST.VALIDATION_FAILED',
        `name at least one family (${RESOURCE_FAMILIES.join(', ')})`,
      );
    }
    const since = request.since ?? null;
    if (since !== null && !/^\d{4}-\d{2}-\d{2}$/.test(since)) {
      throw new AppError('REQUEST.VALIDATION_FAILED', `since must be YYYY-MM-DD, got "${since}"`);
    }
    const until = request.until ?? null;
    if (until !== null && (since === null || !/^\d{4}-\d{2}-\d{2}$/.test(until) || until < since)) {
      throw new AppError(
        'REQUEST.VALIDATION_FAILED',
        `until must be a day (YYYY-MM-DD) not before since, got "${until}"`,
      );
    }
    const withoutDates = since === null ? [] : families.filter((family) => FAMILIES[family].window === null);
    if (withoutDates.length > 0) {
      throw new AppError(
        'REQUEST.VALIDATION_FAILED',
        `${withoutDates.join(', ')} ha${withoutDates.length === 1 ? 's' : 've'} no date filter: backfill without a start day`,
      );
    }
    const today = new Date().toISOString().slice(0, 10);
    const segments = new Map<ResourceFamily, readonly SegmentSpec[]>(
      families.map((family) => [family, initialSegments(family, since, today, until)]),
    );
    const id = await this.repository.createJob(
      { families, since, until, gapId: request.gapId ?? null, requestedBy: request.requestedBy },
      segments,
    );
    this.logger.log(
      {
        job: id,
        families,
        since,
        segments: [...segments.values()].reduce((sum, list) => sum + list.length, 0),
      },
      'backfill job started',
    );
    return this.job(id);
  }

  async act(id: string, action: BackfillAction): Promise<BackfillJobView> {
    const rule = ACTIONS[action];
    const outcome = await this.repository.transition(id, rule.from, rule.to);
    if (outcome === null) {
      throw new AppError('REQUEST.NOT_FOUND', `no backfill job ${id}`);
    }
    if (!outcome.changed) {
      throw new AppError('REQUEST.CONFLICT', `cannot ${action} a ${outcome.state} backfill job`, {
        state: outcome.state,
      });
    }
    this.logger.log({ job: id, action }, 'backfill job state changed');
    return this.job(id);
  }

  async job(id: string): Promise<BackfillJobView> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) {
      throw new AppError('REQUEST.NOT_FOUND', `no backfill job ${id}`);
    }
    const [job] = await this.repository.jobs({ ids: [id], limit: 1 });
    if (job === undefined) {
      throw new AppError('REQUEST.NOT_FOUND', `no backfill job ${id}`);
    }
    return job;
  }

  jobs(options: { limit?: number; activeOnly?: boolean; gapId?: string } = {}): Promise<BackfillJobView[]> {
    return this.repository.jobs(options);
  }
}
