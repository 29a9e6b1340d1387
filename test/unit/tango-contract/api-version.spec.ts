import { compareApiVersions, isNewerMinor, parseApiVersion } from '../../../src/tango-contract/api-version';

const version = (text: string) => {
  const parsed = parseApiVersion(text);
  if (parsed === null) {
    throw new Error(`not a version: ${text}`);
  }
  return parsed;
};

describe('Tango API versions', () => {
  it('reads the versions Tango prints, canonically', () => {
    expect(parseApiVersion('4.22.0')).toEqual({ major: 4, minor: 22, patch: 0, text: '4.22.0' });
    expect(parseApiVersion(' v4.25 ')?.text).toBe('4.25.0');
  });

  it('reads anything else as no version', () => {
    for (const value of [
      undefined,
      null,
      '',
      'latest',
      '4',
      '4.x.1',
      '4.22.0-beta',
      ['4.22.0', '4.25.1'],
      4.22,
    ]) {
      expect(parseApiVersion(value)).toBeNull();
    }
  });

  it('orders versions numerically, not as text', () => {
    expect(compareApiVersions(version('4.9.0'), version('4.22.0'))).toBeLessThan(0);
    expect(compareApiVersions(version('4.22.1'), version('4.22.0'))).toBeGreaterThan(0);
    expect(compareApiVersions(version('4.22.0'), version('4.22'))).toBe(0);
  });

  it('calls a newer minor or major version newer, not a newer patch', () => {
    expect(isNewerMinor(version('4.25.1'), version('4.22.0'))).toBe(true);
    expect(isNewerMinor(version('5.0.0'), version('4.22.0'))).toBe(true);
    expect(isNewerMinor(version('4.22.9'), version('4.22.0'))).toBe(false);
    expect(isNewerMinor(version('4.21.0'), version('4.22.0'))).toBe(false);
  });
});
