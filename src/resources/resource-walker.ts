import { Injectable } from '@nestjs/common';
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
 * page to the caller, which writes it and says whether to go on. Nothing is held across pages.
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
