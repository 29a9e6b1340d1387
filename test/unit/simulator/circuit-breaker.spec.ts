import { SimClock } from '../../../simulator/clock';
import { CircuitBreaker } from '../../../simulator/webhooks/circuit-breaker';

describe(CircuitBreaker.name, () => {
  let now = 0;
  const clock = new SimClock(1, () => now);
  const breaker = (): CircuitBreaker =>
    new CircuitBreaker(() => ({ failureThreshold: 5, openSeconds: 300, reopenSeconds: 600 }), clock);

  beforeEach(() => {
    now = 1_000_000;
  });

  it('should open after 5 consecutive failures and skip attempts for 5 minutes', () => {
    const cb = breaker();
    for (let i = 0; i < 4; i += 1) {
      cb.recordFailure();
    }
    expect(cb.state).toBe('closed');
    cb.recordFailure();
    expect(cb.state).toBe('open');
    expect(cb.tryAcquire()).toBe(false);
    now += 299_999;
    expect(cb.tryAcquire()).toBe(false);
  });

  it('should allow exactly one half-open probe after the cool-down, and close on success', () => {
    const cb = breaker();
    for (let i = 0; i < 5; i += 1) {
      cb.recordFailure();
    }
    now += 300_000;
    expect(cb.state).toBe('half-open');
    expect(cb.tryAcquire()).toBe(true);
    expect(cb.tryAcquire()).toBe(false);
    cb.recordSuccess();
    expect(cb.state).toBe('closed');
    expect(cb.tryAcquire()).toBe(true);
  });

  it('should re-open for 10 minutes when the probe fails', () => {
    const cb = breaker();
    for (let i = 0; i < 5; i += 1) {
      cb.recordFailure();
    }
    now += 300_000;
    expect(cb.tryAcquire()).toBe(true);
    cb.recordFailure();
    expect(cb.state).toBe('open');
    now += 599_999;
    expect(cb.state).toBe('open');
    now += 1;
    expect(cb.state).toBe('half-open');
  });

  it('should reset the failure count on success', () => {
    const cb = breaker();
    for (let i = 0; i < 4; i += 1) {
      cb.recordFailure();
    }
    cb.recordSuccess();
    cb.recordFailure();
    expect(cb.consecutiveFailures).toBe(1);
    expect(cb.state).toBe('closed');
  });
});
