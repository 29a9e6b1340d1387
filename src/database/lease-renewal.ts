/**
 * Runs `work` while renewing a lease every third of its length, so a lease can be short (a crashed holder's rows
 * are taken over soon) and still outlast any call the holder waits on (a broker that hangs). Renewals never overlap;
 * a failed renewal is reported to `onError` and tried again at the next tick (if the lease runs out meanwhile,
 * another holder may publish the same rows: a duplicate, never a loss). Returns once `work` has settled and no
 * renewal is in flight.
 */
export async function whileRenewingLease<T>(
  leaseMs: number,
  renew: () => Promise<unknown>,
  work: () => Promise<T>,
  onError: (error: unknown) => void,
): Promise<T> {
  let inFlight: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      inFlight ??= renew()
        .then(() => undefined)
        .catch(onError)
        .finally(() => {
          inFlight = undefined;
        });
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await inFlight;
  }
}
