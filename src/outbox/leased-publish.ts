import { whileRenewingLease } from '../database/lease-renewal';

/** How one outbox table claims, renews, settles and releases a batch (the SQL differs, the protocol does not). */
export interface LeasedBatch<T> {
  /** The claimed rows, in the order they must be published. */
  readonly items: readonly T[];
  /** Extends the lease while the publish waits on Kafka. */
  renew(): Promise<unknown>;
  /** After Kafka acknowledged every item: marks them published; returns how many were. */
  settle(): Promise<number>;
  /** After a failed (or empty) publish: gives the claim back, so its rows are published again. */
  release(): Promise<unknown>;
  /** A failed renewal, logged by the table (the lease is tried again at the next tick). */
  onRenewError(error: unknown): void;
}

/**
 * The outboxes' publish protocol: the claim is already taken (one short statement, FOR UPDATE SKIP LOCKED); the
 * items are handed to `publish` with no transaction and no row lock open while it talks to Kafka, the lease is
 * renewed meanwhile (a hanging broker never lets another relay take the rows), then the rows are settled. A failed
 * publish releases the claim and rethrows. A holder that dies leaves the rows claimed until the lease ends; they are
 * then published again (a duplicate consumers tolerate, never a loss).
 */
export async function publishUnderLease<T>(
  leaseMs: number,
  batch: LeasedBatch<T>,
  publish: (items: readonly T[]) => Promise<void>,
): Promise<number> {
  if (batch.items.length === 0) {
    await batch.release();
    return 0;
  }
  try {
    await whileRenewingLease(
      leaseMs,
      () => batch.renew(),
      () => publish(batch.items),
      (error) => {
        batch.onRenewError(error);
      },
    );
  } catch (error) {
    await Promise.resolve(batch.release()).catch(() => undefined);
    throw error;
  }
  return batch.settle();
}
