import {
  ColumnNamer,
  columnNameOfPath,
  MAX_IDENTIFIER_BYTES,
  pathHash,
  withinIdentifierLimit,
} from '../../../src/analyst-views/column-names';

describe('analyst view column names', () => {
  it.each([
    ['piid', 'piid'],
    ['physical_address.state_or_province_code', 'physical_address_state_or_province_code'],
    ['mailing_address.stateOrProvinceCode', 'mailing_address_state_or_province_code'],
    ['gsa_elibrary.source_data._gsa_elibrary', 'gsa_elibrary_source_data_gsa_elibrary'],
    ['raw_data.Category', 'raw_data_category'],
    ['8a_program', 'c_8a_program'],
    ['forecast.award-ceiling', 'forecast_award_ceiling'],
  ])('names %s %s', (path, name) => {
    expect(columnNameOfPath(path)).toBe(name);
  });

  it('keeps names within 63 bytes, ending long ones in a hash of their path', () => {
    const path = 'legislative_mandates.construction_wage_rate_requirements.description';
    const name = withinIdentifierLimit(columnNameOfPath(path), path);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
    expect(name).toBe(`legislative_mandates_construction_wage_rate_requiremen_${pathHash(path)}`);
    expect(withinIdentifierLimit('short', path)).toBe('short');
  });

  it('gives the same path the same hash every time, and different paths different ones', () => {
    expect(pathHash('naics.code')).toBe(pathHash('naics.code'));
    expect(pathHash('naics.code')).toMatch(/^[0-9a-f]{8}$/);
    expect(pathHash('naics.code')).not.toBe(pathHash('naics_code'));
  });

  it('makes a taken name unique with the hash of its path, reserved names first', () => {
    const namer = new ColumnNamer(['version']);
    expect(namer.claim('naics_code', 'naics_code')).toBe('naics_code');
    expect(namer.claim('naics_code', 'naics.code')).toBe(`naics_code_${pathHash('naics.code')}`);
    expect(namer.claim('version', 'raw_data.version')).toBe(`version_${pathHash('raw_data.version')}`);
  });

  it('keeps two long names that share their first 54 bytes apart', () => {
    const namer = new ColumnNamer();
    const stem = 'x'.repeat(70);
    const first = namer.claim(stem, 'a.b');
    const second = namer.claim(stem, 'a.c');
    expect(first).not.toBe(second);
    expect([first, second].every((name) => Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES)).toBe(true);
  });
});
