import { Module } from '@nestjs/common';
import { OutboxModule } from '../outbox/outbox.module';
import { ChangeEventRelay } from './change-event-relay';
import { ChangeEventRepository } from './change-event.repository';
import { SnapshotReplayService } from './snapshot-replay.service';

/**
 * Snapshot replay only: needs Postgres, not Kafka (it writes the outbox; a running worker's relay publishes).
 * For the command-line tools, whose module has no KafkaModule.
 */
@Module({
  imports: [OutboxModule],
  providers: [ChangeEventRepository, SnapshotReplayService],
  exports: [ChangeEventRepository, SnapshotReplayService],
})
export class EventReplayModule {}

/** Change events for downstream consumers: the outbox relay to the per-family topics, and snapshot replay. */
@Module({
  imports: [EventReplayModule],
  providers: [ChangeEventRelay],
  exports: [ChangeEventRelay, EventReplayModule],
})
export class EventsModule {}
