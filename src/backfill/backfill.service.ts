import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { fetchedRecord, MirrorRepository } from '../mirror/mirror.repository';
import { RecordFetcher } from '../tango/record-fetcher';
import { TangoRequestBudget } from '../tango/request-budget';
import { windowQueries } from '../tango/tango-requests';
import { BackfillRepository } from './backfill.repository';

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

/** One list query a backfill reads to its end, with its own checkpoint. */
export interface BackfillSegment {
  /** The checkpoint key: `full` or `since:<day>`, with `|<variant>` for a window's extra queries. */
  readonly windowKey: string;
  readonly filters: Readonly<Record<string, string>>;
}

/**
 * The list queries that load a family: its whole list (or its date window from `since`), plus the window's extra
 * queries (opportunities: the inactive ones, which Tango's list leaves out by default). Null when `since` is asked
 * of a family without a date filter.
 */
export function backfillSegments(family: ResourceFamily, since: string | null): BackfillSegment[] | null {
  const window = FAMILIES[family].window;
  if (since !== null) {
    if (window === null) {
      return null;
    }
    return windowQueries(family, new Date(`${since}T00:00:00Z`), null).map((query, index) => ({
      windowKey: index === 0 ? `since:${since}` : `since:${since}|${query.label}`,
      filters: query.filters,
    }));
  }
  return [
    { windowKey: 'full', filters: {} },
    ...(window?.variants ?? []).map((variant) => ({
      windowKey: `full|${variant.label}`,
      filters: variant.filters,
    })),
  ];
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
    private readonly fetcher: RecordFetcher,
    private readonly budget: TangoRequestBudget,
    private readonly mirror: MirrorRepository,
    private readonly checkpoints: BackfillRepository,
  ) {}

  async run(family: ResourceFamily, options: BackfillOptions = {}): Promise<BackfillSummary> {
    const since = options.since ?? null;
    const segments = backfillSegments(family, since);
    if (segments === null) {
      throw new Error(`${family} has no date filter: backfill it without --since`);
    }
    const totals = { pages: 0, records: 0, changes: 0, pagesThisRun: 0 };
    let total: number | null = null;
    let dailyRemaining: number | null = null;
    let resumed = false;
    let done = true;
    const progress = (finished: boolean): BackfillProgress => ({
      family,
      pages: totals.pages,
      records: totals.records,
      changes: totals.changes,
      total,
      dailyRemaining,
      rssBytes: process.memoryUsage().rss,
      done: finished,
    });
    for (const segment of segments) {
      const pagesLeft =
        options.maxPages === undefined ? undefined : Math.max(0, options.maxPages - totals.pagesThisRun);
      const outcome = await this.runSegment(family, since, segment, {
        ...options,
        ...(pagesLeft === undefined ? {} : { maxPages: pagesLeft }),
        onPage: (page) => {
          totals.pages += page.pages;
          totals.records += page.records;
          totals.changes += page.changes;
          totals.pagesThisRun += page.pagesThisRun;
          total = page.total ?? total;
          dailyRemaining = page.dailyRemaining ?? dailyRemaining;
          options.onProgress?.(progress(false));
        },
      });
      resumed ||= outcome.resumed;
      if (!outcome.done) {
        done = false;
        break;
      }
    }
    const summary: BackfillSummary = { ...progress(done), resumed, pagesThisRun: totals.pagesThisRun };
    this.logger.log({ ...summary }, summary.done ? 'backfill complete' : 'backfill stopped before the end');
    return summary;
  }

  /**
   * Reads one segment page by page with the family's current shape and writes each page through the mirror (change
   * events included) in one transaction with the checkpoint, so memory stays flat and a crashed run resumes at the
   * first uncommitted page without re-fetching committed ones.
   */
  private async runSegment(
    family: ResourceFamily,
    since: string | null,
    segment: BackfillSegment,
    options: BackfillOptions & {
      onPage: (page: {
        pages: number;
        records: number;
        changes: number;
        pagesThisRun: number;
        total: number | null;
        dailyRemaining: number | null;
      }) => void;
    },
  ): Promise<{ resumed: boolean; done: boolean }> {
    const { windowKey } = segment;
    if (options.restart === true) {
      await this.checkpoints.reset(family, windowKey);
    }
    const checkpoint = await this.checkpoints.load(family, windowKey);
    if (checkpoint !== null) {
      options.onPage({
        pages: checkpoint.pages,
        records: checkpoint.records,
        changes: checkpoint.changes,
        pagesThisRun: 0,
        total: null,
        dailyRemaining: null,
      });
    }
    let query: Readonly<Record<string, string>> | null =
      checkpoint === null
        ? segment.filters
        : checkpoint.completedAt === null
          ? { ...checkpoint.nextQuery }
          : null;
    this.logger.log(
      { family, windowKey, resumed: checkpoint !== null, complete: query === null },
      checkpoint !== null ? 'backfill resuming from checkpoint' : 'backfill starting',
    );
    let pagesThisRun = 0;
    while (query !== null) {
      if (options.maxPages !== undefined && pagesThisRun >= options.maxPages) {
        return { resumed: checkpoint !== null, done: false };
      }
      options.signal?.throwIfAborted();
      const page = await this.fetcher.listPage(family, query, 'backfill', `${family}.backfill`);
      const nextQuery = page.next;
      const pageChanges = await this.dataSource.transaction(async (manager) => {
        const upserted = await this.mirror.upsert(
          family,
          page.records.map((record) =>
            fetchedRecord(record, {
              deliveryIds: [],
              eventTypes: [],
              alertIds: [],
              reasons: [`backfill:${windowKey}`],
            }),
          ),
          manager,
        );
        await this.checkpoints.advance(
          {
            family,
            windowKey,
            since,
            nextQuery,
            records: page.records.length,
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
      pagesThisRun += 1;
      query = nextQuery;
      options.onPage({
        pages: 1,
        records: page.records.length,
        changes: pageChanges,
        pagesThisRun: 1,
        total: page.count,
        dailyRemaining:
          pagesThisRun % QUOTA_EVERY_PAGES === 1 ? (await this.budget.state()).dailyRemaining : null,
      });
    }
    return { resumed: checkpoint !== null, done: true };
  }
}
