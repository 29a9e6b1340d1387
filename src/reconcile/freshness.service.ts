import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { type FetchedRecord, fetchedRecord } from '../mirror/mirror.repository';
import { MirrorWriter } from '../mirror/mirror-writer';
import { FetchTargetOutbox } from '../outbox/fetch-target-outbox';
import { parseListPage } from '../tango/list-page';
import {
  FAR_FUTURE_DAY,
  FAR_PAST_DAY,
  MODIFIED_SINCE_PARAM,
  judgeModifiedSinceProbe,
  modifiedSinceProbeFamilies,
  modifiedSinceRequest,
} from '../tango/modified-since';
import { RecordFetcher } from '../tango/record-fetcher';
import { TangoClient } from '../tango/tango-client';
import { TangoRequestError } from '../tango/tango-errors';
import {
  type FreshnessDecision,
  decideFreshnessSources,
  alertEventTypesOf,
  newestPollSweeps,
} from './freshness-plan';
import { FreshnessRepository } from './freshness.repository';
import { Reconciler } from './reconciler.service';
import { reverifyTarget } from './reverify-target';
import { type PlannedSweep } from './sweep-plan';

export interface NewestPollOutcome {
  readonly families: Partial<
    Record<ResourceFamily, { records: number; changes: number; why: string | null }>
  >;
  readonly requests: number;
  readonly pausedReason: string | null;
}

/**
 * Keeps the families Tango sends no alerts for fresh: decides each family's source from Tango's live catalog and
 * the deliveries it sent (freshness-plan.ts), polls the `newest-poll` families newest first over the lookback
 * (read by the sweep path, written by the mirror writer: the one write path), probes whether Tango honours
 * `modified_after` on award lists, and where it does, polls the ids modified since the last poll as fetch targets.
 */
@Injectable()
export class FreshnessService {
  private readonly logger = new Logger(FreshnessService.name);
  private readonly polledRecords: Counter<'resource'>;

  constructor(
    private readonly repository: FreshnessRepository,
    private readonly fetcher: RecordFetcher,
    private readonly writer: MirrorWriter,
    private readonly reconciler: Reconciler,
    private readonly targets: FetchTargetOutbox,
    private readonly tango: TangoClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.polledRecords = metrics.counter(
      'tango_sync_newest_poll_records_total',
      'Records read by the newest-first poll of families Tango sends no alerts for',
      ['resource'],
    );
  }

  /** Every family's freshness source, from Tango's live catalog and the alert types it delivered. */
  async decisions(): Promise<FreshnessDecision[]> {
    const listed = await this.repository.listedEventTypes();
    const described = this.describedFamilies();
    const delivered = await this.repository.deliveredEventTypes(
      alertEventTypesOf(described).filter((type) => !listed.has(type)),
    );
    return decideFreshnessSources(listed, delivered, described);
  }

  /** The turned-on families this service keeps fresh (contract resources have their list walks, src/resources). */
  describedFamilies(): ResourceFamily[] {
    return this.config.tango.resources.filter((family) => FAMILIES[family].refresh === undefined);
  }

  /** One newest-first poll of every family whose source is `newest-poll`, within what sweeps may spend. */
  async newestPoll(now: Date = new Date()): Promise<NewestPollOutcome> {
    const polled = (await this.decisions()).filter((decision) => decision.source === 'newest-poll');
    const families: NewestPollOutcome['families'] = {};
    let requests = 0;
    for (const { family } of polled) {
      const sweeps = newestPollSweeps(family, now, this.config.freshness.newestPollLookbackDays);
      if (sweeps.length === 0) {
        families[family] = { records: 0, changes: 0, why: 'no date filter in Tango’s contract' };
        continue;
      }
      const allowance = await this.reconciler.allowance();
      if (allowance.pausedReason !== null || allowance.requests <= 0) {
        return { families, requests, pausedReason: allowance.pausedReason ?? 'sweep quota share used up' };
      }
      const read = await this.readPoll(
        sweeps,
        Math.min(allowance.requests, this.config.health.sweepMaxPages),
      );
      requests += read.requests;
      const changes = await this.commit(family, read.records);
      families[family] = { records: read.records.length, changes, why: read.why };
    }
    return { families, requests, pausedReason: null };
  }

