import { FAMILIES } from '../../../src/common/tango/families';
import { bytesPerRecord, savedShare, ShapeCostProbe } from '../../../src/tango/shape-cost';
import { configuredShape } from '../../../src/tango/shape-narrowing';
import { type TangoClient, type TangoGet } from '../../../src/tango/tango-client';
import { parseShape } from '../../../src/tango-contract/shape-grammar';
import { shapePaths } from '../../../src/tango-contract/whole-shape';

describe('what a narrowing choice costs', () => {
  it('averages record JSON bytes and the share saved', () => {
    expect(bytesPerRecord([{ a: 1 }, { a: 123 }])).toBe(8);
    expect(bytesPerRecord([])).toBe(0);
    expect(savedShare(2000, 1500)).toBe(0.25);
    expect(savedShare(0, 0)).toBe(0);
  });

  it('samples the whole record and the configured shape, one operator request each', async () => {
    const requests: TangoGet[] = [];
    const tango = {
      get: (request: TangoGet) => {
        requests.push(request);
        const shape = parseShape(request.query?.shape ?? '');
        const asked = new Set(shapePaths(shape));
        const record = asked.has('transactions')
          ? { key: 'K', transactions: ['x'.repeat(100)] }
          : { key: 'K' };
        return Promise.resolve({
          status: 200,
          body: { results: [record, record] },
          sentAt: new Date(),
          attempts: 1,
        });
      },
    } as unknown as TangoClient;
    const narrowing = { fields: {}, exclude: { contracts: ['transactions'] } };
    const narrowed = configuredShape('contracts', narrowing).shape;
    const cost = await new ShapeCostProbe(tango).measure('contracts', narrowed, 2);
    expect(requests.map((request) => [request.priority, request.query?.limit])).toEqual([
      ['operator', '2'],
      ['operator', '2'],
    ]);
    expect(cost.whole.paths).toBe(shapePaths(FAMILIES.contracts.shape).length);
    expect(cost.configured.paths).toBeLessThan(cost.whole.paths);
    expect(cost.configured.bytesPerRecord).toBe(11);
    expect(cost.savedShare).toBeGreaterThan(0.8);
  });
});
