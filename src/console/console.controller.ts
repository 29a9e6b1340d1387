import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { z } from 'zod';
import { OperatorTokenGuard } from '../common/auth/operator-token.guard';
import { AppError } from '../common/errors/app-error';
import { RESOURCE_FAMILIES } from '../common/tango/resource-family';
import { FetchFailureRepository } from '../sync-state/fetch-failure.repository';
import { type GapSweepOutcome, Reconciler } from '../reconcile/reconciler.service';
import {
  type ActivitySeries,
  ConsoleRepository,
  type DeadLetter,
  type RecentDelivery,
  type RecentRejection,
} from './console.repository';
import { type ConsoleOverview, ConsoleService } from './console.service';

/** The page's own files, and uPlot's (the charting library), served from disk once read. */
const STATIC_DIR = join(__dirname, 'static');
const UPLOT_DIR = join(dirname(require.resolve('uplot')), '..', 'dist');
export const ASSETS: Readonly<Record<string, { readonly path: string; readonly type: string }>> = {
  'app.js': { path: join(STATIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'app.css': { path: join(STATIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { path: join(UPLOT_DIR, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const cache = new Map<string, Buffer>();

function readAsset(path: string): Buffer | undefined {
  let body = cache.get(path);
  if (body === undefined && existsSync(path)) {
    body = readFileSync(path);
    cache.set(path, body);
  }
  return body;
}

export const overviewSchema = z.object({ fresh: z.enum(['true', 'false']).default('false') });
export const limitSchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
export const activitySchema = z.object({
  hours: z.coerce.number().int().min(1).max(48).default(6),
  bucket: z.coerce.number().int().min(10).max(3_600).default(60),
});
export const redriveSchema = z.strictObject({
  family: z.enum(RESOURCE_FAMILIES).optional(),
  allOpen: z.boolean().default(false),
});

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new AppError('REQUEST.VALIDATION_FAILED', 'invalid request', {
      issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  return result.data;
}

/** The operator console: one page and its assets. */
@Controller('console')
export class ConsolePageController {
  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, join(STATIC_DIR, 'index.html'), 'text/html; charset=utf-8', 'no-cache');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() reply: FastifyReply): void {
    const asset = ASSETS[name];
    if (asset === undefined) {
      throw new AppError('REQUEST.NOT_FOUND', `no console asset ${name}`);
    }
    this.send(reply, asset.path, asset.type, 'public, max-age=300');
  }

  private send(reply: FastifyReply, path: string, type: string, cacheControl: string): void {
    const body = readAsset(path);
    if (body === undefined) {
      throw new AppError('REQUEST.NOT_FOUND', 'the console is not part of this build');
    }
    void reply
      .header('content-type', type)
      .header('cache-control', cacheControl)
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(body);
  }
}

/**
 * The console's API: read freely (what `/health` knows, shaped for the page, plus recent lists and charts); act
 * (redrive, sweep a gap) with the operator token. Backfills are started and stopped through `/backfills`.
 */
@Controller('console/api')
export class ConsoleApiController {
  constructor(
    private readonly console: ConsoleService,
    private readonly repository: ConsoleRepository,
    private readonly failures: FetchFailureRepository,
    private readonly reconciler: Reconciler,
  ) {}

  @Get('overview')
  overview(@Query() query: unknown): Promise<ConsoleOverview> {
    return this.console.overview({ fresh: parse(overviewSchema, query).fresh === 'true' });
  }

  @Get('deliveries')
  async deliveries(@Query() query: unknown): Promise<{ deliveries: RecentDelivery[] }> {
    return { deliveries: await this.repository.recentDeliveries(parse(limitSchema, query).limit) };
  }

  @Get('rejections')
  async rejections(@Query() query: unknown): Promise<{ rejections: RecentRejection[] }> {
    return { rejections: await this.repository.recentRejections(parse(limitSchema, query).limit) };
  }

  @Get('dead-letters')
  async deadLetters(@Query() query: unknown): Promise<{ deadLetters: DeadLetter[] }> {
    return { deadLetters: await this.repository.deadLetters(parse(limitSchema, query).limit) };
  }

  @Get('activity')
  activity(@Query() query: unknown): Promise<ActivitySeries> {
    const { hours, bucket } = parse(activitySchema, query);
    return this.repository.activity(hours, bucket);
  }

  @Post('redrive')
  @HttpCode(200)
  @UseGuards(OperatorTokenGuard)
  async redrive(@Body() body: unknown): Promise<{ enqueued: number; family: string }> {
    const request = parse(redriveSchema, body);
    const enqueued = await this.failures.redrive({
      ...(request.family === undefined ? {} : { resource: request.family }),
      includeOpen: request.allOpen,
    });
    return { enqueued, family: request.family ?? 'all' };
  }

  @Post('gaps/:id/sweep')
  @HttpCode(200)
  @UseGuards(OperatorTokenGuard)
  async sweep(@Param('id') id: string): Promise<GapSweepOutcome> {
    if (!/^\d+$/.test(id)) {
      throw new AppError('REQUEST.NOT_FOUND', `no open gap ${id}`);
    }
    const outcome = await this.reconciler.sweepOne(id);
    if (outcome === null) {
      throw new AppError('REQUEST.NOT_FOUND', `no open gap ${id}`);
    }
    return outcome;
  }
}
