import { Logger } from '@nestjs/common';
import { FAMILIES, type ShapeItem } from '../../../src/common/tango/families';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { droppableIssues, type FamilyShapes, reducedShape } from '../../../src/tango/family-shapes';
import { RecordFetcher } from '../../../src/tango/record-fetcher';
import { type TangoAnswer, type TangoClient, type TangoGet } from '../../../src/tango/tango-client';
import { TangoRequestError } from '../../../src/tango/tango-errors';
import { type RequestShape } from '../../../src/tango/tango-requests';

/**
 * Answers list and detail GETs from a set of existing ids after a short delay, counting requests and how many
 * overlap; it can refuse shapes (for the tier) or shape items (as Tango's `400 Invalid shape`).
 */
class FakeTango {
  readonly requests: TangoGet[] = [];
  inFlight = 0;
  mostInFlight = 0;
  refuseShape = false;
  refusedItems = new Set<string>();

  constructor(
    private readonly idField: string,
    private readonly exists: (id: string) => boolean = () => true,
  ) {}

  async get(request: TangoGet): Promise<TangoAnswer> {
    this.requests.push(request);
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const shape = request.query?.shape;
      if (this.refuseShape && shape !== undefined) {
        throw new TangoRequestError('forbidden', 'Tango answered 403', 403, false, null, {
          detail: 'Custom response shaping requires the Pro tier.',
        });
      }
      const refused = (shape ?? '')
        .split(',')
        .map((item) => item.replace(/\(.*$/, ''))
        .filter((field) => this.refusedItems.has(field));
      if (refused.length > 0) {
        const body = {
          error: 'Invalid shape',
          issues: refused.map((path) => ({ path, reason: 'unknown_field' })),
        };
        throw new TangoRequestError('client_error', 'Tango answered 400: Invalid shape', 400, false, null, {
          body,
          detail: 'Invalid shape',
        });
      }
      const sentAt = new Date();
      const detail = /^\/api\/[a-z]+\/([^/]+)\/$/.exec(request.path);
      if (detail?.[1] !== undefined) {
        const id = decodeURIComponent(detail[1]);
        return this.exists(id)
          ? { status: 200, body: { [this.idField]: id, extra: 'x' }, sentAt, attempts: 1 }
          : { status: 404, body: { detail: 'Not found.' }, sentAt, attempts: 1 };
      }
      const ids = (request.query?.[this.idField] ?? '').split('|').filter(this.exists);
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

/** FamilyShapes without Postgres: the same decisions, kept in memory. */
class MemoryShapes {
  readonly dropped = new Map<ResourceFamily, string[]>();
  readonly unshaped = new Set<ResourceFamily>();

  requestShape(family: ResourceFamily): Promise<RequestShape> {
    if (this.unshaped.has(family)) {
      return Promise.resolve(null);
    }
    const shape: ShapeItem[] = reducedShape(FAMILIES[family].shape, this.dropped.get(family) ?? []);
    return Promise.resolve(shape);
  }

  noteTierRefusal(family: ResourceFamily): Promise<void> {
    this.unshaped.add(family);
    return Promise.resolve();
  }

  dropRefusedItems(
    family: ResourceFamily,
    issues: readonly { path: string; reason: string }[],
  ): Promise<boolean> {
    const { droppable } = droppableIssues(family, issues);
    this.dropped.set(family, [...(this.dropped.get(family) ?? []), ...droppable.map((issue) => issue.path)]);
    return Promise.resolve(droppable.length > 0);
  }
}

function fetcherWith(tango: FakeTango, shapes = new MemoryShapes()): RecordFetcher {
  return new RecordFetcher(
    tango as unknown as TangoClient,
    shapes as unknown as FamilyShapes,
    new MetricsService(),
  );
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

  it('sends every id of chunks refused the shape for the tier to detail calls without it, failing none', async () => {
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
    // Unshaped answers are cut to the full shape's fields; the fields they lack are named, not reported gone.
    const record = result.found.get('opp-0');
    expect(record?.record).toEqual({ opportunity_id: 'opp-0' });
    expect(record?.missingFields).toContain('title');
  });

  it('drops shape items Tango refuses and asks again at once, naming what the records lack', async () => {
    const tango = new FakeTango('grant_id');
    tango.refusedItems = new Set(['synopsis']);
    const shapes = new MemoryShapes();
    const result = await fetcherWith(tango, shapes).fetchRecords('grants', ['1', '2'], 'live');
    expect(result.found.size).toBe(2);
    expect(result.requests).toBe(2);
    const asksForSynopsis = (shape: string | undefined): boolean =>
      (shape ?? '').split(/[,()]/).includes('synopsis');
    expect(tango.requests.map((request) => asksForSynopsis(request.query?.shape))).toEqual([true, false]);
    expect(shapes.dropped.get('grants')).toEqual(['synopsis']);
    expect(result.found.get('1')?.missingFields).toEqual(['synopsis']);
  });

  it('treats a refusal it cannot heal by dropping items as final', async () => {
    const tango = new FakeTango('key');
    tango.refusedItems = new Set(['key']);
    const result = await fetcherWith(tango).fetchRecords('contracts', ['CONT_1'], 'live');
    expect(result.found.size).toBe(0);
    expect(result.failed.get('CONT_1')?.status).toBe(400);
  });

  it('spends one list request and one detail request per id when 100 hinted ids do not exist', async () => {
    const tango = new FakeTango('key', () => false);
    const ids = Array.from({ length: 100 }, (_, i) => `CONT_AWD_GONE_${i}`);
    const result = await fetcherWith(tango).fetchRecords('contracts', ids, 'live', new Set());
    expect(result.requests).toBe(101);
    expect(tango.requests.filter((request) => request.route === 'contracts.list')).toHaveLength(1);
    expect(tango.requests.filter((request) => request.route === 'contracts.detail')).toHaveLength(100);
    expect(result.notFound.size).toBe(100);
  });

  it('confirms a 404 with a second request only for a record the mirror holds', async () => {
    const tango = new FakeTango('key', () => false);
    const result = await fetcherWith(tango).fetchRecords(
      'contracts',
      ['CONT_AWD_MIRRORED', 'CONT_AWD_NEVER'],
      'live',
      new Set(['CONT_AWD_MIRRORED']),
    );
    const details = tango.requests.filter((request) => request.route === 'contracts.detail');
    expect(details.filter((request) => request.path.includes('MIRRORED'))).toHaveLength(2);
    expect(details.filter((request) => request.path.includes('NEVER'))).toHaveLength(1);
    expect([...result.notFound.keys()].sort()).toEqual(['CONT_AWD_MIRRORED', 'CONT_AWD_NEVER']);
  });
});
