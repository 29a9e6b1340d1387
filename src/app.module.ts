import { type DynamicModule, Module } from '@nestjs/common';
import { BackfillWorkerModule } from './backfill/backfill.module';
import { type AppConfig } from './config/app-config';
import { ConsoleModule } from './console/console.module';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { FetcherModule } from './fetcher/fetcher.module';
import { HealthModule } from './health/health.module';
import { KafkaModule } from './kafka/kafka.module';
import { MetricsModule } from './metrics/metrics.module';
import { ResourceRefreshScheduleModule } from './resources/resources.module';
import { RetentionScheduleModule } from './retention/retention.module';
import { WebhookHttpModule } from './webhook/webhook-http.module';

@Module({})
export class AppModule {
  /** The whole worker for one parsed configuration (tests pass their own). */
  static forConfig(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        MetricsModule,
        DatabaseModule,
        KafkaModule,
        HealthModule,
        WebhookHttpModule,
        FetcherModule,
        ResourceRefreshScheduleModule,
        EventsModule,
        RetentionScheduleModule,
        BackfillWorkerModule,
        ConsoleModule,
      ],
    };
  }
}
