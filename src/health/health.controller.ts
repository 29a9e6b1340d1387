import { Controller, Get, Res } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { HealthReportService } from './health-report.service';
import { type HealthReport } from './health-report.types';
import { Readiness, type ReadinessReport } from './readiness';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: Readiness,
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

  /**
   * Ready to take webhooks: not shutting down and Postgres answers (200, 503 otherwise). Kafka is reported, and a
   * Kafka outage only degrades the answer: ingest needs nothing but Postgres, so the process stays in rotation.
   */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    if (!report.canIngest) {
      void reply.status(503);
    }
    return report;
  }

  /** Fully operational: ready, and Kafka answers too (fetching and change events flow). 503 otherwise. */
  @Get('operational')
  async operational(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    if (!report.fullyOperational) {
      void reply.status(503);
    }
    return report;
  }
}
