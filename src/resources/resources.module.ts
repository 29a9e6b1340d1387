import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JobsModule } from '../jobs/jobs.module';
import { MirrorModule } from '../mirror/mirror.module';
import { TangoModule } from '../tango/tango.module';
import { ResourceRefreshRepository } from './resource-refresh.repository';
import { ResourceRefreshScheduler } from './resource-refresh.scheduler';
import { ResourceRefreshService } from './resource-refresh.service';
import { ResourceWalker } from './resource-walker';

/** The contract resources beyond the nine families: their list walks (src/resources), run on demand. */
@Module({
  imports: [TangoModule, MirrorModule],
  providers: [ResourceWalker, ResourceRefreshRepository, ResourceRefreshService],
  exports: [ResourceWalker, ResourceRefreshRepository, ResourceRefreshService],
})
export class ResourcesModule {}

/** The same walks on their schedule (the worker; the command-line tools run them on demand only). */
@Module({
  imports: [ScheduleModule.forRoot(), ResourcesModule, JobsModule],
  providers: [ResourceRefreshScheduler],
  exports: [ResourceRefreshScheduler],
})
export class ResourceRefreshScheduleModule {}
