import { isNewerMinor, parseApiVersion } from '../tango-contract/api-version';
import { type HealthReport, type HealthSnapshot } from './health-report.types';

/** The script that vendors a newer contract, named by the warning. */
export const REFRESH_SCRIPT = 'scripts/refresh-tango-contract.sh';

/** Shown while no Tango answer has carried a readable `x-tango-api-version`. */
export const UNKNOWN_VERSION = 'unknown';

/**
 * The warning for a live Tango whose major or minor version is newer than the worker's contract, or null. A warning
 * only: the worker keeps working (Tango ignores nothing it used to accept within a major version), and neither the
 * report's status nor readiness changes.
 */
export function tangoVersionWarning(
  live: string | null,
  contracts: HealthSnapshot['contracts'],
): string | null {
  const liveVersion = parseApiVersion(live);
  const worker = parseApiVersion(contracts.worker);
  if (liveVersion === null || worker === null || !isNewerMinor(liveVersion, worker)) {
    return null;
  }
  const vendored = contracts.vendored.includes(liveVersion.text)
    ? `${liveVersion.text} is vendored: see \`npx tango-sync contract diff ${worker.text} ${liveVersion.text}\` and move the worker onto it (WORKER_CONTRACT_VERSION; ${REFRESH_SCRIPT} vendors later ones)`
    : `vendor it with ${REFRESH_SCRIPT}, then see \`npx tango-sync contract diff ${worker.text} ${liveVersion.text}\``;
  return `Tango's live API is ${liveVersion.text}, newer than the contract the worker runs on (${worker.text}): ${vendored}`;
}

/** `/health`'s `tango` section: the live API version beside the vendored contract's, and the warning if any. */
export function tangoVersionReport(
  snapshot: Pick<HealthSnapshot, 'tangoApiVersion' | 'contracts'>,
): HealthReport['tango'] {
  const live = snapshot.tangoApiVersion;
  return {
    liveVersion: live?.version ?? UNKNOWN_VERSION,
    liveSeenAt: live === null ? null : live.seenAt.toISOString(),
    contractVersion: snapshot.contracts.worker,
    vendoredVersions: snapshot.contracts.vendored,
    warning: tangoVersionWarning(live?.version ?? null, snapshot.contracts),
  };
}
