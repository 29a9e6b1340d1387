import { Module } from '@nestjs/common';
import { MirrorRepository } from '../mirror/mirror.repository';
import { GapRepository } from '../reconcile/gap.repository';
import { TangoModule } from '../tango/tango.module';
import { AlertSweepRunner } from './alert-sweep-runner';
import { FetchRequestConsumer } from './fetch-request.consumer';
import { FetchTargetRelay } from './fetch-target-relay';
import { FetchTargetRepository } from './fetch-target.repository';
import { FetcherService } from './fetcher.service';
import { IndirectResolver } from './indirect-resolver';

/** Fetch targets → Kafka → full records from Tango → mirror tables (with change events). */
@Module({
  imports: [TangoModule],
  providers: [
    MirrorRepository,
    FetchTargetRepository,
    GapRepository,
    IndirectResolver,
    AlertSweepRunner,
    FetcherService,
    FetchTargetRelay,
    FetchRequestConsumer,
  ],
  exports: [FetcherService, FetchTargetRelay, FetchTargetRepository, MirrorRepository],
})
export class FetcherModule {}
