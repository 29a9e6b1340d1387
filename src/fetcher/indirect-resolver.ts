import { Injectable } from '@nestjs/common';
import {
  FAMILIES,
  type FamilyDescriptor,
  parseSubject,
  recordMatchesSubject,
  type Subject,
  type SubjectIds,
  subjectSearchQuery,
} from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { MirrorRepository } from '../mirror/mirror.repository';
import { type FetchedOk, RecordFetcher } from '../tango/record-fetcher';
import { TangoRequestError } from '../tango/tango-errors';
import { type WantedRecord } from './fetch-batch';

/** How far back a subject's search looks (by Tango's modification day), and how many pages it reads. */
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
 * Turns ids that are not the family's own key into records, by the family descriptor: a bare PIID (legacy award
 * events) by the family's `piidFilter`, checked against the answer; a `<system>:<external>` subject (forecasts'
 * `subjectIds`) by the mirror's index, else by a bounded search of that source system's recently modified records
 * (Tango has no filter on the external id). Nothing is guessed: an unresolved subject is a failure the health
 * report shows.
 */
@Injectable()
export class IndirectResolver {
  constructor(
    private readonly fetcher: RecordFetcher,
    private readonly mirror: MirrorRepository,
  ) {}

  async resolve(family: ResourceFamily, item: WantedRecord): Promise<Resolution> {
    const descriptor = FAMILIES[family];
    const subjectIds = descriptor.subjectIds;
    try {
      return subjectIds?.idKind === item.idKind
        ? await this.subject(descriptor, subjectIds, item)
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

  private async subject(
    descriptor: FamilyDescriptor,
    subjectIds: SubjectIds,
    item: WantedRecord,
  ): Promise<Resolution> {
    const wanted = parseSubject(item.recordId);
    if (wanted === null) {
      return { records: [], requests: 0, error: null, message: `"${item.recordId}" is not a subject id` };
    }
    const known = await this.mirror.idForSubject(descriptor.family, wanted);
    if (known !== null) {
      return this.knownSubject(descriptor, item, known);
    }
    return this.searchSubject(descriptor, subjectIds, wanted, item);
  }

  /** Step: the mirror knows the subject's record: fetch it by its own id. */
  private async knownSubject(
    descriptor: FamilyDescriptor,
    item: WantedRecord,
    known: string,
  ): Promise<Resolution> {
    const result = await this.fetcher.fetchRecords(
      descriptor.family,
      [known],
      item.priority,
      new Set([known]),
    );
    const record = result.found.get(known);
    const error = result.failed.get(known) ?? null;
    const noun = descriptor.modelName.toLowerCase();
    return {
      records: record === undefined ? [] : [record],
      requests: result.requests,
      error,
      message: record === undefined ? (error?.message ?? `${noun} ${known} (${item.recordId}) is gone`) : '',
    };
  }

  /** Step: a bounded search of the source system's records modified lately, matched on the external id. */
  private async searchSubject(
    descriptor: FamilyDescriptor,
    subjectIds: SubjectIds,
    wanted: Subject,
    item: WantedRecord,
  ): Promise<Resolution> {
    const since = new Date(item.hintedAt.getTime() - FORECAST_SUBJECT_LOOKBACK_DAYS * 86_400_000);
    let query: Record<string, string> | null = subjectSearchQuery(subjectIds, wanted, since);
    let requests = 0;
    for (let pages = 0; pages < FORECAST_SUBJECT_MAX_PAGES && query !== null; pages += 1) {
      const page = await this.fetcher.listPage(
        descriptor.family,
        query,
        item.priority,
        `${descriptor.family}.lookup`,
      );
      requests += page.requests;
      const found = page.records.filter((record) => recordMatchesSubject(subjectIds, wanted, record.record));
      if (found.length > 0) {
        return { records: found, requests, error: null, message: '' };
      }
      query = page.next;
    }
    const noun = descriptor.modelName.toLowerCase();
    return {
      records: [],
      requests,
      error: null,
      message:
        `${noun} subject "${item.recordId}" not found: no ${wanted.system} ${noun} with ${subjectIds.externalField} ` +
        `${wanted.external} modified since ${day(since)}` +
        (query === null ? '' : ` in the first ${FORECAST_SUBJECT_MAX_PAGES} pages`),
    };
  }
}
