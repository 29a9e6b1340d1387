import { type INestApplicationContext } from '@nestjs/common';
import { type Command } from 'commander';
import { BackfillEngine } from '../../backfill/backfill-engine';
import { formatJob, formatJobLine } from '../../backfill/backfill-progress';
import { type BackfillJobView } from '../../backfill/backfill.repository';
import { type BackfillAction, BackfillService } from '../../backfill/backfill.service';
import { isResourceFamily, RESOURCE_FAMILIES, type ResourceFamily } from '../../common/tango/resource-family';
import { type CliContext, type CliIo, withTools } from '../cli-context';
import { CliUsageError } from '../cli-errors';

const REPORT_EVERY_MS = 5_000;
const PUMP_EVERY_MS = 500;

function families(values: readonly string[]): ResourceFamily[] {
  const unknown = values.filter((value) => !isResourceFamily(value));
  if (unknown.length > 0) {
    throw new CliUsageError(
      `unknown famil${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((v) => `"${v}"`).join(', ')} (one of: ${RESOURCE_FAMILIES.join(', ')})`,
    );
  }
  return values.filter(isResourceFamily);
}

/**
 * Reads a job's segments in this process (with whatever workers also read them) until it is no longer running,
 * reporting progress on stderr. Ctrl-C stops reading here; the job stays running for the workers.
 */
async function readUntilSettled(
  app: INestApplicationContext,
  jobId: string,
  io: CliIo,
): Promise<BackfillJobView> {
  const engine = app.get(BackfillEngine);
  const service = app.get(BackfillService);
  const stop = { interrupted: false };
  const onSignal = (): void => {
    stop.interrupted = true;
    engine.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  engine.onSlotFreed = () => {
    if (!stop.interrupted) {
      void engine.pump().catch(() => undefined);
    }
  };
  let lastReport = 0;
  try {
    for (;;) {
      await engine.pump();
      const job = await service.job(jobId);
      const settled = job.state !== 'running' && engine.running === 0;
      if (Date.now() - lastReport >= REPORT_EVERY_MS || settled || stop.interrupted) {
        lastReport = Date.now();
        io.err(`${formatJobLine(job, process.memoryUsage().rss)}\n`);
      }
      if (settled) {
        return job;
      }
      if (stop.interrupted) {
        await engine.drain();
        io.err(
          `stopped reading here; job ${job.id} is ${job.state} (workers continue it; tango-sync backfill pause ${job.id} to hold it)\n`,
        );
        return await service.job(jobId);
      }
      await new Promise((resolve) => setTimeout(resolve, PUMP_EVERY_MS));
    }
  } finally {
    engine.onSlotFreed = undefined;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Shows a job: its JSON with --json, else a block per family. */
function showJob({ io, globals }: CliContext, job: BackfillJobView): void {
  io.out(globals().json ? `${JSON.stringify(job)}\n` : formatJob(job));
}

/** Shows the job a reading command ended with; a failed job exits 1. */
function showSettled(context: CliContext, job: BackfillJobView): void {
  showJob(context, job);
  if (job.state === 'failed') {
    process.exitCode = 1;
  }
}

function registerStart(backfill: Command, context: CliContext): void {
  const { io, globals } = context;
  backfill
    .command('start')
    .description(
      'start a backfill of one or several families and read it here until it ends (--detach: leave it to the workers)',
    )
    .argument('<families...>', `one or more of: ${RESOURCE_FAMILIES.join(', ')}`)
    .option('--since <day>', 'only records from this day on (YYYY-MM-DD; families with a date filter)')
    .option('--detach', 'only start the job; workers read it', false)
    .action(async (names: string[], options: { since?: string; detach: boolean }) => {
      const chosen = families(names);
      if (options.since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(options.since)) {
        throw new CliUsageError(`--since must be YYYY-MM-DD, got "${options.since}"`);
      }
      const job = await withTools(globals().verbose, async (app) => {
        const started = await app
          .get(BackfillService)
          .start({ families: chosen, since: options.since, requestedBy: 'cli' });
        io.err(`started backfill job ${started.id}\n`);
        return options.detach ? started : readUntilSettled(app, started.id, io);
      });
      showSettled(context, job);
    });
}

function registerRun(backfill: Command, context: CliContext): void {
  backfill
    .command('run')
    .description(
      'read the segments of a running job in this process until it ends (resume here after a crash)',
    )
    .argument('<job-id>')
    .action(async (id: string) => {
      const job = await withTools(context.globals().verbose, async (app) =>
        readUntilSettled(app, (await app.get(BackfillService).job(id)).id, context.io),
      );
      showSettled(context, job);
    });
}

function registerStatus(backfill: Command, { io, globals }: CliContext): void {
  backfill
    .command('status')
    .description('the recent jobs, or one job, with progress per family')
    .argument('[job-id]')
    .action(async (id: string | undefined) => {
      const jobs = await withTools(globals().verbose, async (app) => {
        const service = app.get(BackfillService);
        return id === undefined ? service.jobs({ limit: 10 }) : [await service.job(id)];
      });
      if (globals().json) {
        io.out(`${JSON.stringify(jobs)}\n`);
      } else {
        io.out(jobs.length === 0 ? 'no backfill jobs\n' : jobs.map(formatJob).join('\n'));
      }
    });
}

const ACTIONS: readonly [BackfillAction, string][] = [
  ['pause', 'pause a running job (segments being read stop after their page)'],
  ['resume', 'resume a paused job'],
  ['cancel', 'cancel a job for good'],
];

function registerActions(backfill: Command, context: CliContext): void {
  for (const [action, description] of ACTIONS) {
    backfill
      .command(action)
      .description(description)
      .argument('<job-id>')
      .action(async (id: string) => {
        showJob(
          context,
          await withTools(context.globals().verbose, (app) => app.get(BackfillService).act(id, action)),
        );
      });
  }
}

/** `backfill start|status|pause|resume|cancel|run`: managed backfills from the command line. */
export function registerBackfillCommands(program: Command, context: CliContext): void {
  const backfill = program
    .command('backfill')
    .description(
      'managed backfills (DATABASE_URL, TANGO_API_KEY): a job per request, read in parallel segments by this command and every worker, resumable anywhere',
    );
  registerStart(backfill, context);
  registerRun(backfill, context);
  registerStatus(backfill, context);
  registerActions(backfill, context);
}
