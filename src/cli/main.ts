import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { createRootLogger, PinoNestLogger } from '../common/logging/logger';
import { ConfigValidationError, parseConfig } from '../config/app-config';
import { loadRawEnvironment } from '../config/process-env';
import { progressReporter } from '../backfill/backfill-progress';
import { BackfillService } from '../backfill/backfill.service';
import { isResourceFamily } from '../common/tango/resource-family';
import { SnapshotReplayService } from '../events/snapshot-replay.service';
import { FetchTargetRepository } from '../fetcher/fetch-target.repository';
import { FamilyShapes } from '../tango/family-shapes';
import { DeliveryReprocessor } from '../webhook/delivery-reprocessor';
import { HistoryReplayService } from '../history/history-replay.service';
import { HistoryRepository } from '../history/history.repository';
import { JobRunner } from '../jobs/job-runner';
import { RetentionService } from '../retention/retention.service';
import { CliModule } from './cli.module';
import { formatTimeline } from './format-timeline';

const USAGE = `usage: npm run cli -- <command> [options]

commands:
  reprocess-deliveries [--dry-run]   re-parse stored unrecognized/malformed webhook deliveries with the current
                                     parser and enqueue their fetch targets
  backfill <family> [--since YYYY-MM-DD] [--restart]
                                     initial full or windowed load of a family, page by page, resumable
  redrive [<family>] [--all-open]    put dead-lettered records (or, with --all-open, every open fetch failure) back
                                     in the fetch outbox as live targets
  shapes [--restore <family>]        show each family's shape state (full, reduced after Tango refused items, or
                                     unshaped for the tier); --restore puts a family back on its full shape
  replay-events <family> [--since ISO-time] [--replay-id ID]
                                     re-emit the mirror's current state of a family as snapshot change events
                                     (without calling Tango), for consumers that rebuild
  replay-events <family> --from ISO-time --to ISO-time [--replay-id ID]
                                     re-publish the original change events of a time window from the record
                                     history (same event ids, versions and provenance)
  history <family> <record-id> [--json]
                                     the versions of one record: when each was valid, what changed, why
  retention                          run the retention job once now (under the same lock as the workers' runs)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  const raw = loadRawEnvironment();
  // The tools never receive webhooks: a missing secret must not stop them.
  const config = parseConfig({
    WEBHOOK_INSECURE_NO_SIGNATURE: 'true',
    KAFKA_BROKERS: '127.0.0.1:9092',
    ...raw,
  });
  const logger = createRootLogger({
    level: config.log.level === 'info' ? 'warn' : config.log.level,
    format: config.log.format,
  });
  const app = await NestFactory.createApplicationContext(CliModule.forConfig(config), {
    logger: new PinoNestLogger(logger),
  });
  try {
    switch (command) {
      case 'reprocess-deliveries': {
        const { values } = parseArgs({
          args: rest,
          options: { 'dry-run': { type: 'boolean', default: false } },
        });
        const summary = await app.get(DeliveryReprocessor).reprocessAll({ dryRun: values['dry-run'] });
        process.stdout.write(`${JSON.stringify({ command, dryRun: values['dry-run'], ...summary })}\n`);
        return 0;
      }
      case 'backfill': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { since: { type: 'string' }, restart: { type: 'boolean', default: false } },
        });
        const family = positionals[0];
        if (
          family === undefined ||
          !isResourceFamily(family) ||
          (values.since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.since))
        ) {
          process.stderr.write(`usage: backfill <family> [--since YYYY-MM-DD] [--restart]\n${USAGE}`);
          return 2;
        }
        const progress = progressReporter();
        try {
          const summary = await app.get(BackfillService).run(family, {
            ...(values.since === undefined ? {} : { since: values.since }),
            restart: values.restart,
            onProgress: (update) => {
              progress.update(update);
            },
          });
          progress.stop();
          process.stdout.write(`${JSON.stringify({ command, ...summary })}\n`);
          return summary.done ? 0 : 1;
        } finally {
          progress.stop();
        }
      }
      case 'redrive': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { 'all-open': { type: 'boolean', default: false } },
        });
        const family = positionals[0];
        if (family !== undefined && !isResourceFamily(family)) {
          process.stderr.write(`unknown family "${family}"\n${USAGE}`);
          return 2;
        }
        const enqueued = await app.get(FetchTargetRepository).redrive({
          ...(family === undefined ? {} : { resource: family }),
          includeOpen: values['all-open'],
        });
        process.stdout.write(`${JSON.stringify({ command, family: family ?? 'all', enqueued })}\n`);
        return 0;
      }
      case 'shapes': {
        const { values } = parseArgs({ args: rest, options: { restore: { type: 'string' } } });
        const shapes = app.get(FamilyShapes);
        if (values.restore !== undefined) {
          if (!isResourceFamily(values.restore)) {
            process.stderr.write(`unknown family "${values.restore}"\n${USAGE}`);
            return 2;
          }
          await shapes.restore(values.restore, 'restored by an operator (cli shapes --restore)');
        }
        for (const state of await shapes.allStates()) {
          process.stdout.write(`${JSON.stringify({ command, ...state })}\n`);
        }
        return 0;
      }
      case 'replay-events': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            since: { type: 'string' },
            from: { type: 'string' },
            to: { type: 'string' },
            'replay-id': { type: 'string' },
          },
        });
        const family = positionals[0];
        const usage = `usage: replay-events <family> [--since ISO-time | --from ISO-time --to ISO-time] [--replay-id ID]\n${USAGE}`;
        if (family === undefined || !isResourceFamily(family)) {
          process.stderr.write(usage);
          return 2;
        }
        const replayId = values['replay-id'] === undefined ? {} : { replayId: values['replay-id'] };
        if (values.from !== undefined || values.to !== undefined) {
          const from = new Date(values.from ?? '');
          const to = new Date(values.to ?? '');
          if (values.since !== undefined || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
            process.stderr.write(
              `replay from history needs both --from and --to (ISO times), without --since\n${usage}`,
            );
            return 2;
          }
          const summary = await app.get(HistoryReplayService).replay(family, { from, to, ...replayId });
          process.stdout.write(`${JSON.stringify({ command, source: 'history', ...summary })}\n`);
          return 0;
        }
        const since = values.since === undefined ? undefined : new Date(values.since);
        if (since !== undefined && Number.isNaN(since.getTime())) {
          process.stderr.write(usage);
          return 2;
        }
        const summary = await app.get(SnapshotReplayService).replay(family, {
          ...(since === undefined ? {} : { since }),
          ...replayId,
        });
        process.stdout.write(`${JSON.stringify({ command, source: 'snapshot', ...summary })}\n`);
        return 0;
      }
      case 'history': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { json: { type: 'boolean', default: false } },
        });
        const [family, recordId] = positionals;
        if (family === undefined || !isResourceFamily(family) || recordId === undefined) {
          process.stderr.write(`usage: history <family> <record-id> [--json]\n${USAGE}`);
          return 2;
        }
        const versions = await app.get(HistoryRepository).timeline(family, recordId);
        if (versions.length === 0) {
          process.stderr.write(`no history for ${family} ${recordId}\n`);
          return 1;
        }
        process.stdout.write(
          values.json ? `${JSON.stringify(versions)}\n` : formatTimeline(family, recordId, versions),
        );
        return 0;
      }
      case 'retention': {
        parseArgs({ args: rest, options: {} });
        let pruned: unknown = null;
        const outcome = await app
          .get(JobRunner)
          .tick('retention', { intervalMs: 0, force: true }, async () => {
            pruned = await app.get(RetentionService).run();
            return { pruned, by: 'cli' };
          });
        process.stdout.write(`${JSON.stringify({ command, ...outcome, pruned })}\n`);
        return outcome.ran ? 0 : 1;
      }
      default:
        process.stderr.write(`unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message =
      error instanceof ConfigValidationError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    process.stderr.write(`tango-sync cli: ${message}\n`);
    process.exitCode = 1;
  },
);
