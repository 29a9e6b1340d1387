import { Module } from '@nestjs/common';
import { MirrorModule } from '../mirror/mirror.module';
import { TangoModule } from '../tango/tango.module';
import { BackfillController } from './backfill.controller';
import { BackfillEngine } from './backfill-engine';
import { BackfillRepository } from './backfill.repository';
import { BackfillService } from './backfill.service';
import { BackfillWorker } from './backfill.worker';

/**
 * Managed backfills: jobs and their segments in Postgres (BackfillService), read by the engine in any process
 * (BackfillEngine). The CLI imports this module and runs the engine itself.
 */
@Module({
  imports: [TangoModule, MirrorModule],
  providers: [BackfillRepository, BackfillService, BackfillEngine],
  exports: [BackfillService, BackfillEngine, BackfillRepository],
})
export class BackfillModule {}

/** In the worker: the HTTP API and the loop that reads segments of running jobs. */
@Module({
  imports: [BackfillModule],
  controllers: [BackfillController],
  providers: [BackfillWorker],
})
export class BackfillWorkerModule {}
