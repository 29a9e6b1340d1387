import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JobsModule } from '../jobs/jobs.module';
import { MirrorModule } from '../mirror/mirror.module';
import { TangoModule } from '../tango/tango.module';
import { ResourceRefreshRepository } from './resource-refresh.repository';
import { ResourceRefreshScheduler } from './resource-refresh.scheduler';
import { ResourceRefreshService } from './resource-refresh.service';
import { ResourceWalker } from './resource-walker';

/** The contract resources beyond the nine families: their list walks, on a schedule (src/resources). */
@Module({
  imports: [ScheduleModule.forRoot(), TangoModule, MirrorModule, JobsModule],
  providers: [ResourceWalker, ResourceRefreshRepository, ResourceRefreshService, ResourceRefreshScheduler],
  exports: [ResourceWalker, ResourceRefreshRepository, ResourceRefreshService, ResourceRefreshScheduler],
})
export class ResourcesModule {}
