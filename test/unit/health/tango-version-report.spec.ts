import { tangoVersionReport, tangoVersionWarning } from '../../../src/health/tango-version-report';

const CONTRACTS = { worker: '4.22.0', vendored: ['4.22.0', '4.25.1'] };
const SEEN = new Date('2029-06-01T11:00:00.000Z');

describe("/health's tango section", () => {
  it('says "unknown" while no answer carried a readable version, with no warning', () => {
    expect(tangoVersionReport({ tangoApiVersion: null, contracts: CONTRACTS })).toEqual({
      liveVersion: 'unknown',
      liveSeenAt: null,
      contractVersion: '4.22.0',
      vendoredVersions: ['4.22.0', '4.25.1'],
      warning: null,
    });
  });

  it('shows the live version beside the contract, quiet while its minor version is not newer', () => {
    for (const live of ['4.22.0', '4.22.7', '4.21.3']) {
      const report = tangoVersionReport({
        tangoApiVersion: { version: live, seenAt: SEEN },
        contracts: CONTRACTS,
      });
      expect(report).toMatchObject({ liveVersion: live, liveSeenAt: SEEN.toISOString(), warning: null });
    }
  });

  it('warns, naming the refresh script, when the live minor version is newer than the contract', () => {
    expect(tangoVersionWarning('4.26.0', CONTRACTS)).toBe(
      "Tango's live API is 4.26.0, newer than the contract the worker runs on (4.22.0): vendor it with " +
        'scripts/refresh-tango-contract.sh, then see `npx tango-sync contract diff 4.22.0 4.26.0`',
    );
    expect(tangoVersionWarning('5.0.0', CONTRACTS)).toMatch(/scripts\/refresh-tango-contract\.sh/);
  });

  it('points at the diff when the newer live version is already vendored', () => {
    expect(tangoVersionWarning('4.25.1', CONTRACTS)).toBe(
      "Tango's live API is 4.25.1, newer than the contract the worker runs on (4.22.0): 4.25.1 is vendored: " +
        'see `npx tango-sync contract diff 4.22.0 4.25.1` and move the worker onto it (WORKER_CONTRACT_VERSION; ' +
        'scripts/refresh-tango-contract.sh vendors later ones)',
    );
  });
});
