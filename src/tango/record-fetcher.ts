import { Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { z } from 'zod';
import { FAMILIES, recordIdOf } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { MetricsService } from '../metrics/metrics.service';
import { type JsonRecord } from '../common/json';
import { classifyShapeRefusal, FamilyShapes } from './family-shapes';
import { parseListPage } from './list-page';
import { type RequestPriority } from './request-pacer';
import { type TangoAnswer, TangoClient } from './tango-client';
import { TangoRequestError } from './tango-errors';
import {
  detailRequest,
  idListRequest,
  LIST_PAGE_SIZE,
  listRequest,
  nextPageQuery,
  type RequestShape,
  type TangoRequestSpec,
} from './tango-requests';

/** A JSON object, kept whole (passthrough): unknown fields are mirrored, never dropped. */
const recordSchema = z.record(z.string(), z.json());

export interface FetchedOk {
  readonly record: JsonRecord;
  readonly sentAt: Date;
  /**
   * Top-level fields of the family's full shape that this answer could not carry (dropped after contract drift,
   * or absent from an unshaped answer): the mirror keeps their last known values instead of reporting them gone.
   */
  readonly missingFields: readonly string[];
  /** Fetched without a shape (the account's tier refuses them on this family). */
  readonly unshaped: boolean;
}

export interface RecordFetchResult {
  /** Records by the id they were asked for. */
  readonly found: Map<string, FetchedOk>;
  /** Ids Tango answered 404 for, with the time of the answer that settled it. */
  readonly notFound: Map<string, Date>;
  /** Ids that failed with the error that stopped them. */
  readonly failed: Map<string, TangoRequestError>;
  readonly requests: number;
}

export interface ListPageResult {
  readonly records: FetchedOk[];
  /** The next page's query, or null on the last page. */
  readonly next: Record<string, string> | null;
  readonly count: number | null;
  readonly requests: number;
}

export interface SweepResult {
  readonly records: FetchedOk[];
  readonly requests: number;
  readonly complete: boolean;
}

const DETAIL_CONCURRENCY = 4;
/** A family's fetch requests share one partition: its list chunks run side by side (the budget paces them). */
const LIST_CONCURRENCY = 4;
/** Tango may refuse a shape more than once in a row (items named one answer at a time); then it is final. */
const MAX_SHAPE_RETRIES = 4;

/**
 * The record as the mirror stores it: only the top-level fields of the family's full shape (an unshaped answer
 * carries others), and the full-shape fields this request could not ask for.
 */
export function conformToFullShape(
  family: ResourceFamily,
  raw: JsonRecord,
  shape: RequestShape,
): { record: JsonRecord; missingFields: string[] } {
  const full = FAMILIES[family].shape.map((item) => item.field);
  const asked = shape === null ? null : new Set(shape.map((item) => item.field));
  const record: JsonRecord = {};
  const missingFields: string[] = [];
  for (const field of full) {
    const value = raw[field];
    if (asked !== null && !asked.has(field)) {
      missingFields.push(field);
    } else if (value !== undefined) {
      record[field] = value;
    } else if (asked === null) {
      missingFields.push(field);
    }
  }
  return { record, missingFields };
}

/**
 * How records come out of Tango, spending as few requests as the API allows: id-list filters (`key=a|b|…`, up to
 * 100 per request) where Tango has them, detail GETs otherwise, list pages for sweeps and backfills, all with the
 * family's current shape (see FamilyShapes). A shape Tango refuses is reduced and the request retried at once; a
 * list answer is checked to hold only the ids asked for; an id missing from it costs one detail request, and a 404
 * is confirmed by a second request only for a record the mirror holds (a tombstone needs certainty).
 */
@Injectable()
export class RecordFetcher {
  private readonly logger = new Logger(RecordFetcher.name);
  private readonly filterBroken = new Set<ResourceFamily>();
  private readonly droppedRows: Counter<'resource'>;
  private readonly fallbacks: Counter<'resource' | 'why'>;

  constructor(
    private readonly tango: TangoClient,
    private readonly shapes: FamilyShapes,
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

  /**
   * Fetches records by id. `mirrored` names the ids the mirror holds: only their 404s are confirmed by a second
   * request (a deletion must be certain; an id never mirrored that Tango does not have is simply not found).
   */
  async fetchRecords(
    family: ResourceFamily,
    ids: readonly string[],
    priority: RequestPriority,
    mirrored: ReadonlySet<string> = new Set(),
  ): Promise<RecordFetchResult> {
    const result: RecordFetchResult = {
      found: new Map(),
      notFound: new Map(),
      failed: new Map(),
      requests: 0,
    };
    const counter = { requests: 0 };
    let remaining = [...new Set(ids)];
    if (await this.canUseIdList(family)) {
      const chunks: string[][] = [];
      for (let start = 0; start < remaining.length; start += LIST_PAGE_SIZE) {
        chunks.push(remaining.slice(start, start + LIST_PAGE_SIZE));
      }
      const unasked = new Set<string>();
      await mapWithConcurrency(chunks, LIST_CONCURRENCY, async (chunk) => {
        // Another chunk may have found the filter ignored or shapes refused: these ids go by detail.
        if (!(await this.canUseIdList(family))) {
          chunk.forEach((id) => unasked.add(id));
          return;
        }
        try {
          await this.fetchByIdList(family, chunk, priority, result, counter);
        } catch (error) {
          if (!(error instanceof TangoRequestError)) {
            throw error;
          }
          if (!(await this.canUseIdList(family))) {
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
        await this.fetchDetail(family, id, priority, mirrored.has(id), result, counter);
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
   * One list page with the family's current shape. `query` holds the filters (or, for later pages, what
   * `next` carried); the shape and page size are set here.
   */
  async listPage(
    family: ResourceFamily,
    query: Readonly<Record<string, string>>,
    priority: RequestPriority,
    route: string,
  ): Promise<ListPageResult> {
    const filters = Object.fromEntries(
      Object.entries(query).filter(([param]) => param !== 'shape' && param !== 'limit'),
    );
    const counter = { requests: 0 };
    const { answer, shape } = await this.withShape(family, counter, (shape) =>
      this.send(listRequest(family, filters, shape), priority, route),
    );
    const page = parseListPage(family, answer);
    return {
      records: page.results.map((raw) => this.fetched(family, raw, shape, answer.sentAt)),
      next:
        page.next === null || page.next === undefined || page.results.length === 0
          ? null
          : nextPageQuery(family, this.tango.sameOriginPath(page.next)),
      count: page.count ?? null,
      requests: counter.requests,
    };
  }

  /**
   * Runs a list query (an alert's filters, a reconciliation window) page by page, up to `maxPages`; `complete`
   * says whether the last page was reached.
   */
  async sweep(
    family: ResourceFamily,
    filters: Readonly<Record<string, string>>,
    priority: RequestPriority,
    maxPages: number,
  ): Promise<SweepResult> {
    const records: FetchedOk[] = [];
    let query: Readonly<Record<string, string>> | null = filters;
    let requests = 0;
    for (let pageNumber = 0; pageNumber < maxPages && query !== null; pageNumber += 1) {
      const page = await this.listPage(family, query, priority, `${family}.sweep`);
      requests += page.requests;
      records.push(...page.records);
      query = page.next;
    }
    return { records, requests, complete: query === null };
  }

  /**
   * Tells whether Tango accepts the family's full shape again (one small list request); see FamilyShapes. Items it
   * still refuses are noted, and the refusal's message returned.
   */
  async probeFullShape(family: ResourceFamily): Promise<{ accepted: boolean; outcome: string }> {
    try {
      await this.send(listRequest(family, {}, FAMILIES[family].shape, 1), 'sweep', `${family}.shape-probe`);
      return { accepted: true, outcome: 'Tango accepts the full shape' };
    } catch (error) {
      if (!(error instanceof TangoRequestError)) {
        throw error;
      }
      const refusal = classifyShapeRefusal(family, error);
      if (refusal?.kind === 'items') {
        await this.shapes.dropRefusedItems(family, refusal.issues);
      }
      return { accepted: false, outcome: error.message };
    }
  }

  private async canUseIdList(family: ResourceFamily): Promise<boolean> {
    return (
      FAMILIES[family].idListFilter !== null &&
      !this.filterBroken.has(family) &&
      (await this.shapes.requestShape(family)) !== null
    );
  }

  private fetched(family: ResourceFamily, raw: JsonRecord, shape: RequestShape, sentAt: Date): FetchedOk {
    const { record, missingFields } = conformToFullShape(family, raw, shape);
    return { record, sentAt, missingFields, unshaped: shape === null };
  }

  private send(spec: TangoRequestSpec, priority: RequestPriority, route: string): Promise<TangoAnswer> {
    return this.tango.get({ path: spec.path, query: spec.query, priority, route });
  }

  /**
   * Sends a request built for the family's current shape; when Tango refuses the shape, notes the refusal (items
   * dropped, or no shape for the tier) and sends it again at once with what is left.
   */
  private async withShape(
    family: ResourceFamily,
    counter: { requests: number },
    request: (shape: RequestShape) => Promise<TangoAnswer>,
    options: { retryUnshaped: boolean } = { retryUnshaped: true },
  ): Promise<{ answer: TangoAnswer; shape: RequestShape }> {
    for (let attempt = 0; ; attempt += 1) {
      const shape = await this.shapes.requestShape(family);
      try {
        counter.requests += 1;
        return { answer: await request(shape), shape };
      } catch (error) {
        if (!(error instanceof TangoRequestError) || shape === null || attempt >= MAX_SHAPE_RETRIES) {
          throw error;
        }
        const refusal = classifyShapeRefusal(family, error);
        if (refusal === null) {
          throw error;
        }
        if (refusal.kind === 'tier') {
          await this.shapes.noteTierRefusal(family, refusal.message);
          this.fallbacks.inc({ resource: family, why: 'shape_refused' });
          if (!options.retryUnshaped) {
            throw error;
          }
        } else if (!(await this.shapes.dropRefusedItems(family, refusal.issues))) {
          throw error;
        }
      }
    }
  }

  private async fetchByIdList(
    family: ResourceFamily,
    ids: readonly string[],
    priority: RequestPriority,
    result: RecordFetchResult,
    counter: { requests: number },
  ): Promise<void> {
    // Unshaped, an id list answers the list's narrow default shape: those ids go by detail instead.
    const { answer, shape } = await this.withShape(
      family,
      counter,
      (shape) => this.send(idListRequest(family, ids, shape), priority, `${family}.list`),
      { retryUnshaped: false },
    );
    const page = parseListPage(family, answer);
    const wanted = new Set(ids);
    let extra = 0;
    for (const raw of page.results) {
      const id = recordIdOf(FAMILIES[family], raw);
      if (id !== null && wanted.has(id)) {
        result.found.set(id, this.fetched(family, raw, shape, answer.sentAt));
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
        { resource: family, param: FAMILIES[family].idListFilter, extra },
        'id-list filter not honoured; switching to detail fetches',
      );
    }
  }

  private async fetchDetail(
    family: ResourceFamily,
    id: string,
    priority: RequestPriority,
    mirrored: boolean,
    result: RecordFetchResult,
    counter: { requests: number },
  ): Promise<void> {
    for (let confirmations = 0; ; confirmations += 1) {
      const { answer, shape } = await this.withShape(family, counter, (shape) =>
        this.send(detailRequest(family, id, shape), priority, `${family}.detail`),
      );
      if (answer.status === 404) {
        // A 404 for a mirrored record becomes a tombstone: believed only when a second request confirms it.
        if (mirrored && confirmations === 0) {
          continue;
        }
        result.notFound.set(id, answer.sentAt);
        return;
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
      result.found.set(id, this.fetched(family, record.data, shape, answer.sentAt));
      return;
    }
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
