import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { OperatorTokenGuard } from '../common/auth/operator-token.guard';
import { AppError } from '../common/errors/app-error';
import { RESOURCE_FAMILIES } from '../common/tango/resource-family';
import { type BackfillJobView } from './backfill.repository';
import { type BackfillAction, BackfillService, jobRate, type JobRate } from './backfill.service';

export const startSchema = z.strictObject({
  families: z.array(z.enum(RESOURCE_FAMILIES)).min(1),
  since: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional(),
});

export const listSchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  active: z.enum(['true', 'false']).default('false'),
});

export const ACTIONS: readonly BackfillAction[] = ['pause', 'resume', 'cancel'];

type JobAnswer = BackfillJobView & { readonly rate: JobRate };

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (!result.success) {
    throw new AppError('REQUEST.VALIDATION_FAILED', 'invalid request', {
      issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  return result.data;
}

function answer(job: BackfillJobView): JobAnswer {
  return { ...job, rate: jobRate(job) };
}

/**
 * Backfill jobs over HTTP (the console uses it): list and read them freely; start, pause, resume and cancel with
 * the operator token.
 */
@Controller('backfills')
export class BackfillController {
  constructor(private readonly backfills: BackfillService) {}

  @Get()
  async list(@Query() query: unknown): Promise<{ jobs: JobAnswer[] }> {
    const { limit, active } = parse(listSchema, query);
    const jobs = await this.backfills.jobs({ limit, activeOnly: active === 'true' });
    return { jobs: jobs.map(answer) };
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<JobAnswer> {
    return answer(await this.backfills.job(id));
  }

  @Post()
  @HttpCode(201)
  @UseGuards(OperatorTokenGuard)
  async start(@Body() body: unknown): Promise<JobAnswer> {
    const request = parse(startSchema, body);
    return answer(await this.backfills.start({ ...request, requestedBy: 'http' }));
  }

  @Post(':id/:action')
  @HttpCode(200)
  @UseGuards(OperatorTokenGuard)
  async act(@Param('id') id: string, @Param('action') action: string): Promise<JobAnswer> {
    const known = ACTIONS.find((candidate) => candidate === action);
    if (known === undefined) {
      throw new AppError('REQUEST.NOT_FOUND', `no action "${action}" (one of: ${ACTIONS.join(', ')})`);
    }
    return answer(await this.backfills.act(id, known));
  }
}
