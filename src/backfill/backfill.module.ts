import { Module } from '@nestjs/common';
import { MirrorRepository } from '../mirror/mirror.repository';
import { TangoModule } from '../tango/tango.module';
import { BackfillRepository } from './backfill.repository';
import { BackfillService } from './backfill.service';

/** The backfill command: initial full or windowed load of a family, resumable from a checkpoint. */
@Module({
  imports: [TangoModule],
  providers: [MirrorRepository, BackfillRepository, BackfillService],
  exports: [BackfillService],
})
export class BackfillModule {}
