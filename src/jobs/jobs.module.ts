import { Module } from '@nestjs/common';
import { GlobalGaugeLease } from './global-gauge-lease';
import { JobRunner } from './job-runner';
import { JobRunRepository } from './job-runs.repository';

/**
 * What scheduled jobs share: one run per tick across replicas (advisory locks), their last runs in Postgres, and
 * the lease that picks the one replica exporting the global (database-derived) gauges.
 */
@Module({
  providers: [JobRunRepository, JobRunner, GlobalGaugeLease],
  exports: [JobRunRepository, JobRunner, GlobalGaugeLease],
})
export class JobsModule {}
