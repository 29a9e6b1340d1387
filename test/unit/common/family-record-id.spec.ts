import {
  allFamilies,
  FAMILIES,
  ID_KINDS,
  incomingRecordId,
  isIndirectIdKind,
  normalizeRecordId,
  recordIdOf,
} from '../../../src/common/tango/families';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';

const UUID = 'A1B2C3D4-0000-1111-2222-333344445555';

describe('record ids: one id kind per family', () => {
  it.each(allFamilies().map((descriptor) => [descriptor.family, descriptor] as const))(
    '%s: its own and alternate id kinds are id kinds, and differ',
    (_family, descriptor) => {
      expect(ID_KINDS).toContain(descriptor.idKind);
      for (const kind of descriptor.alternateIdKinds) {
        expect(ID_KINDS).toContain(kind);
        expect(kind).not.toBe(descriptor.idKind);
      }
    },
  );
});

describe('record ids: the mirror form (recordIdOf, normalizeRecordId)', () => {
  it.each<[ResourceFamily, Record<string, unknown>, string | null]>([
    ['contracts', { key: 'CONT_AWD_a_1' }, 'CONT_AWD_a_1'],
    ['idvs', { key: 'CONT_IDV_X' }, 'CONT_IDV_X'],
    ['otas', { key: 'OT_AWD_Y' }, 'OT_AWD_Y'],
    ['otidvs', { key: 'OT_IDV_Z' }, 'OT_IDV_Z'],
    ['opportunities', { opportunity_id: UUID }, UUID.toLowerCase()],
    ['notices', { notice_id: UUID }, UUID.toLowerCase()],
    ['entities', { uei: 'abc123' }, 'ABC123'],
    ['grants', { grant_id: '00123' }, '123'],
    ['forecasts', { id: 19690 }, '19690'],
  ])('%s: %j is keyed %s', (family, record, id) => {
    expect(recordIdOf(FAMILIES[family], record as never)).toBe(id);
  });

  it('has no id for a record without one, or with an unusable one', () => {
    expect(recordIdOf(FAMILIES.contracts, {})).toBeNull();
    expect(recordIdOf(FAMILIES.entities, { uei: '   ' })).toBeNull();
    expect(recordIdOf(FAMILIES.grants, { grant_id: '12a' })).toBeNull();
    expect(recordIdOf(FAMILIES.grants, { grant_id: 1.5 })).toBeNull();
    expect(recordIdOf(FAMILIES.opportunities, { opportunity_id: true })).toBeNull();
    expect(normalizeRecordId(FAMILIES.forecasts, '1234567890123456789')).toBeNull();
  });

  it('keeps integers exact up to 18 digits', () => {
    expect(normalizeRecordId(FAMILIES.forecasts, ' 123456789012345678 ')).toBe('123456789012345678');
  });
});

describe('record ids: ids a delivery names (incomingRecordId)', () => {
  it.each<[ResourceFamily, unknown, string, string]>([
    ['contracts', 'CONT_AWD_1_2_3_4', 'CONT_AWD_1_2_3_4', 'key'],
    ['contracts', ' w15qkn24c1234 ', 'W15QKN24C1234', 'piid'],
    ['idvs', 'CONT_IDV_GS03F045DA_4732', 'CONT_IDV_GS03F045DA_4732', 'key'],
    ['otas', 'OT_AWD_X', 'OT_AWD_X', 'key'],
    ['otidvs', 'W1', 'W1', 'piid'],
    ['opportunities', UUID, UUID.toLowerCase(), 'uuid'],
    ['notices', UUID, UUID.toLowerCase(), 'uuid'],
    ['entities', 'uei123abc', 'UEI123ABC', 'uei'],
    ['grants', 361394, '361394', 'integer'],
    ['grants', '007', '7', 'integer'],
    ['forecasts', '19690', '19690', 'integer'],
    ['forecasts', 'HHS:abc-123', 'HHS:abc-123', 'forecast_subject'],
  ])('%s: %j is fetched as %s (%s)', (family, raw, recordId, idKind) => {
    expect(incomingRecordId(family, raw)).toEqual({ ok: true, recordId, idKind });
  });

  it.each<[ResourceFamily, unknown, string]>([
    ['contracts', { x: 1 }, 'contracts: id {"x":1} is not a string or number'],
    ['contracts', undefined, 'contracts: id undefined is not a string or number'],
    ['contracts', null, 'contracts: id null is not a string or number'],
    ['contracts', 'a b', 'contracts: id "a b" is not an award key or PIID'],
    ['idvs', 'CONT_AWD_1_2_3_4', 'idvs: id "CONT_AWD_1_2_3_4" has the key prefix of contracts'],
    ['opportunities', 'not-a-uuid', 'opportunities: id "not-a-uuid" is not a UUID'],
    ['notices', '', 'notices: id "" is not a UUID'],
    ['entities', 'UEI-1', 'entities: id "UEI-1" is not a UEI'],
    ['grants', 'DHS:1', 'grants: id "DHS:1" is not an integer id'],
    ['grants', -3, 'grants: id "-3" is not an integer id'],
    [
      'forecasts',
      ':no-system',
      'forecasts: id ":no-system" is neither an integer id nor a <source_system>:<external_id> subject',
    ],
    [
      'forecasts',
      'DHS',
      'forecasts: id "DHS" is neither an integer id nor a <source_system>:<external_id> subject',
    ],
  ])('%s: %j is refused', (family, raw, problem) => {
    expect(incomingRecordId(family, raw)).toEqual({ ok: false, problem });
  });
});

describe('record ids: which ids are resolved before fetching (isIndirectIdKind)', () => {
  it.each<[ResourceFamily, string, boolean]>([
    ['contracts', 'piid', true],
    ['otidvs', 'piid', true],
    ['contracts', 'key', false],
    ['forecasts', 'forecast_subject', true],
    ['forecasts', 'integer', false],
    ['grants', 'forecast_subject', false],
    ['opportunities', 'uuid', false],
    ['notices', 'alert', false],
    ['entities', 'uei', false],
  ])('%s: %s → %s', (family, idKind, indirect) => {
    expect(isIndirectIdKind(FAMILIES[family], idKind)).toBe(indirect);
  });
});
