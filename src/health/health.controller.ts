import { Controller, Get, Inject, Res } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DatabaseHealth } from '../database/database-health';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { HealthReportService, type HealthReport } from './health-report.service';
import { ShutdownState } from './shutdown-state';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseHealth,
    private readonly kafka: KafkaAdapter,
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reports: HealthReportService,
  ) {}

  /**
   * Whether the mirror can be trusted, per family (ok | degraded | failing, with reasons), with the last successful
   * timestamps, open gaps, backlog, lag, dead letters, quota and sweep coverage. 200 unless a family is failing.
   */
  @Get()
  async report(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthReport> {
    const report = await this.reports.report();
    if (report.status === 'failing') {
      void reply.status(503);
    }
    return report;
  }

  /** The process answers: nothing else is checked, so a dependency outage never triggers a restart. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.indicators.check('process').up({ uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  /** Ready to take work: Postgres and Kafka answer within the configured timeout, and we are not shutting down. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const timeoutMs = this.config.health.checkTimeoutMs;
    return this.health.check([
      () =>
        this.shutdown.isDraining
          ? this.indicators.check('lifecycle').down({ message: 'shutting down' })
          : this.indicators.check('lifecycle').up(),
      () =>
        this.indicators
          .check('postgres')
          .attempt(() => this.database.ping(timeoutMs))
          .withTimeout(timeoutMs + 500),
      () =>
        this.indicators
          .check('kafka')
          .attempt(() => this.kafka.ping(timeoutMs))
          .withTimeout(timeoutMs + 500),
    ]);
  }
}
