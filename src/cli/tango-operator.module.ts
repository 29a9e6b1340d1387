import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { MetricsModule } from '../metrics/metrics.module';
import { TangoModule, TangoStandaloneModule } from '../tango/tango.module';
import { TangoSideService } from '../tango-side/tango-side.service';
import { WebhookRepository } from '../webhook/webhook.repository';

/**
 * What the `tango …` commands need: Tango's management API through the project's client and, when DATABASE_URL
 * is set, the database (the workers' shared request budget, and the deliveries a test delivery should reach).
 * Migrations are never applied by these commands.
 */
@Module({})
export class TangoOperatorModule {
  static forConfig(config: AppConfig, database: boolean): DynamicModule {
    return {
      module: TangoOperatorModule,
      imports: [
        ConfigModule.forRoot({ ...config, db: { ...config.db, migrationsRun: false } }),
        MetricsModule,
        ...(database ? [DatabaseModule, TangoModule] : [TangoStandaloneModule]),
      ],
      providers: [TangoSideService, ...(database ? [WebhookRepository] : [])],
      exports: [TangoSideService],
    };
  }
}
