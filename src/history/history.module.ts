import { Module } from '@nestjs/common';
import { HistoryReplayService } from './history-replay.service';
import { HistoryRepository } from './history.repository';
import { MirrorFoldRepository } from './mirror-fold.repository';
import { MirrorRebuildService } from './mirror-rebuild.service';

/**
 * The mirror's event-sourced history (`record_history`, written by the mirror upsert): record timelines for the
 * operator CLI, replays of a time window's original change events, and the mirror checked against (and rebuilt
 * from) the fold of its history.
 */
@Module({
  providers: [HistoryRepository, HistoryReplayService, MirrorFoldRepository, MirrorRebuildService],
  exports: [HistoryRepository, HistoryReplayService, MirrorRebuildService],
})
export class HistoryModule {}
