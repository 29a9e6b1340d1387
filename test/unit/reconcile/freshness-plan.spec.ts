import { DESCRIBED_FAMILIES } from '../../../src/common/tango/resource-family';
import {
  cycleEstimateSeconds,
  decideFreshnessSource,
  decideFreshnessSources,
  learnedBy,
  newestFirstOrdering,
  newestPollSweeps,
  planReverification,
  reverifyRequestsPerRun,
} from '../../../src/reconcile/freshness-plan';

/** The alert types Tango's SDKs print (no idv, ota, otidv; notices have no query type). */
const SDK_CATALOG = new Set([
  'alerts.opportunity.match',
  'alerts.contract.match',
  'alerts.entity.match',
  'alerts.grant.match',
  'alerts.forecast.match',
  'alerts.exclusion.match',
]);
const RECIPE_CATALOG = new Set([
  ...SDK_CATALOG,
  'alerts.idv.match',
  'alerts.ota.match',
  'alerts.otidv.match',
]);
const NOW = new Date('2026-08-14T12:00:00.000Z');

describe('freshness source per family', () => {
  it('polls idvs, otas, otidvs and notices newest first under the SDK catalog, the rest by alerts', () => {
    const sources = Object.fromEntries(
      decideFreshnessSources(SDK_CATALOG, new Set()).map((decision) => [decision.family, decision.source]),
    );
    expect(sources).toEqual({
      contracts: 'alerts',
      idvs: 'newest-poll',
      otas: 'newest-poll',
      otidvs: 'newest-poll',
      opportunities: 'alerts',
      notices: 'newest-poll',
      entities: 'alerts',
      grants: 'alerts',
      forecasts: 'alerts',
    });
  });

  it('uses alerts for every family but notices under the recipe catalog', () => {
    const polled = decideFreshnessSources(RECIPE_CATALOG, new Set())
      .filter((decision) => decision.source === 'newest-poll')
      .map((decision) => decision.family);
    expect(polled).toEqual(['notices']);
  });

  it('trusts an alert type Tango delivered though its catalog does not list it, and says so', () => {
    const decision = decideFreshnessSource('idvs', SDK_CATALOG, new Set(['alerts.idv.match']));
    expect(decision).toEqual({
      family: 'idvs',
      source: 'alerts',
      alertEventType: 'alerts.idv.match',
      why: 'Tango delivered alerts.idv.match (its catalog does not list it)',
    });
  });

  it('falls back to the poll for every family when Tango lists and sent nothing', () => {
    const sources = decideFreshnessSources(new Set(), new Set()).map((decision) => decision.source);
    expect(sources).toEqual(DESCRIBED_FAMILIES.map(() => 'newest-poll'));
  });
});

describe('newest-first poll window', () => {
  it('orders award lists by -award_date over award_date_gte from the lookback, with no end', () => {
    expect(newestPollSweeps('idvs', NOW, 3)).toEqual([
      {
        family: 'idvs',
        filters: { award_date_gte: '2026-08-11', ordering: '-award_date' },
        label: 'newest-first poll (award_date window, -award_date)',
      },
    ]);
  });

  it('takes only orderings the contract has: notices have none, opportunities read their inactive variant too', () => {
    expect(newestFirstOrdering('notices')).toBeNull();
    expect(newestPollSweeps('notices', NOW, 1)).toEqual([
      expect.objectContaining({ filters: { posted_date_after: '2026-08-13' } }),
    ]);
    const opportunities = newestPollSweeps('opportunities', NOW, 2);
    expect(opportunities.length).toBeGreaterThan(1);
    for (const sweep of opportunities) {
      expect(sweep.filters).toMatchObject({
        last_notice_date_after: '2026-08-12',
        ordering: '-last_notice_date',
      });
    }
  });

  it('has no poll for entities (no date filter in the contract)', () => {
    expect(newestPollSweeps('entities', NOW, 3)).toEqual([]);
    expect(learnedBy('entities', 'newest-poll', false).new).toEqual([]);
  });
});

describe('re-verification batch choice and cycle', () => {
  it('shares a run budget so every family re-verifies the same fraction, in whole requests of 100 ids', () => {
    const plan = planReverification(
      [
        { family: 'contracts', mirrored: 10_000 },
        { family: 'notices', mirrored: 100 },
        { family: 'idvs', mirrored: 0 },
      ],
      20,
    );
    // A full cycle: 100 requests for contracts, 100 detail reads for notices; 20 requests are 10% of it.
    expect(plan).toEqual([
      { family: 'contracts', records: 1_000, requests: 10 },
      { family: 'notices', records: 10, requests: 10 },
      { family: 'idvs', records: 0, requests: 0 },
    ]);
  });

  it('re-verifies every record when the budget covers a whole cycle, and nothing without budget', () => {
    expect(planReverification([{ family: 'otas', mirrored: 250 }], 1_000)).toEqual([
      { family: 'otas', records: 250, requests: 3 },
    ]);
    expect(planReverification([{ family: 'otas', mirrored: 250 }], 0)).toEqual([
      { family: 'otas', records: 0, requests: 0 },
    ]);
  });

  it('spreads the quota share over the day’s runs, or uses the drift-sample size without known limits', () => {
    // 2,000,000 a day, 10%, a run every 300 s: 288 runs share 200,000 requests.
    expect(reverifyRequestsPerRun(2_000_000, 0.1, 300, 100)).toBe(694);
    expect(reverifyRequestsPerRun(null, 0.1, 300, 100)).toBe(100);
    expect(reverifyRequestsPerRun(2_000_000, 0, 300, 100)).toBe(0);
  });

  it('estimates the cycle: 1,000,000 contracts at 10% of 2,000,000 a day take 72 minutes', () => {
    expect(cycleEstimateSeconds([{ family: 'contracts', mirrored: 1_000_000 }], 200_000)).toBe(4_320);
    expect(cycleEstimateSeconds([{ family: 'contracts', mirrored: 0 }], 200_000)).toBeNull();
    expect(cycleEstimateSeconds([{ family: 'contracts', mirrored: 5 }], 0)).toBeNull();
  });
});

describe('how each kind of change is learned', () => {
  it('names alerts, the poll, gap sweeps, the modified-since poll and re-verification where they apply', () => {
    expect(learnedBy('contracts', 'alerts', true)).toEqual({
      new: ['alerts', 'gap sweeps', 'modified-since poll'],
      modified: ['alerts', 'modified-since poll', 're-verification'],
      deleted: ['re-verification'],
    });
    expect(learnedBy('idvs', 'newest-poll', false)).toEqual({
      new: ['newest-first poll', 'gap sweeps'],
      modified: ['re-verification'],
      deleted: ['re-verification'],
    });
  });
});
