import { Module } from '@nestjs/common';
import { ChangeEventOutbox } from './change-event-outbox';
import { FetchTargetOutbox } from './fetch-target-outbox';

/**
 * The two transactional outboxes, `fetch_targets` and `change_events`: their writers, claims and leases. Needs
 * Postgres only; the relays that publish them (FetchTargetRelay here, ChangeEventRelay in events) need Kafka too.
 */
@Module({
  providers: [ChangeEventOutbox, FetchTargetOutbox],
  exports: [ChangeEventOutbox, FetchTargetOutbox],
})
export class OutboxModule {}
