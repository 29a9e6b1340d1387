import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { FAMILIES } from '../common/tango/families';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { whileRenewingLease } from '../database/lease-renewal';
import { MetricsService } from '../metrics/metrics.service';
import { fetchedRecord } from '../mirror/mirror.repository';
import { MirrorWriter } from '../mirror/mirror-writer';
import { RecordFetcher } from '../tango/record-fetcher';
import { TangoQuotaExhaustedError } from '../tango/tango-errors';
import { type ListPageResult } from '../tango/record-fetcher';
import { BackfillRepository, type ClaimedSegment } from './backfill.repository';
import {
  hasPageNumbers,
  PAGE_SIZE,
  pageSegments,
  remainderSegment,
  type SegmentSpec,
  SPLIT_ABOVE_RECORDS,
  splitDateSegment,
} from './segment-plan';

/** A segment is given up (state `failed`) after this many failed pages in a row. */
const MAX_SEGMENT_FAILURES = 5;
const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 120_000;

/** The lease was taken over by another replica while this one read: its page is not committed here. */
class LeaseLostError extends Error {}

/** What one page of a segment turns into. */
type PageDecision =
  | { readonly kind: 'continue'; readonly next: Readonly<Record<string, string>> }
  | { readonly kind: 'done' }
  | { readonly kind: 'replace'; readonly state: 'split' | 'done'; readonly children: readonly SegmentSpec[] };

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Reads the segments of running backfill jobs, as many at once as BACKFILL_CONCURRENCY allows in this process
 * (the shared request budget paces them all, live fetches first). Each segment is held by a short lease renewed
 * while it is read; each page is written through the mirror (change events included) in one transaction with the
 * segment's checkpoint, and only while the lease is still held, so a replica killed mid-segment loses at most the
 * page it was reading, and another replica continues from the last committed page.
 */
