/** One batch of a replay: rows read, events written, and where the next batch starts (null: nothing was read). */
export interface ReplayBatch<C> {
  readonly selected: number;
  readonly inserted: number;
  readonly next: C | null;
}

export interface ReplayTotals {
  /** Events written to the outbox (fewer than examined when a resumed run had written some already). */
  readonly emitted: number;
  /** Rows read: live mirror rows for a snapshot, history rows of the window for a history replay. */
  readonly examined: number;
  readonly batches: number;
}

/** Raised for a replay request that cannot run (unknown family, invalid window, time or batch size). */
export abstract class InvalidReplayError extends Error {
  abstract readonly code: string;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Rows per replay transaction unless the caller says otherwise. */
export const DEFAULT_REPLAY_BATCH_SIZE = 1_000;

/** A replay's batch size, or why it is not one (a positive integer). */
export function replayBatchSizeProblem(batchSize: number): string | null {
  return Number.isInteger(batchSize) && batchSize >= 1
    ? null
    : `batch size must be a positive integer, got ${batchSize}`;
}

/**
 * Walks a replay's keyset batches (snapshot replays over the mirror, history replays over `record_history`), each
 * written into the change-event outbox in its own short transaction by `writeBatch`, until one comes back short.
 */
export async function replayInBatches<C>(
  batchSize: number,
  writeBatch: (after: C | null) => Promise<ReplayBatch<C>>,
  onBatch: (totals: ReplayTotals) => void = () => undefined,
): Promise<ReplayTotals> {
  let after: C | null = null;
  let totals: ReplayTotals = { emitted: 0, examined: 0, batches: 0 };
  for (;;) {
    const batch = await writeBatch(after);
    if (batch.selected === 0 || batch.next === null) {
      return totals;
    }
    totals = {
      emitted: totals.emitted + batch.inserted,
      examined: totals.examined + batch.selected,
      batches: totals.batches + 1,
    };
    after = batch.next;
    onBatch(totals);
    if (batch.selected < batchSize) {
      return totals;
    }
  }
}
