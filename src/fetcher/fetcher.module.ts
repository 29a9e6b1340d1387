import { Module } from '@nestjs/common';
import { MirrorRepository } from '../mirror/mirror.repository';
import { TangoModule } from '../tango/tango.module';
import { FetchRequestConsumer } from './fetch-request.consumer';
import { FetchTargetRelay } from './fetch-target-relay';
import { FetchTargetRepository } from './fetch-target.repository';
import { FetcherService } from './fetcher.service';
import { RecordFetcher } from './record-fetcher';

/** Fetch targets → Kafka → full records from Tango → mirror tables (with change events). */
@Module({
  imports: [TangoModule],
  providers: [
    MirrorRepository,
    FetchTargetRepository,
    RecordFetcher,
    FetcherService,
    FetchTargetRelay,
    FetchRequestConsumer,
  ],
  exports: [FetcherService, FetchTargetRelay, FetchTargetRepository, MirrorRepository, RecordFetcher],
})
export class FetcherModule {}
