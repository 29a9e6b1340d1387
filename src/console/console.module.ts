import { Module } from '@nestjs/common';
import { BackfillModule } from '../backfill/backfill.module';
import { SyncStateModule } from '../sync-state/sync-state.module';
import { HealthModule } from '../health/health.module';
import { ReconcileModule } from '../reconcile/reconcile.module';
import { ConsoleSampler } from './console-sampler';
import { ConsoleApiController, ConsolePageController } from './console.controller';
import { ConsoleRepository } from './console.repository';
import { ConsoleService } from './console.service';

/**
 * The operator console at /console: a page (no build step; uPlot for the charts) over an API that reads what
 * /health reads, recent deliveries, rejections, dead letters and per-replica activity samples; actions (redrive,
 * sweep a gap, backfills) need CONSOLE_TOKEN.
 */
@Module({
  imports: [HealthModule, ReconcileModule, BackfillModule, SyncStateModule],
  controllers: [ConsolePageController, ConsoleApiController],
  providers: [ConsoleRepository, ConsoleService, ConsoleSampler],
})
export class ConsoleModule {}
