/**
 * The periodic part of a long-running service (a flush, a sampler, a claim loop): runs `tick` every interval
 * once started, never two at once (a tick asked for while one runs joins it), never keeps the process alive, and
 * stops cleanly (the timer cleared, the tick in flight awaited). `tick` handles its own errors.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly tick: () => Promise<void>) {}

  /** Whether start() was called (and stop() not yet). */
  get started(): boolean {
    return this.timer !== undefined;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.runNow(), intervalMs);
    this.timer.unref();
  }

  /** A tick now, or the one in flight. */
  runNow(): Promise<void> {
    this.inFlight ??= this.tick().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Clears the timer and waits for the tick in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