@Injectable()
export class BackfillEngine implements OnApplicationShutdown {
  private readonly logger = new Logger(BackfillEngine.name);
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly active = new Map<string, Promise<void>>();
  private stopping = false;
  private pumping = false;
  private pumpAgain = false;
  /** Called when a segment stops and its slot is free (the worker's loop and the CLI claim again at once). */
  onSlotFreed: (() => void) | undefined;
  private readonly pagesCounter: Counter<'family'>;
  private readonly recordsCounter: Counter<'family'>;
  private readonly requestsCounter: Counter<'family'>;
  private readonly segmentsCounter: Counter<'outcome'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly repository: BackfillRepository,
    private readonly fetcher: RecordFetcher,
    private readonly writer: MirrorWriter,
    metrics: MetricsService,
  ) {
    this.pagesCounter = metrics.counter('tango_sync_backfill_pages_total', 'Backfill pages committed', [
      'family',
    ]);
    this.recordsCounter = metrics.counter(
      'tango_sync_backfill_records_total',
      'Records read by backfills (committed pages)',
      ['family'],
    );
    this.requestsCounter = metrics.counter(
      'tango_sync_backfill_requests_total',
      'Tango requests sent by backfills (including pages not committed)',
      ['family'],
    );
    this.segmentsCounter = metrics.counter(
      'tango_sync_backfill_segments_total',
      'Backfill segments handled by this process, by outcome (done, split, failed, retry, lease_lost, released)',
      ['outcome'],
    );
  }

  get running(): number {
    return this.active.size;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.active.values()]);
  }

  /**
   * Claims what this process has room for and starts reading it; resolves with the number of segments started.
   * Calls while a claim is under way do not claim twice (that could exceed BACKFILL_CONCURRENCY): they make the
   * running one claim again when it is done.
   */
  async pump(): Promise<number> {
    if (this.pumping) {
      this.pumpAgain = true;
      return 0;
    }
    this.pumping = true;
    try {
      let started = 0;
      do {
        this.pumpAgain = false;
        started += await this.claimAndRead();
      } while (this.askedAgain());
      return started;
    } finally {
      this.pumping = false;
    }
  }

  /** Whether a pump was asked for while the last claim ran (a slot freed meanwhile). */
  private askedAgain(): boolean {
    return this.pumpAgain && !this.stopping;
  }

  private async claimAndRead(): Promise<number> {
    if (this.stopping) {
      return 0;
    }
    const room = this.config.backfill.concurrency - this.active.size;
    const claimed = await this.repository.claim(this.owner, room, this.config.backfill.leaseMs);
    for (const segment of claimed) {
      const id = `${segment.jobId}/${segment.family}/${segment.key}`;
      const reading = this.read(segment)
        .catch((error: unknown) => {
          this.logger.error({ segment: id, err: error }, 'backfill segment stopped unexpectedly');
        })
        .finally(() => {
          this.active.delete(id);
          // A slot is free: whoever drives the engine claims the next segment now, not at its next tick.
          this.onSlotFreed?.();
        });
      this.active.set(id, reading);
    }
    return claimed.length;
  }

  /** Resolves when every segment this process is reading has stopped. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.active.values()]);
  }

  /** Stops taking and reading segments (what is being read gives its lease back after the page in flight). */
  stop(): void {
    this.stopping = true;
  }

  private async read(segment: ClaimedSegment): Promise<void> {
    const leaseMs = this.config.backfill.leaseMs;
    const renew = async (): Promise<void> => {
      if (!(await this.repository.renew(this.owner, segment, leaseMs))) {
        throw new LeaseLostError('lease lost');
      }
    };
    try {
      await whileRenewingLease(
        leaseMs,
        renew,
        () => this.readPages(segment),
        (error) => {
          this.logger.warn(
            { segment: segment.key, family: segment.family, err: error },
            'backfill lease renewal failed',
          );
        },
      );
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.segmentsCounter.inc({ outcome: 'lease_lost' });
        this.logger.warn(
          { family: segment.family, segment: segment.key },
          'backfill segment taken over by another replica',
        );
        return;
      }
      await this.giveBack(segment, error);
    }
    await this.finishJobIfComplete(segment.jobId);
  }

  private async readPages(segment: ClaimedSegment): Promise<void> {
    let query: Readonly<Record<string, string>> = segment.nextQuery ?? segment.query;
    let pages = segment.pages;
    for (;;) {
      if (this.stopping || (await this.repository.jobState(segment.jobId)) !== 'running') {
        await this.repository.release(this.owner, segment, {
          error: null,
          notBefore: null,
          failed: false,
          countFailure: false,
        });
        this.segmentsCounter.inc({ outcome: 'released' });
        return;
      }
      const page = await this.fetcher.listPage(
        segment.family,
        query,
        'backfill',
        `${segment.family}.backfill`,
      );
      this.requestsCounter.inc({ family: segment.family }, page.requests);
      const first = pages === 0;
      pages += 1;
      const decision = await this.decide(segment, page, first, pages);
      const committed = await this.commit(segment, page, decision);
      if (!committed) {
        throw new LeaseLostError('lease lost before the commit');
      }
      this.pagesCounter.inc({ family: segment.family });
      this.recordsCounter.inc({ family: segment.family }, page.records.length);
      if (decision.kind !== 'continue') {
        this.segmentsCounter.inc({ outcome: decision.kind === 'replace' ? decision.state : 'done' });
        return;
      }
      query = decision.next;
    }
  }

  /**
   * What a page means for its segment: the first page of a date segment holding more than SPLIT_ABOVE_RECORDS is
   * cut in two; the first page of a page-numbered list becomes page ranges read at once; the first page of the
   * remainder stops it when the mirror already holds as many records as Tango counts; otherwise the segment goes on
   * to its next page, or ends (no next page, or its page range is read).
   */
  private async decide(
    segment: ClaimedSegment,
    page: ListPageResult,
    first: boolean,
    pagesRead: number,
  ): Promise<PageDecision> {
    if (first && page.count !== null && page.next !== null) {
      if (segment.kind === 'dates' && page.count > SPLIT_ABOVE_RECORDS) {
        const halves = splitDateSegment(segment.family, segment, today());
        if (halves !== null) {
          return { kind: 'replace', state: 'split', children: halves };
        }
      }
      if (segment.kind === 'list' && hasPageNumbers(segment.family) && page.count > PAGE_SIZE) {
        return { kind: 'replace', state: 'done', children: pageSegments(segment.query, page.count) };
      }
      if (segment.kind === 'remainder') {
        const mirrored = await this.repository.mirroredCount(FAMILIES[segment.family].table);
        if (mirrored >= page.count) {
          return { kind: 'done' };
        }
      }
    }
    if (page.next === null || (segment.pageLimit !== null && pagesRead >= segment.pageLimit)) {
      return { kind: 'done' };
    }
    return { kind: 'continue', next: page.next };
  }

  /**
   * Writes a page through the mirror writer with the segment's checkpoint in the same transaction, only while this
   * process still holds the segment's lease (false: it lost it, and the page is not committed here).
   */
  private commit(segment: ClaimedSegment, page: ListPageResult, decision: PageDecision): Promise<boolean> {
    const reasons = [`backfill:${segment.jobId}:${segment.key}`];
    const upserts = page.records.map((record) =>
      fetchedRecord(record, { deliveryIds: [], eventTypes: [], alertIds: [], reasons }),
    );
    const write = { family: segment.family, upserts, fetchState: { succeeded: true, error: null } };
    return this.writer
      .commit([write], async (manager, [written]) => {
        const counts = {
          records: page.records.length,
          changes: written?.upserted.changes.length ?? 0,
          expected: page.count,
        };
        if (!(await this.checkpoint(manager, segment, counts, decision))) {
          // Roll back: the replica holding the lease now reads this page itself.
          throw new LeaseLostError('lease lost before the commit');
        }
      })
      .then(() => true)
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError) {
          return false;
        }
        throw error;
      });
  }

  /** The segment's checkpoint after a page: its next query, done, or replaced by its children. */
  private checkpoint(
    manager: EntityManager,
    segment: ClaimedSegment,
    counts: { records: number; changes: number; expected: number | null },
    decision: PageDecision,
  ): Promise<boolean> {
    if (decision.kind === 'replace') {
      return this.repository.replaceBy(
        manager,
        this.owner,
        segment,
        counts,
        decision.state,
        decision.children,
      );
    }
    const nextQuery = decision.kind === 'continue' ? decision.next : null;
    const progress = { ...counts, nextQuery, done: decision.kind === 'done' };
    return this.repository.commitPage(manager, this.owner, segment, progress, this.config.backfill.leaseMs);
  }

  /** A page failed: the segment waits (quota: until it resets; otherwise backing off) or, after too many, fails. */
  private async giveBack(segment: ClaimedSegment, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TangoQuotaExhaustedError) {
      await this.repository.release(this.owner, segment, {
        error: message,
        notBefore: error.until,
        failed: false,
        countFailure: false,
      });
      this.segmentsCounter.inc({ outcome: 'retry' });
      return;
    }
    const failures = segment.failures + 1;
    const failed = failures >= MAX_SEGMENT_FAILURES;
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
    await this.repository.release(this.owner, segment, {
      error: message.slice(0, 500),
      notBefore: failed ? null : new Date(Date.now() + delay),
      failed,
      countFailure: true,
    });
    this.segmentsCounter.inc({ outcome: failed ? 'failed' : 'retry' });
    this.logger.warn(
      { family: segment.family, segment: segment.key, failures, failed, err: message },
      'backfill page failed',
    );
  }

  /**
   * When a job has nothing left to read: a family read whole (no start day) gets one last segment, the unfiltered
   * list, whose first page says whether records without a date were missed; otherwise the job is done (or failed,
   * when a segment gave up).
   */
  private async finishJobIfComplete(jobId: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const status = await this.repository.finishedFamilies(manager, jobId);
      if (status?.state !== 'running') {
        return;
      }
      const needRemainder =
        status.since === null
          ? status.withoutRemainder.filter((family) => FAMILIES[family].window !== null)
          : [];
      for (const family of needRemainder) {
        await this.repository.insertSegments(manager, jobId, family, [remainderSegment()]);
      }
      if (needRemainder.length > 0 || status.open > 0) {
        return;
      }
      await this.repository.finishJob(
        manager,
        jobId,
        status.failed > 0 ? 'failed' : 'done',
        status.failed > 0
          ? `${status.failed} segment(s) failed after ${MAX_SEGMENT_FAILURES} attempts`
          : null,
      );
    });
  }
}
