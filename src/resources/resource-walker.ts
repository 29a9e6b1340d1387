import { Injectable } from '@nestjs/common';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type FetchedOk, RecordFetcher } from '../tango/record-fetcher';

export interface WalkedPage {
  readonly records: readonly FetchedOk[];
  /** 1-based. */
  readonly number: number;
}

export interface WalkResult {
  readonly pages: number;
  readonly requests: number;
  readonly records: number;
  /** The last page was reached (not stopped by the caller or the page limit). */
  readonly complete: boolean;
  /** The caller stopped the walk. */
  readonly stopped: boolean;
}

/**
 * Reads a resource's list page by page, with its current shape and the contract's largest page (through the record
 * fetcher, so every request is checked against Tango's contract and paced by the request budget), handing each
 * page to the caller, which writes it and says whether to go on. Where the unfiltered list shows only some records
 * (the refresh plan's `listVariants`), each variant is read in turn and `stop` ends the variant being read. Nothing
 * is held across pages.
 */
@Injectable()
export class ResourceWalker {
  constructor(private readonly fetcher: RecordFetcher) {}

  async walk(
    resource: ResourceFamily,
    filters: Readonly<Record<string, string>>,
    options: { readonly maxPages: number; readonly route: string },
    onPage: (page: WalkedPage) => Promise<'continue' | 'stop'>,
  ): Promise<WalkResult> {
    const variants = FAMILIES[resource].refresh?.listVariants ?? [{}];
    const results: WalkResult[] = [];
    let pagesBefore = 0;
    for (const variant of variants) {
      const result = await this.walkList(
        resource,
        { ...filters, ...variant },
        { ...options, maxPages: options.maxPages - pagesBefore },
        (page) => onPage({ ...page, number: page.number + pagesBefore }),
      );
      pagesBefore += result.pages;
      results.push(result);
    }
    return {
      pages: pagesBefore,
      requests: results.reduce((sum, result) => sum + result.requests, 0),
      records: results.reduce((sum, result) => sum + result.records, 0),
      complete: results.every((result) => result.complete),
      stopped: results.some((result) => result.stopped),
    };
  }

  private async walkList(
    resource: ResourceFamily,
    filters: Readonly<Record<string, string>>,
    options: { readonly maxPages: number; readonly route: string },
    onPage: (page: WalkedPage) => Promise<'continue' | 'stop'>,
  ): Promise<WalkResult> {
    let query: Readonly<Record<string, string>> | null = filters;
    let pages = 0;
    let requests = 0;
    let records = 0;
    while (query !== null && pages < options.maxPages) {
      const page = await this.fetcher.listPage(resource, query, 'sweep', options.route);
      pages += 1;
      requests += page.requests;
      records += page.records.length;
      if ((await onPage({ records: page.records, number: pages })) === 'stop') {
        return { pages, requests, records, complete: page.next === null, stopped: true };
      }
      query = page.next;
    }
    return { pages, requests, records, complete: query === null, stopped: false };
  }
}
