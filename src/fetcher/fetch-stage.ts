import { Injectable } from '@nestjs/common';
import { FAMILIES, isIndirectIdKind, recordIdOf } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type FetchedRecord, fetchedRecord, MirrorRepository } from '../mirror/mirror.repository';
import { type FetchRequest } from '../outbox/fetch-request';
import { type GapToOpen } from '../sync-state/gap.repository';
import { type FetchedOk, RecordFetcher } from '../tango/record-fetcher';
import { type FetchPriority } from '../tango/request-pacer';
import { AlertSweepRunner } from './alert-sweep-runner';
import { staleRecords, sweepProvenance, type WantedRecord } from './fetch-batch';
import { type FetchedRecords, type SweptRecords } from './fetch-plan';
import { IndirectResolver } from './indirect-resolver';

type Found = Map<string, { fetched: FetchedOk; item: WantedRecord | undefined }>;
type Failures = FetchedRecords['failures'][number][];

/**
 * The fetcher's Tango side: everything a family batch asks of Tango, before anything is decided or written.
 * Indirect ids (PIIDs, forecast subjects) are resolved first, records fetched recently enough are skipped, the rest
 * fetched; alerts whose events came without ids are re-run.
 */
@Injectable()
export class FetchStage {
  constructor(
    private readonly fetcher: RecordFetcher,
    private readonly resolver: IndirectResolver,
    private readonly alertSweeps: AlertSweepRunner,
    private readonly mirror: MirrorRepository,
  ) {}

  /** Resolve indirect ids, skip what is already fresh, fetch the rest. */
  async fetchWanted(
    family: ResourceFamily,
    wanted: ReadonlyMap<string, WantedRecord>,
    priority: FetchPriority,
  ): Promise<FetchedRecords> {
    const found: Found = new Map();
    const failures: Failures = [];
    const indirect = (item: WantedRecord): boolean => isIndirectIdKind(FAMILIES[family], item.idKind);
    const direct = [...wanted.values()].filter((item) => !indirect(item));
    let requests = await this.resolveIndirect(family, [...wanted.values()].filter(indirect), found, failures);
    const fetchTimes = await this.mirror.fetchTimes(
      family,
      direct.map((item) => item.recordId),
    );
    const mirrored = new Set(fetchTimes.keys());
    const toFetch = staleRecords(direct, fetchTimes);
    const notFound = new Map<string, Date>();
    if (toFetch.length > 0) {
      const ids = toFetch.map((item) => item.recordId);
      const result = await this.fetcher.fetchRecords(family, ids, priority, mirrored);
      requests += result.requests;
      for (const [id, record] of result.found) {
        found.set(id, { fetched: record, item: wanted.get(id) });
      }
      for (const [id, at] of result.notFound) {
        notFound.set(id, at);
      }
      for (const item of toFetch) {
        const error = result.failed.get(item.recordId);
        if (error !== undefined) {
          failures.push({
            item,
            failure: { attempt: item.attempt, error, kind: 'error', message: error.message },
          });
        }
      }
    }
    return { found, notFound, mirrored, failures, skipped: direct.length - toFetch.length, requests };
  }

  /** PIIDs and forecast subjects through the resolver; returns the Tango requests it sent. */
  private async resolveIndirect(
    family: ResourceFamily,
    items: readonly WantedRecord[],
    found: Found,
    failures: Failures,
  ): Promise<number> {
    let requests = 0;
    for (const item of items) {
      const resolution = await this.resolver.resolve(family, item);
      requests += resolution.requests;
      if (resolution.records.length === 0) {
        const kind = resolution.error === null ? 'unresolvable' : 'error';
        failures.push({
          item,
          failure: { attempt: item.attempt, error: resolution.error, kind, message: resolution.message },
        });
      }
      for (const record of resolution.records) {
        const id = recordIdOf(FAMILIES[family], record.record);
        if (id !== null) {
          found.set(id, { fetched: record, item });
        }
      }
    }
    return requests;
  }

  /** Re-run the alerts of counts-only events (see AlertSweepRunner). */
  async runAlertSweeps(family: ResourceFamily, sweeps: readonly FetchRequest[]): Promise<SweptRecords> {
    const records: FetchedRecord[] = [];
    const succeeded: string[] = [];
    const gaps: GapToOpen[] = [];
    const failures: SweptRecords['failures'][number][] = [];
    let requests = 0;
    for (const sweep of sweeps) {
      const outcome = await this.alertSweeps.run(family, sweep);
      requests += outcome.requests;
      switch (outcome.kind) {
        case 'swept':
          records.push(...outcome.records.map((record) => fetchedRecord(record, sweepProvenance(sweep))));
          if (outcome.gap === null) {
            succeeded.push(sweep.recordId);
          } else {
            gaps.push(outcome.gap);
          }
          break;
        case 'unsupported':
          gaps.push(outcome.gap);
          break;
        case 'failed': {
          const failure = { attempt: sweep.attempt, error: outcome.error, kind: 'error' as const };
          failures.push({ sweep, failure: { ...failure, message: outcome.error.message } });
          break;
        }
      }
    }
    return { records, succeeded, gaps, failures, requests };
  }
}
