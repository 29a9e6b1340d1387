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
import { ChangeEventRepository } from './change-event.repository';

export interface SnapshotReplayOptions {
  /** Only records whose content changed at or after this time (`changed_at`); all live records when absent. */
  readonly since?: Date;
  /** Mirror rows per transaction (default 1000). */
  readonly batchSize?: number;
  /** Resume an interrupted run by passing its id again: rows it already wrote are not written twice. */
  readonly replayId?: string;
}

export interface SnapshotReplaySummary extends ReplayTotals {
  readonly family: ResourceFamily;
  readonly replayId: string;
  readonly since: string | null;
  /** Tombstoned records skipped: a replay emits nothing for deleted records. */
  readonly skippedDeleted: number;
}

export class SnapshotReplayError extends InvalidReplayError {
  readonly code = 'EVENTS.REPLAY_INVALID';
}

/**
 * Re-emits the current state of a family from the mirror (never calling Tango) as `snapshot` change events, so
 * consumers can rebuild. It walks the family table by primary key in batches (one short transaction each, constant
 * memory) and writes the events into the same outbox as live changes, so the relay publishes them in per-record
 * order with those.
 */
@Injectable()
export class SnapshotReplayService {
  private readonly logger = new Logger(SnapshotReplayService.name);

  constructor(private readonly repository: ChangeEventRepository) {}

  async replay(family: ResourceFamily, options: SnapshotReplayOptions = {}): Promise<SnapshotReplaySummary> {
    if (!isResourceFamily(family)) {
      throw new SnapshotReplayError(`unknown resource family "${String(family)}"`);
    }
    const since = options.since ?? null;
    if (since !== null && Number.isNaN(since.getTime())) {
      throw new SnapshotReplayError('since is not a valid time');
    }
    const batchSize = options.batchSize ?? DEFAULT_REPLAY_BATCH_SIZE;
    const problem = replayBatchSizeProblem(batchSize);
    if (problem !== null) {
      throw new SnapshotReplayError(problem);
    }
    const replayId = options.replayId ?? randomUUID();
    const started = Date.now();
    this.logger.log({ family, replayId, since: since?.toISOString() ?? null }, 'snapshot replay started');
    const { emitted, examined, batches } = await replayInBatches<string>(
      batchSize,
      async (afterId) => {
        const batch = await this.repository.insertSnapshotBatch(family, {
          afterId,
          since,
          limit: batchSize,
          replayId,
        });
        return { ...batch, next: batch.lastId };
      },
      (totals) => {
        this.logger.debug({ family, replayId, ...totals }, 'snapshot replay batch written');
      },
    );
    const skippedDeleted = await this.repository.countDeleted(family, since);
    const summary: SnapshotReplaySummary = {
      family,
      replayId,
      since: since?.toISOString() ?? null,
      emitted,
      examined,
      skippedDeleted,
      batches,
    };
    this.logger.log({ ...summary, durationMs: Date.now() - started }, 'snapshot replay finished');
    return summary;
  }
}
