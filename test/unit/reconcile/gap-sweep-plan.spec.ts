import { familyForQueryType } from '../../../src/common/tango/families';
import { type ObservedAlert, planGapSweep } from '../../../src/reconcile/sweep-plan';

const familyOf = (queryType: string) => familyForQueryType(queryType) ?? null;
const OVERLAP = 3_600;
const SHORT = { rangeStart: new Date('2026-06-01T00:00:00Z'), rangeEnd: new Date('2026-06-02T00:00:00Z') };
const LONG = { rangeStart: new Date('2026-04-01T00:00:00Z'), rangeEnd: new Date('2026-06-01T00:00:00Z') };

const alert = (
  alertId: string,
  queryType: string,
  filters: Record<string, unknown>,
  status = 'active',
): ObservedAlert => ({
  alertId,
  queryType,
  status,
  filters,
});

describe('planGapSweep (how one gap is repaired, no I/O)', () => {
  it("re-runs the gap's own alert filters and reads the family's date window over the widened range", () => {
    const planned = planGapSweep(
      { ...SHORT, resource: 'contracts', alertId: 'a-1' },
      [alert('a-1', 'contract', { naics: '541511' })],
      familyOf,
      OVERLAP,
    );
    expect(planned.sweeps.map((sweep) => sweep.label)).toEqual(['alert filters', 'award_date window']);
    expect(planned.sweeps[0]).toMatchObject({ family: 'contracts' });
    expect(planned.sweeps[1]?.filters).toEqual({
      award_date_gte: '2026-05-31',
      award_date_lte: '2026-06-02',
    });
    expect(planned.segmented).toEqual([]);
    expect(planned.unsweepable).toBeNull();
  });

  it('reads only the window when the gap has no alert, or its alert is not observed', () => {
    for (const alertId of [null, 'unknown']) {
      const planned = planGapSweep({ ...SHORT, resource: 'grants', alertId }, [], familyOf, OVERLAP);
      expect(planned.sweeps.map((sweep) => sweep.label)).toEqual(['posted_date window']);
    }
  });

  it("re-runs every active alert and every family's window for a gap whose content is unknown", () => {
    const planned = planGapSweep(
      { ...SHORT, resource: null, alertId: null },
      [
        alert('a-1', 'contract', { naics: '541511' }),
        alert('a-2', 'grant', { agency: 'NASA' }, 'paused'),
        alert('a-3', 'opportunity', { naics: '541512' }),
      ],
      familyOf,
      OVERLAP,
    );
    const reruns = planned.sweeps.filter((sweep) => sweep.label === 'alert filters');
    expect(reruns.map((sweep) => sweep.family)).toEqual(['contracts', 'opportunities']);
    expect(
      new Set(planned.sweeps.filter((sweep) => sweep.label !== 'alert filters').map((s) => s.family)),
    ).toEqual(
      new Set(['contracts', 'idvs', 'otas', 'otidvs', 'grants', 'forecasts', 'opportunities', 'notices']),
    );
  });

  it('hands a long window to a backfill job but still re-runs the alert here', () => {
    const planned = planGapSweep(
      { ...LONG, resource: 'contracts', alertId: 'a-1' },
      [alert('a-1', 'contract', { naics: '541511' })],
      familyOf,
      OVERLAP,
    );
    expect(planned.sweeps.map((sweep) => sweep.label)).toEqual(['alert filters']);
    expect(planned.segmented.map((sweep) => sweep.label)).toEqual(['award_date window']);
    expect(planned.plan.windowStart).toEqual(new Date(LONG.rangeStart.getTime() - OVERLAP * 1000));
    expect(planned.unsweepable).toBeNull();
  });

  it('says why nothing can sweep a family without a date filter', () => {
    const planned = planGapSweep({ ...SHORT, resource: 'entities', alertId: null }, [], familyOf, OVERLAP);
    expect(planned.sweeps).toEqual([]);
    expect(planned.unsweepable).toBe(
      "nothing can sweep it: entities has no date filter in Tango's contract (a backfill repairs it)",
    );
  });

  it('names the alert filters Tango would ignore when they are why nothing can sweep the gap', () => {
    const planned = planGapSweep(
      { ...SHORT, resource: 'entities', alertId: 'a-9' },
      [alert('a-9', 'entity', { no_such_filter: 'x' })],
      familyOf,
      OVERLAP,
    );
    expect(planned.unsweepable).toMatch(
      /^nothing can sweep it: entities has no date filter in Tango's contract and alert filters not re-run: Tango's contract lacks no_such_filter for entities/,
    );
  });
});
