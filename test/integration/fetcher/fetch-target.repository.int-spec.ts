import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../../src/database/data-source-options';
import { type ClaimedTarget, FetchTargetRepository } from '../../../src/fetcher/fetch-target.repository';
import { ScratchDatabase } from '../../support/scratch-database';

describe('FetchTargetRepository against Postgres', () => {
  let scratch: ScratchDatabase;
  let dataSource: DataSource;
  let repository: FetchTargetRepository;

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
    repository = new FetchTargetRepository(dataSource);
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
        const count = await repository.claimAndPublish(25, async (targets: ClaimedTarget[]) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          published.push(...targets.map((target) => target.request.recordId));
        });
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
      (await repository.claimAndPublish(20, async (targets) => {
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
      repository.claimAndPublish(10, async (targets) => {
        sent.push(...targets.map((target) => target.request.recordId));
        await Promise.resolve();
        throw new Error('crash after the Kafka send');
      }),
    ).rejects.toThrow('crash after the Kafka send');
    const again: ClaimedTarget[] = [];
    await repository.claimAndPublish(10, async (targets) => {
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
    await repository.requeue([
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
    await repository.claimAndPublish(100, async (targets) => {
      claimed += targets.filter((target) => target.request.recordId === id).length;
      await Promise.resolve();
    });
    expect(claimed).toBe(0);

    const dead = `CONT_AWD_${randomUUID()}`;
    await repository.recordFailures([
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
    expect(await repository.redrive({ resource: 'contracts', includeOpen: false })).toBe(1);
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
    expect(await repository.redrive({ resource: 'contracts', includeOpen: false })).toBe(0);
  });
});
