import { whileRenewingLease } from '../../../src/database/lease-renewal';

describe('whileRenewingLease', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('renews every third of the lease while the work runs, and stops when it settles', async () => {
    let renewals = 0;
    let finish: (value: string) => void = () => undefined;
    const result = whileRenewingLease(
      30_000,
      () => {
        renewals += 1;
        return Promise.resolve();
      },
      () =>
        new Promise<string>((resolve) => {
          finish = resolve;
        }),
      () => undefined,
    );
    await jest.advanceTimersByTimeAsync(95_000);
    expect(renewals).toBe(9);
    finish('published');
    await expect(result).resolves.toBe('published');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(renewals).toBe(9);
  });

  it('never runs two renewals at once, and reports a failed one without stopping', async () => {
    const errors: unknown[] = [];
    let release: () => void = () => undefined;
    let calls = 0;
    const work = whileRenewingLease(
      3_000,
      () => {
        calls += 1;
        if (calls === 1) {
          // The first renewal hangs for 2.5 ticks: ticks meanwhile do not start another.
          return new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        return Promise.reject(new Error('database away'));
      },
      () => new Promise<void>((resolve) => setTimeout(resolve, 10_000)),
      (error) => errors.push(error),
    );
    await jest.advanceTimersByTimeAsync(3_500);
    expect(calls).toBe(1);
    release();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    await jest.advanceTimersByTimeAsync(6_000);
    await work;
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(errors.length).toBe(calls - 1);
    expect((errors[0] as Error).message).toBe('database away');
  });

  it('fails with the work, after stopping the renewals', async () => {
    let renewals = 0;
    const failing = whileRenewingLease(
      3_000,
      () => {
        renewals += 1;
        return Promise.resolve();
      },
      () =>
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            reject(new Error('broker refused'));
          }, 2_500),
        ),
      () => undefined,
    );
    const settled = expect(failing).rejects.toThrow('broker refused');
    await jest.advanceTimersByTimeAsync(2_500);
    await settled;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(renewals).toBe(2);
  });
});
