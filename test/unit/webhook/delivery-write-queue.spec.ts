import {
  CONFLICT_ATTEMPTS,
  DeliveryWriteBatcher,
  isContentError,
  type WriteQueueLimits,
} from '../../../src/webhook/delivery-write-queue';
import { type DeliveryToStore, type StoreOutcome } from '../../../src/webhook/webhook.repository';

function delivery(key: string, bytes = 10): DeliveryToStore {
  return {
    deliveryKey: key,
    bodySha256: key,
    rawBody: Buffer.alloc(bytes),
    headers: {},
    receivedAt: new Date(),
    verifiedBy: 'test',
    parsed: {
      format: 'empty',
      status: 'processed',
      deliveryId: key,
      tangoTimestamp: null,
      events: [],
      problems: [],
    },
  };
}

function stored(item: DeliveryToStore): StoreOutcome {
  return { outcome: 'stored', deliveryPk: item.deliveryKey, targetCount: 0 };
}

/** A store whose statements finish only when the test says so. */
class ControlledStore {
  readonly calls: string[][] = [];
  private readonly pending: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  failWith: ((batch: readonly DeliveryToStore[]) => Error | undefined) | undefined;

  readonly store = (batch: readonly DeliveryToStore[]): Promise<StoreOutcome[]> => {
    this.calls.push(batch.map((item) => item.deliveryKey));
    return new Promise<StoreOutcome[]>((resolve, reject) => {
      this.pending.push({
        resolve: () => {
          const failure = this.failWith?.(batch);
          if (failure === undefined) {
            resolve(batch.map(stored));
          } else {
            reject(failure);
          }
        },
        reject,
      });
    });
  };

  get running(): number {
    return this.pending.length;
  }

  /** Completes the oldest running statement and lets the batcher react. */
  async finishOne(): Promise<void> {
    this.pending.shift()?.resolve();
    await flushMicrotasks();
  }

  async finishAll(): Promise<void> {
    while (this.pending.length > 0) {
      await this.finishOne();
    }
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i += 1) {
    await Promise.resolve();
  }
}

/** Attaches a handler at once, so a rejection is observed, never reported as unhandled. */
function settle(promise: Promise<StoreOutcome>): Promise<StoreOutcome | Error> {
  return promise.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
}

function sqlError(code: string): Error {
  return Object.assign(new Error(`sqlstate ${code}`), { code });
}

/** A batcher over a store the test controls. */
function batcherWith(
  limits: WriteQueueLimits,
  onBatch?: (size: number) => void,
): { store: ControlledStore; batcher: DeliveryWriteBatcher } {
  const store = new ControlledStore();
  return { store, batcher: new DeliveryWriteBatcher(store.store, limits, onBatch) };
}

