import {
  allFamilies,
  classifyEventType,
  FAMILIES,
  legacyEventFamilies,
  legacyRecordId,
  readLegacyEvent,
} from '../../../src/common/tango/families';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';

const OPPORTUNITY = 'a1b2c3d4-0000-1111-2222-333344445555';
const NOTICE = 'd5e7d516-698c-4b08-9d2d-f245e36627d6';

/** The records a legacy event names, as `family:id`. */
function named(eventType: string, event: Record<string, unknown>): string[] | null {
  const reading = readLegacyEvent(eventType, { event_type: eventType, ...event });
  return reading === null ? null : reading.records.map((record) => `${record.resource}:${String(record.id)}`);
}

describe('legacy naming hooks: the descriptors agree with each other', () => {
  it('every legacy event family has a primary family, and only families of one event family share it', () => {
    for (const eventFamily of legacyEventFamilies()) {
      const group = allFamilies().filter((descriptor) => descriptor.legacy?.eventFamily === eventFamily);
      const primaries = group.filter((descriptor) => descriptor.legacy?.role === 'primary');
      expect(primaries.length).toBeGreaterThan(0);
      if (primaries.length > 1) {
        // Several primaries are told apart by a type field, else by key prefix: all need one, and the same id.
        expect(primaries.every((descriptor) => descriptor.keyPrefix !== undefined)).toBe(true);
        expect(new Set(primaries.map((descriptor) => descriptor.legacy?.familyField)).size).toBe(1);
        expect(new Set(primaries.map((descriptor) => JSON.stringify(descriptor.legacy?.idFields))).size).toBe(
          1,
        );
      }
    }
  });

  it('reads the legacy event families Tango sends, and only those', () => {
    expect([...legacyEventFamilies()].sort()).toEqual([
      'awards',
      'entities',
      'forecasts',
      'grants',
      'opportunities',
    ]);
  });

  it('composes subjects only for families with subject ids', () => {
    for (const descriptor of allFamilies()) {
      if (descriptor.legacy?.composedSubject === true) {
        expect(descriptor.subjectIds).toBeDefined();
      }
    }
  });
});

describe('legacy naming hooks: awards', () => {
  it.each<[string, ResourceFamily]>([
    ['contract', 'contracts'],
    ['idv', 'idvs'],
    ['ota', 'otas'],
    ['otidv', 'otidvs'],
  ])('award_type %s picks %s, whatever the key looks like', (awardType, family) => {
    const reading = readLegacyEvent('awards.new_award', {
      award_type: awardType,
      award_key: 'W15QKN24C1234',
    });
    expect(reading).toEqual({
      resource: family,
      records: [{ resource: family, id: 'W15QKN24C1234' }],
      deliveredFor: [],
      problem: null,
    });
  });

  it.each<[string, ResourceFamily]>([
    ['CONT_AWD_1_2_3_4', 'contracts'],
    ['cont_idv_gs03f045da_4732', 'idvs'],
    ['OT_AWD_FA24012490094_9700_-NONE-_-NONE-', 'otas'],
    ['OT_IDV_X', 'otidvs'],
  ])('without a known award_type, key %s picks %s by its prefix', (key, family) => {
    expect(readLegacyEvent('awards.updated', { award_type: 'exclusion', award_key: key })?.resource).toBe(
      family,
    );
  });

  it('names the award by award_key, then key, then the award subject', () => {
    const base = { award_type: 'contract' };
    expect(
      named('awards.new_award', {
        ...base,
        award_key: 'A',
        key: 'B',
        subject_type: 'award',
        subject_id: 'C',
      }),
    ).toEqual(['contracts:A']);
    expect(named('awards.new_award', { ...base, award_key: null, key: 'B' })).toEqual(['contracts:B']);
    expect(named('awards.new_award', { ...base, subject_type: 'Award', subject_id: 'C' })).toEqual([
      'contracts:C',
    ]);
  });

  it('cannot tell the family without a known award_type or key prefix, and names nothing then', () => {
    for (const event of [{ award_key: 'W15QKN24C1234' }, { award_type: 7, award_key: 'W1' }, {}]) {
      expect(readLegacyEvent('awards.new_award', event)).toEqual({
        resource: null,
        records: [],
        deliveredFor: [],
        problem: 'cannot tell the award family: no known `award_type` and no key prefix',
      });
    }
  });

  it('a required id that is missing is still named (as undefined), so the parser reports it', () => {
    expect(readLegacyEvent('awards.new_award', { award_type: 'idv' })?.records).toEqual([
      { resource: 'idvs', id: undefined },
    ]);
  });
});

