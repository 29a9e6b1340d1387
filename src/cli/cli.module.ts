import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { BackfillModule } from '../backfill/backfill.module';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { EventReplayModule } from '../events/events.module';
import { HistoryModule } from '../history/history.module';
import { MetricsModule } from '../metrics/metrics.module';
import { JobsModule } from '../jobs/jobs.module';
import { ResourcesModule } from '../resources/resources.module';
import { RetentionModule } from '../retention/retention.module';
import { SyncStateModule } from '../sync-state/sync-state.module';
import { TangoModule } from '../tango/tango.module';
import { WebhookModule } from '../webhook/webhook.module';

/** What the command-line tools need: the database and the services they drive, no HTTP server. */
@Module({})
export class CliModule {
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule,
        SyncStateModule,
        WebhookModule,
        EventReplayModule,
        BackfillModule,
        TangoModule,
        HistoryModule,
        RetentionModule,
        JobsModule,
        ResourcesModule,
      ],
    };
  }
}
