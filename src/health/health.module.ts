import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { BackfillModule } from '../backfill/backfill.module';
import { ReconcileModule } from '../reconcile/reconcile.module';
import { ResourcesModule } from '../resources/resources.module';
import { TangoModule } from '../tango/tango.module';
import { HealthGauges } from './health-gauges';
import { HealthReportService } from './health-report.service';
import { HealthSnapshotReader } from './health-snapshot.reader';
import { HealthRepository } from './health.repository';
import { HealthController } from './health.controller';
import { Readiness } from './readiness';
import { ShutdownState } from './shutdown-state';

/**
 * `/health/live`, `/health/ready` (terminus), and `/health`: whether the mirror can be trusted, per family, from
 * the sync state, open gaps, backlog, dead letters and quota. Brings in gap detection and reconciliation.
 */
@Module({
  imports: [
    TerminusModule.forRoot({ errorLogStyle: 'json', logger: false }),
    TangoModule,
    ReconcileModule,
    ResourcesModule,
    BackfillModule,
  ],
  controllers: [HealthController],
  providers: [
    ShutdownState,
    HealthRepository,
    HealthSnapshotReader,
    HealthReportService,
    HealthGauges,
    Readiness,
  ],
  exports: [ShutdownState, HealthReportService],
})
export class HealthModule {}
