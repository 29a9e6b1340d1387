import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { FetchFailureRepository } from './fetch-failure.repository';
import { GapRepository } from './gap.repository';

/**
 * What the sync knows about its own progress, shared by the fetcher, reconciliation, health and the console: open
 * gaps and alert observations (`sync_gaps`, `alert_observations`) and failed fetches (`fetch_failures`). Below
 * both the fetcher and reconciliation, so neither imports the other.
 */
@Module({
  imports: [OutboxModule],
  providers: [GapRepository, FetchFailureRepository],
  exports: [GapRepository, FetchFailureRepository, OutboxModule],
})
export class SyncStateModule {}
