import {
  initialSegments,
  PAGES_PER_SEGMENT,
  pageSegments,
  splitDateSegment,
} from '../../../src/backfill/segment-plan';

const TODAY = '2026-12-02';

describe('backfill segments', () => {
  it('reads a whole family as one open start, one range a year and one open end, neighbours sharing a day', () => {
    const segments = initialSegments('contracts', null, TODAY);
    expect(segments[0]).toMatchObject({
      kind: 'dates',
      dateFrom: null,
      dateTo: '2000-01-01',
      query: { award_date_lte: '2000-01-01' },
    });
    expect(segments.at(-1)).toMatchObject({
      dateFrom: '2026-01-01',
      dateTo: null,
      query: { award_date_gte: '2026-01-01' },
    });
    expect(segments).toHaveLength(1 + 26 + 1);
    for (let index = 1; index < segments.length; index += 1) {
      expect(segments[index]?.dateFrom).toBe(segments[index - 1]?.dateTo);
    }
    expect(new Set(segments.map((segment) => segment.key)).size).toBe(segments.length);
  });

  it('gives each window variant the same ranges (opportunities: the inactive ones too)', () => {
    const segments = initialSegments('opportunities', '2026-01-01', TODAY);
    const inactive = segments.filter((segment) => segment.query.active === 'false');
    expect(inactive).toHaveLength(segments.length / 2);
    expect(inactive[0]?.key).toMatch(/\|last_notice_date window \(inactive\)$/);
  });

  it('cuts a --since window in parts with an open end, and an until window without one', () => {
    const since = initialSegments('grants', '2026-01-01', TODAY);
    expect(since).toHaveLength(9);
    expect(since[0]).toMatchObject({ dateFrom: '2026-01-01' });
    expect(since.at(-1)).toMatchObject({ dateFrom: TODAY, dateTo: null });
    const window = initialSegments('grants', '2026-10-01', TODAY, '2026-10-31');
    expect(window.at(-1)?.dateTo).toBe('2026-10-31');
    expect(window.every((segment) => segment.dateTo !== null)).toBe(true);
    expect(initialSegments('grants', '2026-10-31', TODAY, '2026-10-31')).toEqual([
      expect.objectContaining({ dateFrom: '2026-10-31', dateTo: '2026-10-31' }),
    ]);
  });

  it('reads a family without a date filter as one list, and refuses a start day for it', () => {
    expect(initialSegments('entities', null, TODAY)).toEqual([
      { key: 'list', kind: 'list', query: {}, pageLimit: null, dateFrom: null, dateTo: null },
    ]);
    expect(() => initialSegments('entities', '2026-01-01', TODAY)).toThrow('entities has no date filter');
  });

  it('halves a range on a shared middle day, keeps the variant filters, and stops at one day', () => {
    const [, year] = initialSegments('opportunities', null, TODAY).filter(
      (segment) => segment.query.active === 'false',
    );
    const halves = splitDateSegment(
      'opportunities',
      year ?? initialSegments('contracts', null, TODAY)[1]!,
      TODAY,
    );
    expect(halves?.[0].dateTo).toBe(halves?.[1].dateFrom);
    expect(halves?.[0].query.active).toBe('false');
    expect(halves?.[1].key).toMatch(/\|last_notice_date window \(inactive\)$/);
    const day = {
      key: 'x',
      query: { award_date_gte: '2026-01-01', award_date_lte: '2026-01-02' },
      dateFrom: '2026-01-01',
      dateTo: '2026-01-02',
    };
    expect(splitDateSegment('contracts', day, TODAY)).toBeNull();
  });

  it('splits an open start ten years back (not before 1900) and an open end at today', () => {
    const openStart = { key: 'a', query: {}, dateFrom: null, dateTo: '2000-01-01' };
    expect(
      splitDateSegment('contracts', openStart, TODAY)?.map((half) => [half.dateFrom, half.dateTo]),
    ).toEqual([
      [null, '1990-01-03'],
      ['1990-01-03', '2000-01-01'],
    ]);
    expect(
      splitDateSegment('contracts', { key: 'b', query: {}, dateFrom: null, dateTo: '1900-01-01' }, TODAY),
    ).toBeNull();
    const openEnd = { key: 'c', query: {}, dateFrom: '2026-01-01', dateTo: null };
    expect(
      splitDateSegment('contracts', openEnd, TODAY)?.map((half) => [half.dateFrom, half.dateTo]),
    ).toEqual([
      ['2026-01-01', TODAY],
      [TODAY, null],
    ]);
    expect(
      splitDateSegment('contracts', { key: 'd', query: {}, dateFrom: TODAY, dateTo: null }, TODAY),
    ).toBeNull();
  });

  it('turns a page-numbered list into page ranges after its first page', () => {
    const ranges = pageSegments({}, 2_550);
    expect(ranges.map((range) => [range.query.page, range.pageLimit])).toEqual([
      ['2', PAGES_PER_SEGMENT],
      ['12', PAGES_PER_SEGMENT],
      ['22', 5],
    ]);
    expect(pageSegments({}, 100)).toEqual([]);
  });
});
