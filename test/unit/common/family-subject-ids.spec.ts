import {
  allFamilies,
  composedSubject,
  FAMILIES,
  parseSubject,
  recordMatchesSubject,
  subjectLookup,
  subjectPattern,
  subjectSearchQuery,
} from '../../../src/common/tango/families';

const FORECAST_SUBJECTS = FAMILIES.forecasts.subjectIds;

describe('subject ids: which families have them', () => {
  it.each(allFamilies().map((descriptor) => [descriptor.family, descriptor] as const))(
    '%s: has subject ids exactly when a subject is one of its alternate id kinds',
    (_family, descriptor) => {
      expect(descriptor.subjectIds !== undefined).toBe(
        descriptor.alternateIdKinds.includes('forecast_subject'),
      );
      if (descriptor.subjectIds !== undefined) {
        expect(descriptor.alternateIdKinds).toContain(descriptor.subjectIds.idKind);
        // The subject fields are part of the full record, so a search answer can be matched on them.
        const fields = descriptor.shape.map((item) => item.field);
        expect(fields).toContain(descriptor.subjectIds.systemField);
        expect(fields).toContain(descriptor.subjectIds.externalField);
      }
    },
  );

  it('forecasts are named <source_system>:<external_id>', () => {
    expect(FORECAST_SUBJECTS).toBeDefined();
    expect(FORECAST_SUBJECTS && subjectPattern(FORECAST_SUBJECTS)).toBe('<source_system>:<external_id>');
  });
});

describe('subject ids: parsing', () => {
  it('splits at the first colon: the system has none, the external id may', () => {
    expect(parseSubject('DHS:73271')).toEqual({ system: 'DHS', external: '73271' });
    expect(parseSubject('HHS:abc:def')).toEqual({ system: 'HHS', external: 'abc:def' });
    expect(parseSubject('a.b_c-1:x')).toEqual({ system: 'a.b_c-1', external: 'x' });
  });

  it.each([
    ['no colon', 'DHS'],
    ['no system', ':73271'],
    ['no external id', 'DHS:'],
    ['a system with other characters', 'D H S:1'],
    ['a system over 64 characters', `${'S'.repeat(65)}:1`],
    ['an external id over 200 characters', `DHS:${'1'.repeat(201)}`],
    ['a line break in the external id', 'DHS:1\n2'],
    ['an empty string', ''],
  ])('refuses %s', (_why, text) => {
    expect(parseSubject(text)).toBeNull();
  });
});

describe('subject ids: composing, matching, searching, looking up', () => {
  if (FORECAST_SUBJECTS === undefined) {
    throw new Error('forecasts have subject ids');
  }
  const subjects = FORECAST_SUBJECTS;

  it('composes a subject from a text system and a string or number external id', () => {
    expect(composedSubject(subjects, { source_system: 'DHS', external_id: 73271 })).toBe('DHS:73271');
    expect(composedSubject(subjects, { source_system: 'DHS', external_id: 'A-1' })).toBe('DHS:A-1');
    expect(composedSubject(subjects, { source_system: 'DHS' })).toBeUndefined();
    expect(composedSubject(subjects, { external_id: 1 })).toBeUndefined();
    expect(composedSubject(subjects, { source_system: 1, external_id: 1 })).toBeUndefined();
    expect(composedSubject(subjects, { source_system: 'DHS', external_id: null })).toBeUndefined();
  });

  it('matches a record on both fields, the external id as text', () => {
    const wanted = { system: 'DHS', external: '73271' };
    expect(recordMatchesSubject(subjects, wanted, { source_system: 'DHS', external_id: 73271 })).toBe(true);
    expect(recordMatchesSubject(subjects, wanted, { source_system: 'DHS', external_id: '73271' })).toBe(true);
    expect(recordMatchesSubject(subjects, wanted, { source_system: 'HHS', external_id: '73271' })).toBe(
      false,
    );
    expect(recordMatchesSubject(subjects, wanted, { source_system: 'DHS', external_id: '7327' })).toBe(false);
    expect(recordMatchesSubject(subjects, wanted, { source_system: 'DHS' })).toBe(false);
    expect(recordMatchesSubject(subjects, wanted, { source_system: 'DHS', external_id: ['73271'] })).toBe(
      false,
    );
  });

  it('searches by the system and the day modified since, never by the external id', () => {
    expect(
      subjectSearchQuery(subjects, { system: 'DHS', external: '1' }, new Date('2026-06-03T23:59:00Z')),
    ).toEqual({ source_system: 'DHS', modified_after: '2026-06-03' });
  });

  it('looks a subject up in the mirror by the typed columns of its fields', () => {
    expect(subjectLookup(FAMILIES.forecasts, { system: 'DHS', external: '73271' })).toEqual({
      table: 'forecasts',
      idColumn: 'id',
      columns: ['source_system', 'external_id'],
      values: ['DHS', '73271'],
    });
  });

  it('has no mirror lookup for a family without subject ids, or without columns for them', () => {
    expect(subjectLookup(FAMILIES.grants, { system: 'DHS', external: '1' })).toBeNull();
    const withoutColumns = {
      ...FAMILIES.forecasts,
      columns: FAMILIES.forecasts.columns.filter((column) => column.name !== 'external_id'),
    };
    expect(subjectLookup(withoutColumns, { system: 'DHS', external: '1' })).toBeNull();
  });
});
