import { type Logger } from '@nestjs/common';
import { type SchedulerRegistry } from '@nestjs/schedule';

/**
 * Registers a scheduled job's timer with @nestjs/schedule's registry (0 or less: the job is off, and says so). The
 * timer never keeps the process alive; each tick is the job's own (JobRunner decides whether it runs on this
 * replica).
 */
export function startInterval(
  registry: SchedulerRegistry,
  logger: Logger,
  name: string,
  intervalMs: number,
  tick: () => Promise<unknown>,
): void {
  if (intervalMs <= 0) {
    logger.log({ job: name }, 'scheduled job disabled');
    return;
  }
  const handle = setInterval(() => void tick(), intervalMs);
  handle.unref();
  registry.addInterval(name, handle);
  logger.log({ job: name, intervalMs }, 'scheduled job registered');
}

/** Removes scheduled jobs' timers (those that were started). */
export function stopIntervals(registry: SchedulerRegistry, names: readonly string[]): void {
  for (const name of names) {
    if (registry.doesExist('interval', name)) {
      registry.deleteInterval(name);
    }
  }
}
