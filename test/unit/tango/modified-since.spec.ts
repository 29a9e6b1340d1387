import {
  judgeModifiedSinceProbe,
  modifiedSinceProbeFamilies,
  modifiedSinceRequest,
} from '../../../src/tango/modified-since';
import { ContractViolationError, listRequest } from '../../../src/tango/tango-requests';

describe('the modified_after probe: the one named exception to the contract check', () => {
  it('is for the award lists whose contract lacks modified_after, which listRequest still refuses', () => {
    expect(modifiedSinceProbeFamilies()).toEqual(['contracts', 'idvs', 'otas', 'otidvs']);
    expect(() => listRequest('contracts', { modified_after: '2026-01-01' }, null)).toThrow(
      ContractViolationError,
    );
  });

  it('builds a list of ids modified since a day, and nothing else outside the contract', () => {
    expect(modifiedSinceRequest('contracts', '2026-08-01', 1)).toEqual({
      path: '/api/contracts/',
      query: { limit: '1', shape: 'key', modified_after: '2026-08-01' },
    });
    expect(() => modifiedSinceRequest('grants', '2026-08-01')).toThrow(/only for award lists/);
    expect(() => modifiedSinceRequest('contracts', 'yesterday')).toThrow(/takes a day/);
    expect(() => modifiedSinceRequest('contracts', '2026-08-01', 100, { bogus: '1' })).toThrow(/bogus/);
  });

  it('finds it honoured only when a far-future value lists 0 and an old one does not', () => {
    expect(judgeModifiedSinceProbe(0, 120).honoured).toBe(true);
    expect(judgeModifiedSinceProbe(120, 120)).toEqual({
      honoured: false,
      detail: 'ignored: modified_after=2999-01-01 still lists 120 of 120',
    });
    expect(judgeModifiedSinceProbe(0, 0).detail).toMatch(/inconclusive/);
    expect(judgeModifiedSinceProbe(null, 5).detail).toMatch(/no count/);
  });
});
