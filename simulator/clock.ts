/** Real time, with durations compressed by the time-scale factor (simulated seconds per real second). */
export class SimClock {
  constructor(
    private timeScaleValue: number,
    private readonly nowFn: () => number = Date.now,
  ) {}

  get timeScale(): number {
    return this.timeScaleValue;
  }

  set timeScale(value: number) {
    this.timeScaleValue = value;
  }

  now(): number {
    return this.nowFn();
  }

  /** Real milliseconds that stand for `seconds` simulated seconds. */
  realMs(seconds: number): number {
    return (seconds * 1000) / this.timeScaleValue;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