describe('legacy naming hooks: opportunities and notices', () => {
  it('names the opportunity and the notice, each only when the event carries it', () => {
    expect(named('opportunities.new_notice', { opportunity_id: OPPORTUNITY, notice_id: NOTICE })).toEqual([
      `opportunities:${OPPORTUNITY}`,
      `notices:${NOTICE}`,
    ]);
    expect(named('opportunities.updated', { opportunity_id: OPPORTUNITY })).toEqual([
      `opportunities:${OPPORTUNITY}`,
    ]);
    expect(named('opportunities.new_notice', { notice_id: NOTICE })).toEqual([`notices:${NOTICE}`]);
    expect(named('opportunities.updated', { subject_type: 'notice', subject_id: NOTICE })).toEqual([
      `notices:${NOTICE}`,
    ]);
    expect(named('opportunities.updated', {})).toEqual([]);
  });

  it('a present but null optional id is named (the parser reports it)', () => {
    expect(named('opportunities.updated', { opportunity_id: null })).toEqual(['opportunities:undefined']);
  });

  it('is about opportunities, and a delivery for notices when its type names notices', () => {
    expect(readLegacyEvent('opportunities.new_notice', { opportunity_id: OPPORTUNITY })).toMatchObject({
      resource: 'opportunities',
      deliveredFor: ['notices'],
    });
    expect(readLegacyEvent('opportunities.updated', {})?.deliveredFor).toEqual([]);
  });

  it('notices have no legacy events of their own', () => {
    expect(readLegacyEvent('notices.updated', { notice_id: NOTICE })).toBeNull();
    expect(classifyEventType('notices.updated')).toBe('unknown');
  });
});

describe('legacy naming hooks: entities and grants', () => {
  it('names the entity by uei, then recipient_id, then the entity subject', () => {
    expect(named('entities.updated', { uei: 'ABC', recipient_id: 'DEF' })).toEqual(['entities:ABC']);
    expect(named('entities.updated', { recipient_id: 'DEF' })).toEqual(['entities:DEF']);
    expect(named('entities.updated', { subject_type: 'entity', subject_id: 'GHI' })).toEqual([
      'entities:GHI',
    ]);
    expect(named('entities.updated', {})).toEqual(['entities:undefined']);
  });

  it('names the grant by grant_id, then the grant subject', () => {
    expect(named('grants.new_grant', { grant_id: 361394 })).toEqual(['grants:361394']);
    expect(named('grants.updated', { subject_type: 'grant', subject_id: '7' })).toEqual(['grants:7']);
    expect(named('grants.updated', { subject_type: 'entity', subject_id: '7' })).toEqual([
      'grants:undefined',
    ]);
  });
});

describe('legacy naming hooks: forecasts', () => {
  const id = (event: Record<string, unknown>): unknown => legacyRecordId(FAMILIES.forecasts, event);

  it('prefers an integer id (a direct key) in id or forecast_id', () => {
    expect(id({ id: 19690, forecast_id: 'DHS:1', source_system: 'DHS', external_id: 2 })).toBe(19690);
    expect(id({ id: 'x', forecast_id: '42' })).toBe('42');
  });

  it('then forecast_id as sent, the forecast subject, and the composed <source_system>:<external_id>', () => {
    expect(id({ id: 'not-an-integer', forecast_id: 'HHS:abc' })).toBe('HHS:abc');
    expect(id({ subject_type: 'forecast', subject_id: 'HHS:abc-123' })).toBe('HHS:abc-123');
    expect(id({ source_system: 'DHS', external_id: 73271 })).toBe('DHS:73271');
    expect(id({ source_system: 'DHS', external_id: 'X-1' })).toBe('DHS:X-1');
  });

  it('composes no subject from missing or unusable fields', () => {
    expect(id({ source_system: 'DHS' })).toBeUndefined();
    expect(id({ source_system: 5, external_id: 1 })).toBeUndefined();
    expect(id({ source_system: 'DHS', external_id: { x: 1 } })).toBeUndefined();
    expect(id({})).toBeUndefined();
  });

  it('is about forecasts', () => {
    expect(readLegacyEvent('forecasts.updated', { id: 1 })).toEqual({
      resource: 'forecasts',
      records: [{ resource: 'forecasts', id: 1 }],
      deliveredFor: [],
      problem: null,
    });
  });
});

describe('legacy naming hooks: event types', () => {
  it('reads the event family case-insensitively, and nothing for families no descriptor reads', () => {
    expect(readLegacyEvent('GRANTS.updated', { grant_id: 1 })?.resource).toBe('grants');
    expect(readLegacyEvent('vehicles.updated', { id: 1 })).toBeNull();
    expect(readLegacyEvent('', {})).toBeNull();
  });

  it('a family legacy events never name has no legacy id', () => {
    const withoutLegacy = { ...FAMILIES.grants, legacy: undefined };
    expect(legacyRecordId(withoutLegacy, { grant_id: 1 })).toBeUndefined();
  });

  it.each(
    allFamilies().flatMap((descriptor) =>
      descriptor.queryType === null ? [] : [[descriptor.family, descriptor.queryType] as const],
    ),
  )('classifies the alert type of %s as mirrored', (_family, queryType) => {
    expect(classifyEventType(`alerts.${queryType}.match`)).toBe('mirrored');
  });

  it('classifies legacy types by their event family, and needs a dot', () => {
    for (const eventFamily of legacyEventFamilies()) {
      expect(classifyEventType(`${eventFamily}.updated`)).toBe('mirrored');
      expect(classifyEventType(eventFamily)).toBe('unknown');
    }
    // Exclusions are a resource tango-sync can mirror (TANGO_RESOURCES turns it on); contract appeals are not.
    expect(classifyEventType('alerts.exclusion.match')).toBe('mirrored');
    expect(classifyEventType('alerts.contract_appeal.match')).toBe('not_mirrored');
    expect(classifyEventType('  alerts.grant.match ')).toBe('mirrored');
    expect(classifyEventType('protests.filed')).toBe('unknown');
  });
});
