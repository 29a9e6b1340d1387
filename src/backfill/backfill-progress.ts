import { Presets, SingleBar } from 'cli-progress';
import { type BackfillProgress } from './backfill.service';

export interface ProgressReporter {
  update(progress: BackfillProgress): void;
  stop(): void;
}

const LOG_EVERY_MS = 5_000;

/**
 * A progress bar (records, rate, ETA, quota left, RSS) on a terminal; otherwise one JSON line every few seconds
 * (and at the end) on the same stream, whatever the log level.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const started = Date.now();
  const rate = (records: number): number => records / Math.max(0.001, (Date.now() - started) / 1000);
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        stream,
        format:
          '{family} [{bar}] {percentage}% | {value}/{total} records | {rate}/s | ETA {eta_formatted} | quota {quota} | RSS {rss} MB',
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    let started_ = false;
    return {
      update(progress) {
        const payload = {
          family: progress.family,
          rate: Math.round(rate(progress.records)),
          quota: progress.dailyRemaining ?? '?',
          rss: Math.round(progress.rssBytes / 1_048_576),
        };
        const total = progress.total ?? progress.records;
        if (!started_) {
          bar.start(total, progress.records, payload);
          started_ = true;
        }
        bar.setTotal(Math.max(total, progress.records));
        bar.update(progress.records, payload);
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastLog = 0;
  return {
    update(progress) {
      if (progress.done || Date.now() - lastLog >= LOG_EVERY_MS) {
        lastLog = Date.now();
        const remaining = progress.total === null ? null : Math.max(0, progress.total - progress.records);
        const perSecond = rate(progress.records);
        stream.write(
          `${JSON.stringify({
            msg: 'backfill progress',
            family: progress.family,
            pages: progress.pages,
            records: progress.records,
            total: progress.total,
            recordsPerSecond: Math.round(perSecond),
            etaSeconds: remaining === null || perSecond === 0 ? null : Math.round(remaining / perSecond),
            dailyRemaining: progress.dailyRemaining,
            rssMb: Math.round(progress.rssBytes / 1_048_576),
          })}\n`,
        );
      }
    },
    stop() {
      // Nothing to tear down for plain lines.
    },
  };
}
