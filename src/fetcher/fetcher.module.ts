import { Module } from '@nestjs/common';
import { MirrorModule } from '../mirror/mirror.module';
import { ResourcesModule } from '../resources/resources.module';
import { FetchTargetRelay } from '../outbox/fetch-target-relay';
import { SyncStateModule } from '../sync-state/sync-state.module';
import { TangoModule } from '../tango/tango.module';
import { AlertSweepRunner } from './alert-sweep-runner';
import { FetchCommit } from './fetch-commit';
import { FetchRequestConsumer } from './fetch-request.consumer';
import { FetchStage } from './fetch-stage';
import { FetcherService } from './fetcher.service';
import { IndirectResolver } from './indirect-resolver';

/** Fetch targets → Kafka → full records from Tango → mirror tables (with change events). */
@Module({
  imports: [TangoModule, MirrorModule, SyncStateModule, ResourcesModule],
  providers: [
    IndirectResolver,
    AlertSweepRunner,
    FetchStage,
    FetchCommit,
    FetcherService,
    FetchTargetRelay,
    FetchRequestConsumer,
  ],
  exports: [FetcherService, FetchTargetRelay],
})
export class FetcherModule {}
