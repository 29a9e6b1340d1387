import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { isResourceFamily, type ResourceFamily } from '../common/tango/resource-family';
import { ChangeEventRepository } from './change-event.repository';

export interface SnapshotReplayOptions {
  /** Only records whose content changed at or after this time (`changed_at`); all live records when absent. */
  readonly since?: Date;
  /** Mirror rows per transaction (default 1000). */
  readonly batchSize?: number;
  /** Resume an interrupted run by passing its id again: rows it already wrote are not written twice. */
  readonly replayId?: string;
}

export interface SnapshotReplaySummary {
  readonly family: ResourceFamily;
  readonly replayId: string;
  readonly since: string | null;
  /** Snapshot events written to the outbox (the relay publishes them). */
  readonly emitted: number;
  /** Live records read (equals `emitted` unless a resumed run had written some already). */
  readonly examined: number;
  /** Tombstoned records skipped: a replay emits nothing for deleted records. */
  readonly skippedDeleted: number;
  readonly batches: number;
}

/** Raised for a replay request that cannot run (unknown family, invalid time or batch size). */
export class SnapshotReplayError extends Error {
  readonly code = 'EVENTS.REPLAY_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'SnapshotReplayError';
  }
}

const DEFAULT_BATCH_SIZE = 1_000;

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
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new SnapshotReplayError(`batch size must be a positive integer, got ${batchSize}`);
    }
    const replayId = options.replayId ?? randomUUID();
    const started = Date.now();
    this.logger.log({ family, replayId, since: since?.toISOString() ?? null }, 'snapshot replay started');
    let afterId: string | null = null;
    let emitted = 0;
    let examined = 0;
    let batches = 0;
    for (;;) {
      const batch = await this.repository.insertSnapshotBatch(family, {
        afterId,
        since,
        limit: batchSize,
        replayId,
      });
      if (batch.selected === 0 || batch.lastId === null) {
        break;
      }
      batches += 1;
      emitted += batch.inserted;
      examined += batch.selected;
      afterId = batch.lastId;
      this.logger.debug({ family, replayId, batches, emitted }, 'snapshot replay batch written');
      if (batch.selected < batchSize) {
        break;
      }
    }
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
