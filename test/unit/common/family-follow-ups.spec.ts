import { type JsonRecord } from '../../../src/common/json';
import { allFamilies, FAMILIES, followUpIds, followUpsOf } from '../../../src/common/tango/families';

const OPP_A = 'aaaaaaaa-0000-1111-2222-333344445555';
const OPP_B = 'bbbbbbbb-0000-1111-2222-333344445555';
const N1 = '11111111-0000-1111-2222-333344445555';
const N2 = '22222222-0000-1111-2222-333344445555';
const N3 = '33333333-0000-1111-2222-333344445555';

describe('follow-ups: which families have them', () => {
  it('only opportunities name records of another family (their notices)', () => {
    const withFollowUps = allFamilies().filter((descriptor) => (descriptor.followUps ?? []).length > 0);
    expect(withFollowUps.map((descriptor) => descriptor.family)).toEqual(['opportunities']);
    expect(FAMILIES.opportunities.followUps?.map((followUp) => followUp.family)).toEqual(['notices']);
  });

  it.each(allFamilies().map((descriptor) => [descriptor.family, descriptor] as const))(
    '%s: its follow-up fields are part of its full record',
    (_family, descriptor) => {
      const fields = descriptor.shape.map((item) => item.field);
      for (const followUp of descriptor.followUps ?? []) {
        expect(fields).toContain(followUp.latestField);
        expect(fields).toContain(followUp.listField);
        expect(followUp.family).not.toBe(descriptor.family);
      }
    },
  );

  it.each(
    allFamilies()
      .filter((descriptor) => descriptor.followUps === undefined)
      .map((d) => [d.family, d] as const),
  )('%s: asks for nothing after a change', (_family, descriptor) => {
    const record = { [descriptor.idField]: '1', latest_notice_id: N1 } as JsonRecord;
    expect(followUpsOf(descriptor, [record], new Set(['1']))).toEqual([]);
  });
});

describe('follow-ups: opportunities → notices', () => {
  const opportunities = FAMILIES.opportunities;

  it('asks for the latest notice of every changed opportunity, and its listed ones unless mirrored', () => {
    const records: JsonRecord[] = [
      {
        opportunity_id: OPP_A.toUpperCase(),
        latest_notice_id: N1.toUpperCase(),
        notice_history: [{ notice_id: N1 }, { notice_id: N2.toUpperCase() }],
      },
      { opportunity_id: OPP_B, latest_notice_id: N3, notice_history: [{ notice_id: N3 }] },
    ];
    const [plan, ...more] = followUpsOf(opportunities, records, new Set([OPP_A, OPP_B]));
    expect(more).toEqual([]);
    expect(plan).toEqual({
      family: 'notices',
      idKind: 'uuid',
      reason: 'opportunities:notice_history',
      always: [N1, N3],
      unlessMirrored: [N1, N2, N3],
    });
    expect(plan && followUpIds(plan, new Set([N1, N2]))).toEqual([N1, N3]);
    expect(plan && followUpIds(plan, new Map([[N3, new Date()]]))).toEqual([N1, N3, N2]);
  });

  it('ignores opportunities that did not change, and asks nothing when none did', () => {
    const records: JsonRecord[] = [
      { opportunity_id: OPP_A, latest_notice_id: N1 },
      { opportunity_id: OPP_B, latest_notice_id: N2 },
    ];
    expect(followUpsOf(opportunities, records, new Set([OPP_B]))[0]?.always).toEqual([N2]);
    expect(followUpsOf(opportunities, records, new Set())).toEqual([]);
  });

  it('skips missing and unusable ids and history entries', () => {
    const records: JsonRecord[] = [
      {
        opportunity_id: OPP_A,
        latest_notice_id: '',
        notice_history: [
          null,
          'x',
          [N1],
          { notice_id: 7 },
          { other: N1 },
          { notice_id: '' },
          { notice_id: N2 },
        ],
      },
      { opportunity_id: OPP_B, latest_notice_id: null, notice_history: { notice_id: N3 } },
      { latest_notice_id: N3 },
    ];
    const [plan] = followUpsOf(opportunities, records, new Set([OPP_A, OPP_B]));
    expect(plan?.always).toEqual([]);
    expect(plan?.unlessMirrored).toEqual([N2]);
  });
});
