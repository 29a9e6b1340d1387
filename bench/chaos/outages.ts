/** The disruption windows of a chaos run: what was broken, from when to when (epoch milliseconds). */
export type OutageKind = 'postgres' | 'kafka-freeze' | 'kafka-restart' | 'replica';

export interface OutageWindow {
  readonly kind: OutageKind;
  /** What was disrupted: `postgres`, `kafka`, `replica-0`, … */
  readonly target: string;
  /** What was done, for the report (`SIGKILL postmaster and backends`, `SIGSTOP`, …). */
  readonly action: string;
  readonly start: number;
  end: number | undefined;
}

export class Outages {
  readonly windows: OutageWindow[] = [];

  begin(kind: OutageKind, target: string, action: string, at = Date.now()): OutageWindow {
    const window: OutageWindow = { kind, target, action, start: at, end: undefined };
    this.windows.push(window);
    return window;
  }

  end(window: OutageWindow, at = Date.now()): void {
    window.end ??= at;
  }

  /** Windows of these kinds that overlap [start, end] (an open window extends to now). */
  overlapping(kinds: readonly OutageKind[], start: number, end: number): OutageWindow[] {
    return this.windows.filter(
      (window) => kinds.includes(window.kind) && window.start <= end && (window.end ?? Date.now()) >= start,
    );
  }

  /** Kinds disrupted at `at`. */
  activeAt(at: number): OutageKind[] {
    return [
      ...new Set(
        this.windows
          .filter((window) => window.start <= at && (window.end ?? Number.POSITIVE_INFINITY) >= at)
          .map((window) => window.kind),
      ),
    ];
  }
}
