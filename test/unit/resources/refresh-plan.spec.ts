import { FAMILIES } from '../../../src/common/tango/families';
import {
  alertPollFilters,
  dueRefresh,
  emptyRefreshState,
  goneAfterWalk,
  nextRefreshAt,
  pollFilters,
  type RefreshState,
  refreshPlanOf,
  RETRY_AFTER_FAILURE_MS,
} from '../../../src/resources/refresh-plan';
import { familyContract } from '../../../src/tango/tango-requests';

const NOW = new Date('2026-12-07T12:00:00.000Z');
const ago = (seconds: number): Date => new Date(NOW.getTime() - seconds * 1000);
const state = (
  resource: 'exclusions' | 'agencies' | 'dibbs_rfqs',
  extra: Partial<RefreshState>,
): RefreshState => ({
  ...emptyRefreshState(resource),
  ...extra,
});

describe('contract resource refresh plan', () => {
  it('derives each resource’s mode from the reviewed table, with filters and orderings its contract has', () => {
    for (const descriptor of Object.values(FAMILIES)) {
      const plan = descriptor.refresh;
      if (plan === undefined) {
        continue;
      }
      const contract = familyContract(descriptor.family);
      if (plan.mode === 'since_filter') {
        expect({ resource: descriptor.family, type: contract.filterType(plan.sinceFilter ?? '') }).toEqual({
          resource: descriptor.family,
          type: 'date',
        });
      }
      if (plan.mode === 'newest_first') {
        expect({
          resource: descriptor.family,
          known: contract.orderingValues.has(plan.ordering ?? ''),
        }).toEqual({
          resource: descriptor.family,
          known: true,
        });
      }
    }
    expect(refreshPlanOf('exclusions')).toMatchObject({
      mode: 'since_filter',
      sinceFilter: 'update_date_after',
    });
    expect(refreshPlanOf('agencies')).toMatchObject({
      mode: 'full',
      pollEverySeconds: null,
      dimension: true,
    });
    expect(() => refreshPlanOf('contracts')).toThrow(/not refreshed by list walks/);
    // Tango lists open SLED solicitations only unless told otherwise (E21): walks read active and inactive ones.
    expect(refreshPlanOf('sled_opportunities').listVariants).toEqual([
      { active: 'true' },
      { active: 'false' },
    ]);
    expect(refreshPlanOf('exclusions').listVariants).toEqual([{}]);
  });

  it('walks whole first, then polls on its period, and walks whole again on the longer one', () => {
    const plan = refreshPlanOf('exclusions');
    expect(dueRefresh(plan, state('exclusions', {}), {}, NOW)).toBe('full');
    const walked = state('exclusions', { fullStartedAt: ago(60), fullCompletedAt: ago(30) });
    expect(dueRefresh(plan, walked, {}, NOW)).toBeNull();
    expect(dueRefresh(plan, { ...walked, fullStartedAt: ago(3_600) }, {}, NOW)).toBe('poll');
    expect(dueRefresh(plan, { ...walked, pollStartedAt: ago(3_599) }, {}, NOW)).toBeNull();
    expect(dueRefresh(plan, { ...walked, fullStartedAt: ago(7 * 86_400) }, {}, NOW)).toBe('full');
    expect(dueRefresh(plan, { ...walked, pollStartedAt: ago(61) }, { pollSeconds: 60 }, NOW)).toBe('poll');
    expect(nextRefreshAt(walked, {})?.toISOString()).toBe(
      new Date(ago(60).getTime() + 3_600_000).toISOString(),
    );
  });

  it('refreshes a dimension only whole, and waits after a failure before trying again', () => {
    const plan = refreshPlanOf('agencies');
    const walked = state('agencies', { fullStartedAt: ago(86_399), fullCompletedAt: ago(86_000) });
    expect(dueRefresh(plan, walked, {}, NOW)).toBeNull();
    expect(dueRefresh(plan, { ...walked, fullStartedAt: ago(86_400) }, {}, NOW)).toBe('full');
    expect(dueRefresh(plan, walked, { dimensionRefreshSeconds: 3_600 }, NOW)).toBe('full');
    const failed = { ...walked, fullStartedAt: ago(90_000), lastErrorAt: ago(10), lastError: 'HTTP 503' };
    expect(dueRefresh(plan, failed, {}, NOW)).toBeNull();
    expect(dueRefresh(plan, { ...failed, lastErrorAt: ago(RETRY_AFTER_FAILURE_MS / 1000) }, {}, NOW)).toBe(
      'full',
    );
  });

  it('polls by the since filter from the last poll’s day less a day, or newest first', () => {
    const exclusions = refreshPlanOf('exclusions');
    expect(
      pollFilters(exclusions, state('exclusions', { pollStartedAt: new Date('2026-12-05T03:00:00Z') }), NOW),
    ).toEqual({ update_date_after: '2026-12-04' });
    expect(
      pollFilters(exclusions, state('exclusions', { fullStartedAt: new Date('2026-12-01T00:00:00Z') }), NOW),
    ).toEqual({ update_date_after: '2026-11-30' });
    expect(pollFilters(refreshPlanOf('dibbs_rfqs'), state('dibbs_rfqs', {}), NOW)).toEqual({
      ordering: '-modified',
    });
    expect(alertPollFilters(exclusions, new Date('2026-12-07T00:10:00Z'))).toEqual({
      update_date_after: '2026-12-06',
    });
  });

  it('takes what a one-page walk did not see as gone, and after a longer walk only what the walk before missed too', () => {
    const candidates = [
      { id: 'a', fetchedAt: ago(100) },
      { id: 'b', fetchedAt: ago(10_000) },
    ];
    expect(goneAfterWalk(candidates, { pages: 1, previousStartedAt: null })).toEqual({
      gone: ['a', 'b'],
      pending: [],
    });
    expect(goneAfterWalk(candidates, { pages: 3, previousStartedAt: ago(1_000) })).toEqual({
      gone: ['b'],
      pending: ['a'],
    });
    expect(goneAfterWalk(candidates, { pages: 3, previousStartedAt: null })).toEqual({
      gone: [],
      pending: ['a', 'b'],
    });
  });
});
