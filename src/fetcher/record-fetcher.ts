import { Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { z } from 'zod';
import { type ResourceFamily } from '../common/tango/resource-family';
import { MetricsService } from '../metrics/metrics.service';
import { type JsonRecord, MIRROR_FAMILIES } from '../mirror/mirror-families';
import { recordIdOf } from '../mirror/typed-columns';
import { type RequestPriority } from '../tango/request-budget';
import { parseListPage } from '../tango/list-page';
import { pathFor, TangoClient } from '../tango/tango-client';
import { TangoRequestError } from '../tango/tango-errors';
import { fullShape, ID_LIST_PARAM, PRO_SHAPE_FAMILIES } from './full-shapes';

/** A JSON object, kept whole (passthrough): unknown fields are mirrored, never dropped. */
const recordSchema = z.record(z.string(), z.json());

export interface FetchedOk {
  readonly record: JsonRecord;
  readonly sentAt: Date;
}

export interface RecordFetchResult {
  /** Records by the id they were asked for. */
  readonly found: Map<string, FetchedOk>;
  /** Ids Tango answered 404 for, with the time of the (second, confirming) request. */
  readonly notFound: Map<string, Date>;
  /** Ids that failed with the error that stopped them. */
  readonly failed: Map<string, TangoRequestError>;
  readonly requests: number;
}

export interface SweepResult {
  readonly records: FetchedOk[];
  readonly requests: number;
  readonly complete: boolean;
}

const LIST_LIMIT = 100;
const DETAIL_CONCURRENCY = 4;
/** A family's fetch requests share one partition: its list chunks run side by side (the budget paces them). */
const LIST_CONCURRENCY = 4;

/**
 * How records come out of Tango, spending as few requests as the API allows: id-list filters (`key=a|b|…`,
 * up to 100 per request) where they exist and are honoured, detail GETs otherwise, all with the family's full
 * shape. A list answer is checked to hold only the ids asked for; if Tango ignored the filter the extra rows are
 * dropped and counted and the family switches to detail calls for the rest of the process.
 */
@Injectable()
export class RecordFetcher {
  private readonly logger = new Logger(RecordFetcher.name);
  private readonly filterBroken = new Set<ResourceFamily>();
  private readonly shapeRefused = new Set<ResourceFamily>();
  private readonly droppedRows: Counter<'resource'>;
  private readonly fallbacks: Counter<'resource' | 'why'>;

  constructor(
    private readonly tango: TangoClient,
    metrics: MetricsService,
  ) {
    this.droppedRows = metrics.counter(
      'tango_sync_fetch_unrequested_rows_total',
      'Rows a list answer returned that were not asked for (Tango ignored a filter)',
      ['resource'],
    );
    this.fallbacks = metrics.counter(
      'tango_sync_fetch_detail_fallbacks_total',
      'Records fetched by detail instead of list',
      ['resource', 'why'],
    );
  }

  async fetchRecords(
    family: ResourceFamily,
    ids: readonly string[],
    priority: RequestPriority,
  ): Promise<RecordFetchResult> {
    const result: RecordFetchResult = {
      found: new Map(),
      notFound: new Map(),
      failed: new Map(),
      requests: 0,
    };
    const counter = { requests: 0 };
    let remaining = [...new Set(ids)];
    if (this.canUseIdList(family)) {
      const chunks: string[][] = [];
      for (let start = 0; start < remaining.length; start += LIST_LIMIT) {
        chunks.push(remaining.slice(start, start + LIST_LIMIT));
      }
      const unasked = new Set<string>();
      await mapWithConcurrency(chunks, LIST_CONCURRENCY, async (chunk) => {
        // Another chunk may have found the filter ignored or the shape refused: these ids go by detail.
        if (!this.canUseIdList(family)) {
          chunk.forEach((id) => unasked.add(id));
          return;
        }
        try {
          await this.fetchByIdList(family, chunk, priority, result, counter);
        } catch (error) {
          if (!(error instanceof TangoRequestError)) {
            throw error;
          }
          if (this.isShapeRefusal(family, error)) {
            // Chunks in flight together may all be refused the shape: noted once, all their ids go by detail.
            this.noteShapeRefusal(family, error);
            chunk.forEach((id) => unasked.add(id));
          } else {
            chunk.forEach((id) => result.failed.set(id, error));
          }
        }
      });
      remaining = remaining.filter((id) => !result.found.has(id) && !result.failed.has(id));
      const missing = remaining.filter((id) => !unasked.has(id)).length;
      if (missing > 0) {
        this.fallbacks.inc({ resource: family, why: 'missing_from_list' }, missing);
      }
      if (unasked.size > 0) {
        this.fallbacks.inc({ resource: family, why: 'list_unusable' }, unasked.size);
      }
    }
    await mapWithConcurrency(remaining, DETAIL_CONCURRENCY, async (id) => {
      try {
        await this.fetchDetail(family, id, priority, result, counter);
      } catch (error) {
        if (!(error instanceof TangoRequestError)) {
          throw error;
        }
        result.failed.set(id, error);
      }
    });
    return { ...result, requests: counter.requests };
  }

  /**
   * Runs a list query (an alert's filters, or a reconciliation window) page by page with the full shape, up to
   * `maxPages`; `complete` says whether the last page was reached.
   */
  async sweep(
    family: ResourceFamily,
    filters: Readonly<Record<string, string>>,
    priority: RequestPriority,
    maxPages: number,
  ): Promise<SweepResult> {
    const records: FetchedOk[] = [];
    let query: Record<string, string> = { ...filters, limit: String(LIST_LIMIT), ...this.shapeParam(family) };
    let requests = 0;
    for (let pageNumber = 0; pageNumber < maxPages; pageNumber += 1) {
      const answer = await this.tango.get({
        path: pathFor(family),
        query,
        priority,
        route: `${family}.sweep`,
      });
      requests += 1;
      const page = parseListPage(family, answer);
      records.push(...page.results.map((record) => ({ record, sentAt: answer.sentAt })));
      const next = page.next ?? null;
      if (next === null || page.results.length === 0) {
        return { records, requests, complete: true };
      }
      query = Object.fromEntries(
        new URL(this.tango.sameOriginPath(next), 'http://tango.invalid').searchParams.entries(),
      );
    }
    return { records, requests, complete: false };
  }

  /** Lists records whose `field` equals `value` (a PIID, a forecast subject part), checking the filter held. */
  async findBy(
    family: ResourceFamily,
    filters: Readonly<Record<string, string>>,
    matches: (record: JsonRecord) => boolean,
    priority: RequestPriority,
  ): Promise<{ records: FetchedOk[]; filterIgnored: boolean }> {
    const answer = await this.tango.get({
      path: pathFor(family),
      query: { ...filters, limit: String(LIST_LIMIT), ...this.shapeParam(family) },
      priority,
      route: `${family}.lookup`,
    });
    const page = parseListPage(family, answer);
    const matching = page.results.filter(matches);
    return {
      records: matching.map((record) => ({ record, sentAt: answer.sentAt })),
      filterIgnored: matching.length < page.results.length,
    };
  }

  private canUseIdList(family: ResourceFamily): boolean {
    return (
      ID_LIST_PARAM[family] !== undefined && !this.filterBroken.has(family) && !this.shapeRefused.has(family)
    );
  }

  private shapeParam(family: ResourceFamily): Record<string, string> {
    return this.shapeRefused.has(family) ? {} : { shape: fullShape(family) };
  }

  private async fetchByIdList(
    family: ResourceFamily,
    ids: readonly string[],
    priority: RequestPriority,
    result: RecordFetchResult,
    counter: { requests: number },
  ): Promise<void> {
    const param = ID_LIST_PARAM[family] ?? 'id';
    const answer = await this.tango.get({
      path: pathFor(family),
      query: { [param]: ids.join('|'), limit: String(LIST_LIMIT), ...this.shapeParam(family) },
      priority,
      route: `${family}.list`,
    });
    counter.requests += 1;
    const page = parseListPage(family, answer);
    const wanted = new Set(ids);
    let extra = 0;
    for (const record of page.results) {
      const id = recordIdOf(MIRROR_FAMILIES[family], record);
      if (id !== null && wanted.has(id)) {
        result.found.set(id, { record, sentAt: answer.sentAt });
      } else {
        extra += 1;
      }
    }
    if (extra > 0) {
      // Tango ignores unknown parameters: a filter it does not honour returns unrelated rows. Never mirror them
      // from here; fetch what was asked for one by one from now on.
      this.droppedRows.inc({ resource: family }, extra);
      this.filterBroken.add(family);
      this.logger.warn(
        { resource: family, param, extra },
        'id-list filter not honoured; switching to detail fetches',
      );
    }
  }

  private async fetchDetail(
    family: ResourceFamily,
    id: string,
    priority: RequestPriority,
    result: RecordFetchResult,
    counter: { requests: number },
  ): Promise<void> {
    for (let confirmations = 0; ; confirmations += 1) {
      let answer;
      try {
        answer = await this.tango.get({
          path: pathFor(family, id),
          query: this.shapeParam(family),
          priority,
          route: `${family}.detail`,
        });
      } catch (error) {
        if (error instanceof TangoRequestError && this.noteShapeRefusal(family, error)) {
          continue;
        }
        throw error;
      } finally {
        counter.requests += 1;
      }
      if (answer.status === 404) {
        // A 404 is believed only when a second request confirms it.
        if (confirmations >= 1) {
          result.notFound.set(id, answer.sentAt);
          return;
        }
        continue;
      }
      const record = recordSchema.safeParse(answer.body);
      if (!record.success) {
        throw new TangoRequestError(
          'invalid_body',
          `${family} detail answer is not an object`,
          answer.status,
          true,
        );
      }
      result.found.set(id, { record: record.data, sentAt: answer.sentAt });
      return;
    }
  }

  /** Whether a request with the full shape failed because this account may not use `shape` on the family. */
  private isShapeRefusal(family: ResourceFamily, error: TangoRequestError): boolean {
    return PRO_SHAPE_FAMILIES.has(family) && error.status === 403;
  }

  /** Lower tiers refuse `shape` on some families: remember it and use the plain detail endpoint. */
  private noteShapeRefusal(family: ResourceFamily, error: TangoRequestError): boolean {
    if (this.isShapeRefusal(family, error) && !this.shapeRefused.has(family)) {
      this.shapeRefused.add(family);
      this.fallbacks.inc({ resource: family, why: 'shape_refused' });
      this.logger.warn(
        { resource: family },
        'Tango refuses `shape` on this family for this account; using detail fetches',
      );
      return true;
    }
    return false;
  }
}

async function mapWithConcurrency<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next] as T;
        next += 1;
        await work(item);
      }
    }),
  );
}
