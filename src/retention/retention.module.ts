import { Module } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { JobsModule } from '../jobs/jobs.module';
import { RetentionRepository } from './retention.repository';
import { RetentionScheduler } from './retention.scheduler';
import { RetentionService } from './retention.service';
import { RETENTION_SETTINGS, retentionSettingsFrom } from './retention-settings';

/** Retention: keeps every table bounded by its settings (the CLI runs it on demand). */
@Module({
  imports: [JobsModule],
  providers: [
    {
      provide: RETENTION_SETTINGS,
      useFactory: (config: AppConfig) => retentionSettingsFrom(config),
      inject: [APP_CONFIG],
    },
    RetentionRepository,
    RetentionService,
  ],
  exports: [RetentionService, RETENTION_SETTINGS, JobsModule],
})
export class RetentionModule {}

/** The worker's retention timetable (one replica per tick), on top of RetentionModule. */
@Module({
  imports: [RetentionModule],
  providers: [RetentionScheduler],
  exports: [RetentionScheduler],
})
export class RetentionScheduleModule {}
