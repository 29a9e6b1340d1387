import { type WantedRecord } from '../../../src/fetcher/fetch-batch';
import { FORECAST_SUBJECT_MAX_PAGES, IndirectResolver } from '../../../src/fetcher/indirect-resolver';
import { type MirrorRepository } from '../../../src/mirror/mirror.repository';
import { type FetchedOk, type ListPageResult, type RecordFetcher } from '../../../src/tango/record-fetcher';

const SENT = new Date('2026-06-10T00:00:00Z');

function item(recordId: string, idKind: WantedRecord['idKind']): WantedRecord {
  return {
    recordId,
    idKind,
    hintedAt: SENT,
    priority: 'live',
    attempt: 0,
    deliveryIds: new Set(),
    reasons: new Set(['forecasts.updated']),
    alertIds: new Set(),
  };
}

const fetched = (record: FetchedOk['record']): FetchedOk => ({
  record,
  sentAt: SENT,
  missingFields: [],
  unshaped: false,
});

/** Answers list pages from a script, recording the queries. */
class ScriptedFetcher {
  readonly queries: Record<string, string>[] = [];

  constructor(private readonly pages: (query: Record<string, string>) => ListPageResult) {}

  listPage(_family: string, query: Record<string, string>): Promise<ListPageResult> {
    this.queries.push(query);
    return Promise.resolve(this.pages(query));
  }

  fetchRecords(): Promise<never> {
    return Promise.reject(new Error('not expected'));
  }
}

function resolverWith(fetcher: ScriptedFetcher, known: string | null = null): IndirectResolver {
  const mirror = { idForSubject: () => Promise.resolve(known) } as unknown as MirrorRepository;
  return new IndirectResolver(fetcher as unknown as RecordFetcher, mirror);
}

describe('resolving ids that are not the family key', () => {
  it('finds a forecast subject by its source system and recent modification, never by an external_id filter', async () => {
    const fetcher = new ScriptedFetcher((query) => ({
      records:
        query.page === '2'
          ? [fetched({ id: 7, source_system: 'DHS', external_id: '73271' })]
          : [fetched({ id: 5, source_system: 'DHS', external_id: '1' })],
      next: query.page === '2' ? null : { ...query, page: '2' },
      count: 2,
      requests: 1,
    }));
    const resolution = await resolverWith(fetcher).resolve(
      'forecasts',
      item('DHS:73271', 'forecast_subject'),
    );
    expect(resolution.records.map((record) => record.record.id)).toEqual([7]);
    expect(fetcher.queries[0]).toEqual({ source_system: 'DHS', modified_after: '2026-06-03' });
    expect(fetcher.queries.every((query) => !('external_id' in query))).toBe(true);
  });

  it('stops after a bounded number of pages and says the subject is unresolved', async () => {
    const fetcher = new ScriptedFetcher((query) => ({
      records: [fetched({ id: 1, source_system: 'DHS', external_id: 'other' })],
      next: { ...query, page: String(Number(query.page ?? '1') + 1) },
      count: 10_000,
      requests: 1,
    }));
    const resolution = await resolverWith(fetcher).resolve(
      'forecasts',
      item('DHS:73271', 'forecast_subject'),
    );
    expect(resolution.records).toEqual([]);
    expect(resolution.error).toBeNull();
    expect(fetcher.queries).toHaveLength(FORECAST_SUBJECT_MAX_PAGES);
    expect(resolution.message).toMatch(/DHS:73271.*not found.*first 5 pages/);
  });

  it('checks that a PIID lookup answered the PIID asked for', async () => {
    const fetcher = new ScriptedFetcher(() => ({
      records: [fetched({ key: 'CONT_AWD_A', piid: 'OTHER' })],
      next: null,
      count: 1,
      requests: 1,
    }));
    const resolution = await resolverWith(fetcher).resolve('contracts', item('W912', 'piid'));
    expect(resolution.records).toEqual([]);
    expect(fetcher.queries).toEqual([{ piid: 'W912' }]);
    expect(resolution.message).toMatch(/no contracts record has PIID "W912" \(Tango ignored the filter\)/);
  });
});
