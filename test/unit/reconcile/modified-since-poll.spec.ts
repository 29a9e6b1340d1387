import { type AppConfig } from '../../../src/config/app-config';
import { type FetchTargetOutbox } from '../../../src/outbox/fetch-target-outbox';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { type MirrorWriter } from '../../../src/mirror/mirror-writer';
import { type FilterProbe, type FreshnessRepository } from '../../../src/reconcile/freshness.repository';
import { FreshnessService } from '../../../src/reconcile/freshness.service';
import { type Reconciler } from '../../../src/reconcile/reconciler.service';
import { type RecordFetcher } from '../../../src/tango/record-fetcher';
import { type TangoClient, type TangoGet } from '../../../src/tango/tango-client';

/** A repository holding one honoured probe of contracts, its checkpoint kept as the table would keep it. */
function probeStore(probedAt: Date): { repository: FreshnessRepository; probe: () => FilterProbe } {
  let probe: FilterProbe = {
    resource: 'contracts',
    param: 'modified_after',
    honoured: true,
    detail: 'count 0 for a far-future day',
    probedAt,
    polledThrough: null,
  };
  const repository = {
    probes: () => Promise.resolve([probe]),
    savePolledThrough: (_resource: string, _param: string, day: string) => {
      probe = { ...probe, polledThrough: day };
      return Promise.resolve();
    },
  } as unknown as FreshnessRepository;
  return { repository, probe: () => probe };
}

function serviceWith(repository: FreshnessRepository, sent: TangoGet[]): FreshnessService {
  const tango = {
    get: (request: TangoGet) => {
      sent.push(request);
      return Promise.resolve({
        status: 200,
        body: { count: 1, next: null, results: [{ key: 'CONT_AWD_1' }] },
        sentAt: new Date(),
        attempts: 1,
      });
    },
  } as unknown as TangoClient;
  const targets = { enqueue: () => Promise.resolve() } as unknown as FetchTargetOutbox;
  return new FreshnessService(
    repository,
    {} as RecordFetcher,
    {} as MirrorWriter,
    {} as Reconciler,
    targets,
    tango,
    { health: { sweepMaxPages: 5 } } as unknown as AppConfig,
    new MetricsService(),
  );
}

describe('the modified-since poll', () => {
  it('starts the day before the probe, then where the last poll read through, also after a restart', async () => {
    const store = probeStore(new Date('2026-12-01T08:00:00Z'));
    const sent: TangoGet[] = [];
    await serviceWith(store.repository, sent).modifiedSincePoll(new Date('2026-12-03T10:00:00Z'));
    expect(sent.map((request) => request.query?.modified_after)).toEqual(['2026-11-30']);
    expect(store.probe().polledThrough).toBe('2026-12-02');
    // A new process (a restart, another replica) resumes from the stored day, not from the probe.
    const afterRestart = serviceWith(store.repository, sent);
    await afterRestart.modifiedSincePoll(new Date('2026-12-05T10:00:00Z'));
    expect(sent.map((request) => request.query?.modified_after)).toEqual(['2026-11-30', '2026-12-02']);
    expect(store.probe().polledThrough).toBe('2026-12-04');
  });
});
