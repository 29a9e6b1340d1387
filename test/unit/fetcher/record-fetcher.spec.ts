import { Logger } from '@nestjs/common';
import { RecordFetcher } from '../../../src/fetcher/record-fetcher';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { type TangoAnswer, type TangoClient, type TangoGet } from '../../../src/tango/tango-client';
import { TangoRequestError } from '../../../src/tango/tango-errors';

/** Answers list and detail GETs from an id set after a short delay, counting requests and how many overlap. */
class FakeTango {
  readonly requests: TangoGet[] = [];
  inFlight = 0;
  mostInFlight = 0;
  refuseShape = false;

  constructor(private readonly idField: string) {}

  async get(request: TangoGet): Promise<TangoAnswer> {
    this.requests.push(request);
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.refuseShape && request.query?.shape !== undefined) {
        throw new TangoRequestError('unauthorized', 'shape needs a higher tier', 403, false);
      }
      const sentAt = new Date();
      const detail = /^\/api\/[a-z]+\/([^/]+)\/$/.exec(request.path);
      if (detail?.[1] !== undefined) {
        return { status: 200, body: { [this.idField]: decodeURIComponent(detail[1]) }, sentAt, attempts: 1 };
      }
      const ids = (request.query?.[this.idField] ?? '').split('|');
      return {
        status: 200,
        body: { results: ids.map((id) => ({ [this.idField]: id })) },
        sentAt,
        attempts: 1,
      };
    } finally {
      this.inFlight -= 1;
    }
  }
}

function fetcherWith(tango: FakeTango): RecordFetcher {
  return new RecordFetcher(tango as unknown as TangoClient, new MetricsService());
}

describe('RecordFetcher', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('asks for a family in id-list chunks of 100, up to four at once', async () => {
    const tango = new FakeTango('key');
    const ids = Array.from({ length: 650 }, (_, i) => `CONT_${i}`);
    const result = await fetcherWith(tango).fetchRecords('contracts', ids, 'live');
    expect(result.requests).toBe(7);
    expect(tango.requests.every((request) => request.route === 'contracts.list')).toBe(true);
    expect(tango.mostInFlight).toBe(4);
    expect([...result.found.keys()].sort()).toEqual([...ids].sort());
    expect(result.failed.size).toBe(0);
  });

  it('sends every id of chunks refused the shape together to detail calls without it, failing none', async () => {
    const tango = new FakeTango('opportunity_id');
    tango.refuseShape = true;
    const ids = Array.from({ length: 250 }, (_, i) => `opp-${i}`);
    const result = await fetcherWith(tango).fetchRecords('opportunities', ids, 'live');
    const lists = tango.requests.filter((request) => request.route === 'opportunities.list');
    const details = tango.requests.filter((request) => request.route === 'opportunities.detail');
    // The three chunks were in flight together: each was refused, none was failed.
    expect(lists).toHaveLength(3);
    expect(result.failed.size).toBe(0);
    expect(result.found.size).toBe(250);
    expect(details.filter((request) => request.query?.shape === undefined)).toHaveLength(250);
  });
});
