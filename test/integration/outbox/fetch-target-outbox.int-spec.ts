import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { type ClaimedTarget, FetchTargetOutbox } from '../../../src/outbox/fetch-target-outbox';
import { FetchFailureRepository } from '../../../src/sync-state/fetch-failure.repository';
import { ScratchDatabase } from '../../support/scratch-database';

const LEASE_MS = 60_000;

describe('FetchTargetOutbox (and failed fetches) against Postgres', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let repository: FetchTargetOutbox;
  let failures: FetchFailureRepository;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    scratch = await ScratchDatabase.create('fetch_targets');
    dataSource = new DataSource(
      buildDataSourceOptions({
        url: scratch.url,
        poolSize: 6,
        statementTimeoutMs: 30_000,
        migrationsRun: true,
      }),
    );
    await dataSource.initialize();
    await dataSource.runMigrations();
    repository = new FetchTargetOutbox(dataSource);
    failures = new FetchFailureRepository(dataSource, repository);
  });

  afterAll(async () => {
    await dataSource.destroy();
    await scratch.drop();
  });

  async function addTargets(count: number, priority = 0): Promise<string[]> {
    const ids = Array.from({ length: count }, () => `CONT_AWD_${randomUUID()}`);
    await dataSource.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason, priority)
       SELECT 'contracts', r, 'key', 'record', 'test', $2 FROM unnest($1::text[]) AS r`,
      [ids, priority],
    );
    return ids;
  }

  it('lets concurrent relays claim every due target exactly once', async () => {
    const ids = [...(await addTargets(150, 0)), ...(await addTargets(50, 1))];
    const published: string[] = [];
    const relay = async (): Promise<void> => {
      for (;;) {
        const count = await repository.claimAndPublish(
          25,
          LEASE_MS,
          async (targets: readonly ClaimedTarget[]) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            published.push(...targets.map((target) => target.request.recordId));
          },
        );
        if (count === 0) {
          return;
        }
      }
    };
    await Promise.all([relay(), relay(), relay()]);
    expect(published).toHaveLength(200);
    expect(new Set(published)).toEqual(new Set(ids));
  });

  it('hands out live targets before sweep targets, oldest first within a priority', async () => {
    const sweep = await addTargets(30, 1);
    const live = await addTargets(30, 0);
    const order: string[] = [];
    while (
      (await repository.claimAndPublish(20, LEASE_MS, async (targets) => {
        order.push(...targets.map((target) => target.request.recordId));
        await Promise.resolve();
      })) > 0
    ) {
      // drain
    }
    expect(order).toEqual([...live, ...sweep]);
  });

  it('leaves targets pending when publishing fails after sending, so they go out again (a duplicate, never a loss)', async () => {
    const ids = await addTargets(3);
    const sent: string[] = [];
    await expect(
      repository.claimAndPublish(10, LEASE_MS, async (targets) => {
        sent.push(...targets.map((target) => target.request.recordId));
        await Promise.resolve();
        throw new Error('crash after the Kafka send');
      }),
    ).rejects.toThrow('crash after the Kafka send');
    const again: ClaimedTarget[] = [];
    await repository.claimAndPublish(10, LEASE_MS, async (targets) => {
      again.push(...targets);
      await Promise.resolve();
    });
    expect(new Set(sent)).toEqual(new Set(ids));
    expect(new Set(again.map((target) => target.request.recordId))).toEqual(new Set(ids));
    expect(again[0]?.request).toMatchObject({
      schema: 'tango-sync.fetch-request.v1',
      resource: 'contracts',
      priority: 'live',
      attempt: 0,
    });
  });

  it('holds requeued targets back until not_before, and re-drives dead letters as live targets', async () => {
    const id = `CONT_AWD_${randomUUID()}`;
    await repository.enqueue([
      {
        resource: 'contracts',
        recordId: id,
        idKind: 'key',
        kind: 'record',
        reason: 'retry',
        priority: 'sweep',
        sweep: null,
        attempt: 2,
        notBefore: new Date(Date.now() + 60_000),
      },
    ]);
    let claimed = 0;
    await repository.claimAndPublish(100, LEASE_MS, async (targets) => {
      claimed += targets.filter((target) => target.request.recordId === id).length;
      await Promise.resolve();
    });
    expect(claimed).toBe(0);

    const dead = `CONT_AWD_${randomUUID()}`;
    await failures.recordFailures([
      {
        resource: 'contracts',
        recordId: dead,
        idKind: 'key',
        kind: 'error',
        status: 503,
        error: 'gave up',
        deadLettered: true,
        sweep: null,
      },
    ]);
    expect(await failures.redrive({ resource: 'contracts', includeOpen: false })).toBe(1);
    const rows = await dataSource.query<{ status: string; priority: number }[]>(
      `SELECT status, priority FROM fetch_targets WHERE record_id = $1`,
      [dead],
    );
    expect(rows).toEqual([{ status: 'pending', priority: 0 }]);
    const failure = await dataSource.query<{ dead_lettered_at: Date | null; redriven_at: Date | null }[]>(
      `SELECT dead_lettered_at, redriven_at FROM fetch_failures WHERE record_id = $1`,
      [dead],
    );
    expect(failure[0]).toEqual({ dead_lettered_at: null, redriven_at: expect.any(Date) });
    expect(await failures.redrive({ resource: 'contracts', includeOpen: false })).toBe(0);
  });

  /** What webhook ingest does to a pending target: coalesce a new hint into it (see WebhookRepository). */
  async function hint(recordId: string, statementTimeoutMs: number): Promise<number> {
    const started = Date.now();
    await dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL statement_timeout = ${statementTimeoutMs}`);
      await manager.query(
        `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason)
         VALUES ('contracts', $1, 'key', 'record', 'hint')
         ON CONFLICT (resource, record_id) WHERE status = 'pending' DO UPDATE
           SET hint_count = fetch_targets.hint_count + 1, last_hinted_at = clock_timestamp()`,
        [recordId],
      );
    });
    return Date.now() - started;
  }

  it('never makes a hint wait while a batch is with Kafka, and publishes a target hinted meanwhile again', async () => {
    const [first, second] = await addTargets(2);
    const waits: number[] = [];
    const published: string[] = [];
    const mine = (targets: readonly ClaimedTarget[]): string[] =>
      targets.map((target) => target.request.recordId).filter((id) => id === first || id === second);
    await repository.claimAndPublish(10, LEASE_MS, async (targets) => {
      published.push(...mine(targets));
      // The broker is slow: meanwhile ingest hints one of the claimed records. It must not wait for the relay.
      waits.push(await hint(first!, 2_000));
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    expect(published.sort()).toEqual([first, second].sort());
    expect(waits[0]).toBeLessThan(250);
    const rows = await dataSource.query<{ record_id: string; status: string; claim_token: string | null }[]>(
      `SELECT record_id, status, claim_token FROM fetch_targets WHERE record_id = ANY($1) ORDER BY record_id`,
      [[first, second]],
    );
    // The target hinted after its claim stays pending (its newest hint goes out again); the other is published.
    expect(rows).toEqual(
      [
        { record_id: first, status: 'pending', claim_token: null },
        { record_id: second, status: 'published', claim_token: null },
      ].sort((a, b) => (a.record_id! < b.record_id! ? -1 : 1)),
    );
    const again: string[] = [];
    await repository.claimAndPublish(10, LEASE_MS, async (targets) => {
      again.push(...mine(targets));
      await Promise.resolve();
    });
    expect(again).toEqual([first]);
  });

  it('keeps the claim of a relay whose broker hangs past the lease: the lease is renewed while it publishes', async () => {
    await settleEverythingPending();
    const ids = await addTargets(2);
    let finish: () => void = () => undefined;
    const slow = repository.claimAndPublish(10, 300, async () => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Three leases later, nobody else may take the rows: the relay is alive.
    expect(await repository.claimAndPublish(10, 300, () => Promise.resolve())).toBe(0);
    finish();
    expect(await slow).toBe(2);
    const statuses = await dataSource.query<{ status: string }[]>(
      `SELECT DISTINCT status FROM fetch_targets WHERE record_id = ANY($1)`,
      [ids],
    );
    expect(statuses).toEqual([{ status: 'published' }]);
  });

  it("lets another relay take a cut-off relay's claim once its lease ends, and ignores the late mark", async () => {
    await settleEverythingPending();
    const ids = await addTargets(2);
    // The first relay loses Postgres while it publishes (its renewals fail), then comes back to mark.
    let cutOff = false;
    const cutOffDataSource = new Proxy(dataSource, {
      get(target, property, receiver) {
        if (property === 'query' && cutOff) {
          return () => Promise.reject(new Error('connection lost'));
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const cutOffRepository = new FetchTargetOutbox(cutOffDataSource);
    let finishFirst: () => void = () => undefined;
    const firstSent: string[] = [];
    const stuck = cutOffRepository.claimAndPublish(10, 300, async (targets) => {
      firstSent.push(...targets.map((target) => target.request.recordId));
      cutOff = true;
      await new Promise<void>((resolve) => {
        finishFirst = resolve;
      });
      cutOff = false;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await repository.claimAndPublish(10, 300, () => Promise.resolve())).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const secondSent: string[] = [];
    expect(
      await repository.claimAndPublish(10, LEASE_MS, async (targets) => {
        secondSent.push(...targets.map((target) => target.request.recordId));
        await Promise.resolve();
      }),
    ).toBe(2);
    finishFirst();
    expect(await stuck).toBe(0);
    expect(new Set(firstSent)).toEqual(new Set(ids));
    expect(new Set(secondSent)).toEqual(new Set(ids));
    const statuses = await dataSource.query<{ status: string }[]>(
      `SELECT DISTINCT status FROM fetch_targets WHERE record_id = ANY($1)`,
      [ids],
    );
    expect(statuses).toEqual([{ status: 'published' }]);
  });

  /** Nothing else may be pending: these tests count what each relay claims. */
  async function settleEverythingPending(): Promise<void> {
    await repository.claimAndPublish(1_000, LEASE_MS, () => Promise.resolve());
    await dataSource.query(`UPDATE fetch_targets SET status = 'published' WHERE status = 'pending'`);
  }
});
