import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { fullShape } from '../fetcher/full-shapes';
import { MirrorRepository } from '../mirror/mirror.repository';
import { TangoRequestBudget } from '../tango/request-budget';
import { parseListPage } from '../tango/list-page';
import { pathFor, TangoClient } from '../tango/tango-client';
import { BackfillRepository } from './backfill.repository';

const PAGE_SIZE = 100;
const QUOTA_EVERY_PAGES = 10;

export interface BackfillOptions {
  /** Only records on or after this day (the family's date filter); the whole family when absent. */
  readonly since?: string;
  /** Forget the checkpoint of this window and start over. */
  readonly restart?: boolean;
  /** Stop after this many pages in this run (the checkpoint lets a later run continue). */
  readonly maxPages?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillProgress {
  readonly family: ResourceFamily;
  readonly pages: number;
  readonly records: number;
  readonly changes: number;
  /** Total records Tango reports for the window, when it does. */
  readonly total: number | null;
  readonly dailyRemaining: number | null;
  readonly rssBytes: number;
  readonly done: boolean;
}

export interface BackfillSummary extends BackfillProgress {
  readonly resumed: boolean;
  readonly pagesThisRun: number;
}

/** The list filter that starts a family's window on `since` (null: the family has no date filter). */
export function sinceFilter(family: ResourceFamily, since: string): Record<string, string> | null {
  switch (family) {
    case 'contracts':
    case 'idvs':
    case 'otas':
    case 'otidvs':
      return { award_date_gte: since };
    case 'opportunities':
      return { last_notice_date_after: since };
    case 'notices':
    case 'grants':
      return { posted_date_after: since };
    case 'forecasts':
      return { modified_after: since };
    case 'entities':
      return null;
  }
}

/**
 * Initial (full or windowed) load of one family: reads the list endpoint page by page with the full shape and
 * writes each page through the mirror (change events included) in one transaction with the checkpoint, so memory
 * stays flat and a crashed run resumes at the first uncommitted page without re-fetching committed ones.
 */
@Injectable()
export class BackfillService {
  private readonly logger = new Logger(BackfillService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly tango: TangoClient,
    private readonly budget: TangoRequestBudget,
    private readonly mirror: MirrorRepository,
    private readonly checkpoints: BackfillRepository,
  ) {}

  async run(family: ResourceFamily, options: BackfillOptions = {}): Promise<BackfillSummary> {
    const since = options.since ?? null;
    const windowKey = since === null ? 'full' : `since:${since}`;
    const filter = since === null ? {} : sinceFilter(family, since);
    if (filter === null) {
      throw new Error(`${family} has no date filter: backfill it without --since`);
    }
    if (options.restart === true) {
      await this.checkpoints.reset(family, windowKey);
    }
    const checkpoint = await this.checkpoints.load(family, windowKey);
    let pages = checkpoint?.pages ?? 0;
    let records = checkpoint?.records ?? 0;
    let changes = checkpoint?.changes ?? 0;
    let total: number | null = null;
    let dailyRemaining: number | null = null;
    let pagesThisRun = 0;
    const resumed = checkpoint !== null;
    let query: Record<string, string> | null =
      checkpoint === null
        ? { ...filter, limit: String(PAGE_SIZE), shape: fullShape(family) }
        : checkpoint.completedAt === null
          ? { ...checkpoint.nextQuery }
          : null;
    this.logger.log(
      { family, windowKey, resumed, pages, records, complete: query === null },
      resumed ? 'backfill resuming from checkpoint' : 'backfill starting',
    );
    const progress = (done: boolean): BackfillProgress => ({
      family,
      pages,
      records,
      changes,
      total,
      dailyRemaining,
      rssBytes: process.memoryUsage().rss,
      done,
    });
    while (query !== null) {
      if (options.maxPages !== undefined && pagesThisRun >= options.maxPages) {
        break;
      }
      options.signal?.throwIfAborted();
      const answer = await this.tango.get({
        path: pathFor(family),
        query,
        priority: 'backfill',
        route: `${family}.backfill`,
      });
      const page = parseListPage(family, answer);
      total = page.count ?? total;
      const next = page.next ?? null;
      const nextQuery =
        next === null || page.results.length === 0
          ? null
          : Object.fromEntries(
              new URL(this.tango.sameOriginPath(next), 'http://tango.invalid').searchParams.entries(),
            );
      const pageRecords = page.results;
      const pageChanges = await this.dataSource.transaction(async (manager) => {
        const upserted = await this.mirror.upsert(
          family,
          pageRecords.map((record) => ({
            record,
            fetchedAt: answer.sentAt,
            provenance: { deliveryIds: [], eventTypes: [], alertIds: [], reasons: [`backfill:${windowKey}`] },
          })),
          manager,
        );
        await this.checkpoints.advance(
          {
            family,
            windowKey,
            since,
            nextQuery,
            records: pageRecords.length,
            changes: upserted.changes.length,
          },
          manager,
        );
        await this.mirror.touchFetchState(
          family,
          { succeeded: true, changes: upserted.changes.length, error: null },
          manager,
        );
        return upserted.changes.length;
      });
      pages += 1;
      pagesThisRun += 1;
      records += pageRecords.length;
      changes += pageChanges;
      query = nextQuery;
      if (pagesThisRun % QUOTA_EVERY_PAGES === 1) {
        dailyRemaining = (await this.budget.state()).dailyRemaining;
      }
      options.onProgress?.(progress(query === null));
    }
    const summary: BackfillSummary = { ...progress(query === null), resumed, pagesThisRun };
    this.logger.log({ ...summary }, summary.done ? 'backfill complete' : 'backfill stopped before the end');
    return summary;
  }
}