describe('DeliveryWriteBatcher', () => {
  it('writes a delivery alone and at once when nothing else is running', async () => {
    const { store, batcher } = batcherWith({ concurrency: 2, maxDeliveries: 10, maxBytes: 1_000 });
    const answer = batcher.write(delivery('a'));
    expect(store.calls).toEqual([['a']]);
    await store.finishAll();
    await expect(answer).resolves.toEqual({ outcome: 'stored', deliveryPk: 'a', targetCount: 0 });
  });

  it('gathers what arrives while statements run into the next statement, up to the concurrency', async () => {
    const sizes: number[] = [];
    const { store, batcher } = batcherWith({ concurrency: 2, maxDeliveries: 10, maxBytes: 1_000 }, (size) =>
      sizes.push(size),
    );
    const answers = ['a', 'b', 'c', 'd', 'e'].map((key) => batcher.write(delivery(key)));
    // Two statements run (one delivery each); the other three wait.
    expect(store.calls).toEqual([['a'], ['b']]);
    expect(batcher.pending).toBe(5);
    await store.finishOne();
    expect(store.calls).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    await store.finishAll();
    await expect(Promise.all(answers)).resolves.toHaveLength(5);
    expect(sizes).toEqual([1, 1, 3]);
    expect(batcher.pending).toBe(0);
  });

  it('caps a statement by delivery count and by raw-body bytes, but never leaves a large delivery behind', async () => {
    const { store, batcher } = batcherWith({ concurrency: 1, maxDeliveries: 2, maxBytes: 100 });
    const answers = [
      batcher.write(delivery('first', 10)),
      batcher.write(delivery('a', 10)),
      batcher.write(delivery('b', 10)),
      batcher.write(delivery('c', 10)),
      batcher.write(delivery('big', 500)),
      batcher.write(delivery('d', 10)),
    ];
    await store.finishAll();
    await Promise.all(answers);
    expect(store.calls).toEqual([['first'], ['a', 'b'], ['c'], ['big'], ['d']]);
  });

  it('retries a statement that failed on its content one delivery at a time, so only the bad one fails', async () => {
    const { store, batcher } = batcherWith({ concurrency: 1, maxDeliveries: 10, maxBytes: 1_000 });
    store.failWith = (batch) =>
      batch.some((item) => item.deliveryKey === 'bad') ? sqlError('22P02') : undefined;

    const first = settle(batcher.write(delivery('first')));
    const good = settle(batcher.write(delivery('good')));
    const bad = settle(batcher.write(delivery('bad')));
    const other = settle(batcher.write(delivery('other')));
    await store.finishOne(); // 'first'
    await store.finishOne(); // the batch of three fails
    await store.finishAll(); // the three retried alone
    expect(await first).toMatchObject({ outcome: 'stored' });
    expect(await good).toMatchObject({ outcome: 'stored', deliveryPk: 'good' });
    expect(await other).toMatchObject({ outcome: 'stored', deliveryPk: 'other' });
    expect(await bad).toEqual(expect.objectContaining({ message: 'sqlstate 22P02' }));
    expect(store.calls).toEqual([['first'], ['good', 'bad', 'other'], ['good'], ['bad'], ['other']]);
  });

  it('runs a statement rolled back for a deadlock or serialization failure again, whole, before answering', async () => {
    const calls: string[][] = [];
    const failures = ['40P01', '40001'];
    const conflicts: number[] = [];
    const batcher = new DeliveryWriteBatcher(
      (batch) => {
        calls.push(batch.map((item) => item.deliveryKey));
        const code = failures.shift();
        return code === undefined ? Promise.resolve(batch.map(stored)) : Promise.reject(sqlError(code));
      },
      { concurrency: 1, maxDeliveries: 10, maxBytes: 1_000 },
      undefined,
      () => conflicts.push(1),
    );
    const answers = await Promise.all([batcher.write(delivery('a')), batcher.write(delivery('b'))]);
    expect(answers.map((answer) => answer.outcome)).toEqual(['stored', 'stored']);
    expect(calls).toEqual([['a'], ['a'], ['a'], ['b']]);
    expect(conflicts).toHaveLength(2);
  });

  it('gives up on a conflict only after its attempts, and then answers with it', async () => {
    let calls = 0;
    const batcher = new DeliveryWriteBatcher(
      () => {
        calls += 1;
        return Promise.reject(sqlError('40P01'));
      },
      { concurrency: 1, maxDeliveries: 10, maxBytes: 1_000 },
    );
    await expect(batcher.write(delivery('a'))).rejects.toThrow('sqlstate 40P01');
    expect(calls).toBe(CONFLICT_ATTEMPTS);
  });

  it('fails the whole statement at once when Postgres itself is unreachable', async () => {
    const { store, batcher } = batcherWith({ concurrency: 1, maxDeliveries: 10, maxBytes: 1_000 });
    store.failWith = () =>
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

    const first = settle(batcher.write(delivery('first')));
    const rest = [settle(batcher.write(delivery('a'))), settle(batcher.write(delivery('b')))];
    await store.finishOne();
    await store.finishOne();
    for (const answer of [first, ...rest]) {
      expect(await answer).toEqual(
        expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:5432' }),
      );
    }
    expect(store.calls).toEqual([['first'], ['a', 'b']]);
  });

  it('reports when everything waiting has been written', async () => {
    const { store, batcher } = batcherWith({ concurrency: 1, maxDeliveries: 10, maxBytes: 1_000 });
    await expect(batcher.drained()).resolves.toBeUndefined();
    const answers = [batcher.write(delivery('a')), batcher.write(delivery('b'))];
    let drained = false;
    void batcher.drained().then(() => {
      drained = true;
    });
    await store.finishOne();
    expect(drained).toBe(false);
    await store.finishOne();
    await Promise.all(answers);
    await flushMicrotasks();
    expect(drained).toBe(true);
  });
});

describe('isContentError', () => {
  it.each([
    ['22P02', true], // invalid text representation
    ['23505', true], // unique violation
    ['40P01', true], // deadlock
    ['54000', true], // program limit exceeded
    ['57014', true], // statement timeout
    ['08006', false], // connection failure
    ['57P01', false], // admin shutdown
    ['53300', false], // too many connections
  ])('classifies SQLSTATE %s as a content error: %s', (code, expected) => {
    expect(isContentError(sqlError(code))).toBe(expected);
  });

  it('finds the SQLSTATE behind a TypeORM QueryFailedError and says no for errors without one', () => {
    const wrapped = Object.assign(new Error('query failed'), { driverError: sqlError('22021') });
    expect(isContentError(wrapped)).toBe(true);
    expect(isContentError(new Error('Connection terminated unexpectedly'))).toBe(false);
    expect(isContentError('not an error')).toBe(false);
  });
});
