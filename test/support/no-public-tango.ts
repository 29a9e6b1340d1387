/**
 * Tests and benchmarks never reach the real Tango. A worker they start is given NO_TANGO (or a simulator) as its
 * TANGO_BASE_URL; and, loaded by test/setup-env.ts in every test worker, refuseTangoLookups() makes a lookup of
 * Tango's public host fail at once, so that a configuration that forgot to name a stub fails loudly instead of
 * calling the production API.
 */
import dns from 'node:dns';

/** Tango's base URL for a worker that must not reach Tango: nothing listens on the discard port of loopback. */
export const NO_TANGO = 'http://127.0.0.1:9';

/** Hosts no test may resolve: Tango's public API (the configuration's default base URL) and its domain. */
export function isPublicTangoHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'makegov.com' || host.endsWith('.makegov.com');
}

function refusal(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `getaddrinfo ENOTFOUND ${hostname} (tests never resolve Tango's public host: give the worker a simulator or NO_TANGO)`,
  );
  error.code = 'ENOTFOUND';
  error.syscall = 'getaddrinfo';
  return error;
}

/** Marks the wrapped lookup (jest loads this module again for every test file; the dns module is shared). */
const GUARD = Symbol.for('tango-sync.refuse-tango-lookups');

/** Wraps dns.lookup (what net, http and fetch use) and dns.promises.lookup to refuse isPublicTangoHost names. */
export function refuseTangoLookups(): void {
  if (GUARD in dns.lookup) {
    return;
  }
  const lookup = dns.lookup.bind(dns) as (...args: unknown[]) => void;
  const guarded = (hostname: string, ...rest: unknown[]): void => {
    const callback = rest.at(-1);
    if (isPublicTangoHost(hostname) && typeof callback === 'function') {
      process.nextTick(() => {
        (callback as (error: Error) => void)(refusal(hostname));
      });
      return;
    }
    lookup(hostname, ...rest);
  };
  dns.lookup = Object.assign(guarded, { [GUARD]: true }) as unknown as typeof dns.lookup;
  const promiseLookup = dns.promises.lookup.bind(dns.promises) as (
    hostname: string,
    options?: unknown,
  ) => Promise<unknown>;
  dns.promises.lookup = ((hostname: string, options?: unknown) =>
    isPublicTangoHost(hostname)
      ? Promise.reject(refusal(hostname))
      : promiseLookup(hostname, options)) as typeof dns.promises.lookup;
}