  private async readPoll(
    sweeps: readonly PlannedSweep[],
    pages: number,
  ): Promise<{ records: FetchedRecord[]; requests: number; why: string | null }> {
    const records: FetchedRecord[] = [];
    let requests = 0;
    let why: string | null = null;
    for (const sweep of sweeps) {
      try {
        const result = await this.fetcher.sweep(sweep.family, sweep.filters, 'sweep', pages);
        requests += result.requests;
        const provenance = {
          deliveryIds: [],
          eventTypes: [],
          alertIds: [],
          reasons: [`freshness:${sweep.label}`],
        };
        records.push(...result.records.map((item) => fetchedRecord(item, provenance)));
        this.polledRecords.inc({ resource: sweep.family }, result.records.length);
        if (!result.complete) {
          why = `${sweep.label}: stopped at ${pages} page(s) (the lookback holds more)`;
        }
      } catch (error) {
        if (!(error instanceof TangoRequestError)) {
          throw error;
        }
        why = `${sweep.label}: ${error.message}`;
      }
    }
    return { records, requests, why };
  }

  private async commit(family: ResourceFamily, upserts: FetchedRecord[]): Promise<number> {
    if (upserts.length === 0) {
      return 0;
    }
    const committed = await this.writer.commit(
      [{ family, upserts, fetchState: { succeeded: true, error: null } }],
      () => Promise.resolve(null),
    );
    return committed.results.reduce((sum, result) => sum + result.upserted.changes.length, 0);
  }

  /** Probes `modified_after` on every award list whose contract lacks it, and stores the verdicts. */
  async probeModifiedSince(): Promise<Record<string, string>> {
    const verdicts: Record<string, string> = {};
    for (const family of modifiedSinceProbeFamilies()) {
      try {
        const future = await this.countModifiedSince(family, FAR_FUTURE_DAY);
        const past = await this.countModifiedSince(family, FAR_PAST_DAY);
        const verdict = judgeModifiedSinceProbe(future, past);
        await this.repository.saveProbe({ resource: family, param: MODIFIED_SINCE_PARAM, ...verdict });
        verdicts[family] = verdict.detail;
      } catch (error) {
        if (!(error instanceof TangoRequestError)) {
          throw error;
        }
        verdicts[family] = `probe failed: ${error.message}`;
      }
    }
    this.logger.log({ verdicts }, `${MODIFIED_SINCE_PARAM} probed on award lists`);
    return verdicts;
  }

  private async countModifiedSince(family: ResourceFamily, day: string): Promise<number | null> {
    const spec = modifiedSinceRequest(family, day, 1);
    const answer = await this.tango.get({
      ...spec,
      priority: 'sweep',
      route: `${family}.modified-since-probe`,
    });
    return parseListPage(family, answer).count ?? null;
  }

  /**
   * Where the probe found `modified_after` honoured: the ids modified since the last poll's day (the day before,
   * for overlap) become low-priority fetch targets, fetched and written like any other.
   */
  async modifiedSincePoll(now: Date = new Date()): Promise<Record<string, number>> {
    const polled: Record<string, number> = {};
    for (const probe of await this.repository.probes()) {
      if (!probe.honoured || probe.param !== MODIFIED_SINCE_PARAM) {
        continue;
      }
      const since = probe.polledThrough ?? dayBefore(probe.probedAt);
      const ids = await this.modifiedIds(probe.resource, since);
      await this.targets.enqueue(ids.map((id) => reverifyTarget(probe.resource, id, 'modified-since')));
      await this.repository.savePolledThrough(probe.resource, probe.param, dayBefore(now));
      polled[probe.resource] = ids.length;
    }
    return polled;
  }

  private async modifiedIds(family: ResourceFamily, day: string): Promise<string[]> {
    const ids: string[] = [];
    let cursor: Record<string, string> = {};
    for (let page = 0; page < this.config.health.sweepMaxPages; page += 1) {
      const spec = modifiedSinceRequest(family, day, undefined, cursor);
      const answer = await this.tango.get({ ...spec, priority: 'sweep', route: `${family}.modified-since` });
      const list = parseListPage(family, answer);
      const idField = FAMILIES[family].idField;
      ids.push(...list.results.map((row) => row[idField]).filter((id) => typeof id === 'string'));
      if (list.next === null || list.next === undefined || list.results.length === 0) {
        break;
      }
      cursor = cursorOf(list.next);
    }
    return ids;
  }
}

/** The pagination parameters a `next` link carries (`cursor`, `page`), nothing else. */
function cursorOf(next: string): Record<string, string> {
  const url = new URL(next, 'http://tango.invalid');
  return Object.fromEntries(
    [...url.searchParams.entries()].filter(([param]) => param === 'cursor' || param === 'page'),
  );
}

function dayBefore(date: Date): string {
  return new Date(date.getTime() - 86_400_000).toISOString().slice(0, 10);
}
