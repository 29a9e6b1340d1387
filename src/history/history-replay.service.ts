import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { isResourceFamily, type ResourceFamily } from '../common/tango/resource-family';
import {
  DEFAULT_REPLAY_BATCH_SIZE,
  InvalidReplayError,
  replayBatchSizeProblem,
  replayInBatches,
  type ReplayTotals,
} from '../outbox/replay-batches';
import { type HistoryCursor, HistoryRepository } from './history.repository';

export interface HistoryReplayOptions {
  readonly from: Date;
  readonly to: Date;
  /** History rows per transaction (default 1000). */
  readonly batchSize?: number;
  /** Resume an interrupted run by passing its id again: events it already wrote are not written twice. */
  readonly replayId?: string;
}

export interface HistoryReplaySummary extends ReplayTotals {
  readonly family: ResourceFamily;
  readonly replayId: string;
  readonly from: string;
  readonly to: string;
}

export class HistoryReplayError extends InvalidReplayError {
  readonly code = 'HISTORY.REPLAY_INVALID';
}

/**
 * Re-publishes the original change events of a time window from `record_history` (the same event ids, versions,
 * change types, times and provenance), so a consumer that lost the window rebuilds exactly it. The events go
 * through the change-event outbox (so the relay publishes them with its leases and per-record order), marked with
 * the replay id in their provenance; the window is walked in time order, one short transaction per batch.
 */
@Injectable()
export class HistoryReplayService {
  private readonly logger = new Logger(HistoryReplayService.name);

  constructor(private readonly repository: HistoryRepository) {}

  async replay(family: ResourceFamily, options: HistoryReplayOptions): Promise<HistoryReplaySummary> {
    if (!isResourceFamily(family)) {
      throw new HistoryReplayError(`unknown resource family "${String(family)}"`);
    }
    const { from, to } = options;
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
      throw new HistoryReplayError('--from and --to must be valid times');
    }
    if (from >= to) {
      throw new HistoryReplayError(
        `the window is empty: --from ${from.toISOString()} is not before --to ${to.toISOString()}`,
      );
    }
    const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH_SIZE;
    const problem = replayBatchSizeProblem(batchSize);
    if (problem !== null) {
      throw new HistoryReplayError(problem);
    }
    const replayId = options.replayId ?? randomUUID();
    this.logger.log(
      { family, replayId, from: from.toISOString(), to: to.toISOString() },
      'history replay started',
    );
    const { emitted, examined, batches } = await replayInBatches<HistoryCursor>(batchSize, async (after) => {
      const batch = await this.repository.insertReplayBatch(family, {
        from,
        to,
        after,
        limit: batchSize,
        replayId,
      });
      return { ...batch, next: batch.after };
    });
    const summary: HistoryReplaySummary = {
      family,
      replayId,
      from: from.toISOString(),
      to: to.toISOString(),
      emitted,
      examined,
      batches,
    };
    this.logger.log(summary, 'history replay finished');
    return summary;
  }
}
