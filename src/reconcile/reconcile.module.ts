import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { BackfillModule } from '../backfill/backfill.module';
import { HistoryModule } from '../history/history.module';
import { MirrorModule } from '../mirror/mirror.module';
import { SyncStateModule } from '../sync-state/sync-state.module';
import { TangoModule } from '../tango/tango.module';
import { EventTypeCatalog } from './event-type-catalog';
import { FreshnessRepository } from './freshness.repository';
import { FreshnessService } from './freshness.service';
import { GapDetector } from './gap-detector';
import { JobsModule } from '../jobs/jobs.module';
import { ReconcileScheduler } from './reconcile.scheduler';
import { Reconciler } from './reconciler.service';

/** Gap detection (alert polling, webhook rejections) and reconciliation sweeps, on a @nestjs/schedule timetable. */
@Module({
  imports: [
    ScheduleModule.forRoot(),
    TangoModule,
    MirrorModule,
    SyncStateModule,
    JobsModule,
    BackfillModule,
    HistoryModule,
  ],
  providers: [
    GapDetector,
    EventTypeCatalog,
    Reconciler,
    ReconcileScheduler,
    FreshnessRepository,
    FreshnessService,
  ],
  exports: [
    SyncStateModule,
    GapDetector,
    JobsModule,
    EventTypeCatalog,
    Reconciler,
    ReconcileScheduler,
    FreshnessRepository,
    FreshnessService,
  ],
})
export class ReconcileModule {}
