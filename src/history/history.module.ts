import { Module } from '@nestjs/common';
import { HistoryReplayService } from './history-replay.service';
import { HistoryRepository } from './history.repository';

/**
 * The mirror's event-sourced history (`record_history`, written by the mirror upsert): record timelines for the
 * operator CLI, and replays of a time window's original change events.
 */
@Module({
  providers: [HistoryRepository, HistoryReplayService],
  exports: [HistoryRepository, HistoryReplayService],
})
export class HistoryModule {}
