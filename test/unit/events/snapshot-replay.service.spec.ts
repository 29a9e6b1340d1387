import { Logger } from '@nestjs/common';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';
import { type ChangeEventRepository, type SnapshotBatch } from '../../../src/events/change-event.repository';
import { SnapshotReplayError, SnapshotReplayService } from '../../../src/events/snapshot-replay.service';

interface Call {
  family: ResourceFamily;
  afterId: string | null;
  since: Date | null;
  limit: number;
  replayId: string;
}

function fakeRepository(batches: SnapshotBatch[], deleted = 0) {
  const calls: Call[] = [];
  const repository = {
    insertSnapshotBatch: (family: ResourceFamily, options: Omit<Call, 'family'>) => {
      calls.push({ family, ...options });
      return Promise.resolve(batches.shift() ?? { selected: 0, inserted: 0, lastId: null });
    },
    countDeleted: () => Promise.resolve(deleted),
  } as unknown as ChangeEventRepository;
  return { repository, calls };
}

describe('SnapshotReplayService', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('walks the family by keyset cursor until a short batch, with one replay id, and sums the counts', async () => {
    const { repository, calls } = fakeRepository(
      [
        { selected: 2, inserted: 2, lastId: 'b' },
        { selected: 2, inserted: 1, lastId: 'd' },
        { selected: 1, inserted: 1, lastId: 'e' },
      ],
      3,
    );
    const since = new Date('2026-10-01T00:00:00Z');
    const summary = await new SnapshotReplayService(repository).replay('entities', { since, batchSize: 2 });
    expect(calls.map((call) => call.afterId)).toEqual([null, 'b', 'd']);
    expect(new Set(calls.map((call) => call.replayId)).size).toBe(1);
    expect(
      calls.every((call) => call.since === since && call.limit === 2 && call.family === 'entities'),
    ).toBe(true);
    expect(summary).toEqual({
      family: 'entities',
      replayId: calls[0]?.replayId,
      since: '2026-10-01T00:00:00.000Z',
      emitted: 4,
      examined: 5,
      skippedDeleted: 3,
      batches: 3,
    });
  });

  it('stops after an empty batch following a full one, and keeps a given replay id', async () => {
    const { repository, calls } = fakeRepository([{ selected: 2, inserted: 0, lastId: 'b' }]);
    const summary = await new SnapshotReplayService(repository).replay('grants', {
      batchSize: 2,
      replayId: 'resume-1',
    });
    expect(calls).toHaveLength(2);
    expect(summary).toMatchObject({ replayId: 'resume-1', emitted: 0, examined: 2, batches: 1, since: null });
  });

  it.each([
    ['an unknown family', 'contract_appeals', {}],
    ['an invalid time', 'contracts', { since: new Date('not a time') }],
    ['a batch size of zero', 'contracts', { batchSize: 0 }],
  ])('refuses %s before touching the database', async (_what, family, options) => {
    const { repository, calls } = fakeRepository([]);
    await expect(
      new SnapshotReplayService(repository).replay(family as ResourceFamily, options),
    ).rejects.toThrow(SnapshotReplayError);
    expect(calls).toHaveLength(0);
  });
});
