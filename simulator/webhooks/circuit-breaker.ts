import { type SimClock } from '../clock';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  readonly failureThreshold: number;
  readonly openSeconds: number;
  readonly reopenSeconds: number;
}

/**
 * Per-endpoint circuit breaker (partner guide §9): opens after `failureThreshold` consecutive failed attempts,
 * skips deliveries while open, then lets one half-open probe through; a failed probe re-opens it for
 * `reopenSeconds`. Durations are simulated seconds.
 */
export class CircuitBreaker {
  private stateValue: BreakerState = 'closed';
  private failures = 0;
  private openUntil = 0;
  private probeInFlight = false;

  constructor(
    private readonly settings: () => BreakerSettings,
    private readonly clock: SimClock,
  ) {}

  get state(): BreakerState {
    if (this.stateValue === 'open' && this.clock.now() >= this.openUntil) {
      this.stateValue = 'half-open';
      this.probeInFlight = false;
    }
    return this.stateValue;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Whether an attempt may go out now; in half-open only one probe at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') {
      return true;
    }
    if (state === 'half-open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return true;
    }
    return false;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.stateValue = 'closed';
    this.probeInFlight = false;
  }

  recordFailure(): void {
    if (this.stateValue === 'half-open') {
      this.open(this.settings().reopenSeconds);
      return;
    }
    this.failures += 1;
    if (this.failures >= this.settings().failureThreshold) {
      this.open(this.settings().openSeconds);
    }
  }

  private open(seconds: number): void {
    this.stateValue = 'open';
    this.openUntil = this.clock.now() + this.clock.realMs(seconds);
    this.probeInFlight = false;
  }
}
