import { Injectable } from '@nestjs/common';
import { type JsonRecord } from '../common/json';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { MirrorRepository } from '../mirror/mirror.repository';
import { type FetchedOk, RecordFetcher } from '../tango/record-fetcher';
import { TangoRequestError } from '../tango/tango-errors';
import { type WantedRecord } from './fetch-batch';

/** How far back a forecast subject's search looks (by Tango's `modified` day), and how many pages it reads. */
export const FORECAST_SUBJECT_LOOKBACK_DAYS = 7;
export const FORECAST_SUBJECT_MAX_PAGES = 5;

export interface Resolution {
  readonly records: FetchedOk[];
  readonly requests: number;
  readonly error: TangoRequestError | null;
  /** Why nothing was found (empty when something was). */
  readonly message: string;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Turns ids that are not the family's own key into records: a bare PIID (legacy award events) by Tango's `piid`
 * filter, checked against the answer; a `<source_system>:<external_id>` forecast subject by the mirror's index,
 * else by a bounded search of that source system's recently modified forecasts (Tango has no `external_id`
 * filter). Nothing is guessed: an unresolved subject is a failure the health report shows.
 */
@Injectable()
export class IndirectResolver {
  constructor(
    private readonly fetcher: RecordFetcher,
    private readonly mirror: MirrorRepository,
  ) {}

  async resolve(family: ResourceFamily, item: WantedRecord): Promise<Resolution> {
    try {
      return item.idKind === 'forecast_subject'
        ? await this.forecastSubject(item)
        : await this.piid(family, item);
    } catch (error) {
      if (!(error instanceof TangoRequestError)) {
        throw error;
      }
      return { records: [], requests: 1, error, message: error.message };
    }
  }

  private async piid(family: ResourceFamily, item: WantedRecord): Promise<Resolution> {
    const filter = FAMILIES[family].piidFilter;
    if (filter === undefined) {
      return { records: [], requests: 0, error: null, message: `${family} cannot be looked up by PIID` };
    }
    const wanted = item.recordId.toUpperCase();
    const page = await this.fetcher.listPage(
      family,
      { [filter]: item.recordId },
      item.priority,
      `${family}.lookup`,
    );
    const records = page.records.filter(
      (record) => typeof record.record.piid === 'string' && record.record.piid.toUpperCase() === wanted,
    );
    const ignored = records.length < page.records.length;
    return {
      records,
      requests: page.requests,
      error: null,
      message:
        records.length > 0
          ? ''
          : `no ${family} record has PIID "${item.recordId}"${ignored ? ' (Tango ignored the filter)' : ''}`,
    };
  }

  private async forecastSubject(item: WantedRecord): Promise<Resolution> {
    const separator = item.recordId.indexOf(':');
    const sourceSystem = item.recordId.slice(0, separator);
    const externalId = item.recordId.slice(separator + 1);
    const known = await this.mirror.forecastIdForSubject(sourceSystem, externalId);
    if (known !== null) {
      const result = await this.fetcher.fetchRecords('forecasts', [known], item.priority, new Set([known]));
      const record = result.found.get(known);
      const error = result.failed.get(known) ?? null;
      return {
        records: record === undefined ? [] : [record],
        requests: result.requests,
        error,
        message:
          record === undefined ? (error?.message ?? `forecast ${known} (${item.recordId}) is gone`) : '',
      };
    }
    const since = new Date(item.hintedAt.getTime() - FORECAST_SUBJECT_LOOKBACK_DAYS * 86_400_000);
    const matches = (record: JsonRecord): boolean => {
      const external = record.external_id;
      return (
        record.source_system === sourceSystem &&
        (typeof external === 'string' || typeof external === 'number') &&
        String(external) === externalId
      );
    };
    let query: Record<string, string> | null = { source_system: sourceSystem, modified_after: day(since) };
    let requests = 0;
    for (let pages = 0; pages < FORECAST_SUBJECT_MAX_PAGES && query !== null; pages += 1) {
      const page = await this.fetcher.listPage('forecasts', query, item.priority, 'forecasts.lookup');
      requests += page.requests;
      const found = page.records.filter((record) => matches(record.record));
      if (found.length > 0) {
        return { records: found, requests, error: null, message: '' };
      }
      query = page.next;
    }
    return {
      records: [],
      requests,
      error: null,
      message:
        `forecast subject "${item.recordId}" not found: no ${sourceSystem} forecast with external_id ` +
        `${externalId} modified since ${day(since)}` +
        (query === null ? '' : ` in the first ${FORECAST_SUBJECT_MAX_PAGES} pages`),
    };
  }
}
