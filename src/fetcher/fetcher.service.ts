import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { withCorrelationId } from '../common/logging/correlation';
import { FAMILIES, recordIdOf } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { MetricsService } from '../metrics/metrics.service';
import {
  type FetchedRecord,
  fetchedRecord,
  MirrorRepository,
  type Provenance,
  type UpsertOutcome,
} from '../mirror/mirror.repository';
import { GapRepository, type GapToOpen } from '../reconcile/gap.repository';
import { type FetchedOk, RecordFetcher } from '../tango/record-fetcher';
import { type FetchPriority } from '../tango/request-pacer';
import { AlertSweepRunner } from './alert-sweep-runner';
import {
  batchPriority,
  coalesce,
  mergeProvenance,
  provenanceOf,
  staleRecords,
  sweepProvenance,
  type WantedRecord,
} from './fetch-batch';
import { decideFailure, type FetchFailure, type RetrySettings, splitNotFound } from './fetch-policy';
import { FETCH_DEAD_LETTER_TOPIC, type FetchRequest } from './fetch-request';
import { type FailureRecord, FetchTargetRepository, type RetryTarget } from './fetch-target.repository';
import { IndirectResolver } from './indirect-resolver';

export interface BatchOutcome {
  readonly requested: number;
  readonly skipped: number;
  readonly fetched: number;
  readonly changed: number;
  readonly deleted: number;
  readonly retried: number;
  readonly deadLettered: number;
  readonly tangoRequests: number;
}

/** What fetching a family's records produced, before any decision is written. */
interface FetchedRecords {
  readonly found: Map<string, { readonly fetched: FetchedOk; readonly item: WantedRecord | undefined }>;
  readonly notFound: Map<string, Date>;
  readonly mirrored: ReadonlySet<string>;
  readonly failures: { readonly item: WantedRecord; readonly failure: FetchFailure }[];
  readonly skipped: number;
  readonly requests: number;
}

/** What the alert re-runs of a batch produced. */
interface SweptRecords {
  readonly records: FetchedRecord[];
  /** Sweep targets (`alert:<id>`) that ran to the end: their open failures are resolved. */
  readonly succeeded: string[];
  readonly gaps: GapToOpen[];
  readonly failures: { readonly sweep: FetchRequest; readonly failure: FetchFailure }[];
  readonly requests: number;
}

interface DeadLetter {
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  readonly attempts: number;
  readonly status: number | null;
  readonly error: string;
}

/** Everything one family batch writes, in one transaction, and what it sends to Kafka after the commit. */
interface CommitPlan {
  readonly upserts: FetchedRecord[];
  readonly tombstones: readonly string[];
  readonly tombstonedAt: Date;
  readonly tombstoneProvenance: Provenance;
  readonly resolved: readonly string[];
  readonly failureRows: FailureRecord[];
  readonly retries: RetryTarget[];
  readonly gaps: GapToOpen[];
  readonly deadLetters: DeadLetter[];
  readonly firstError: string | null;
}

const EMPTY_SWEEPS: SweptRecords = { records: [], succeeded: [], gaps: [], failures: [], requests: 0 };

/**
 * Turns a batch of fetch requests into mirror rows, one family at a time, in named steps: coalesce the requests,
 * fetch what is stale (resolving PIIDs and forecast subjects first), re-run alerts that came without ids, decide
 * what each failure means (retry, dead letter, tombstone), then commit upserts, tombstones, change events,
 * failures, retries and gaps in one transaction. Dead letters go to Kafka after that commit, and only then does
 * the caller commit the Kafka offsets.
 */
@Injectable()
export class FetcherService {
  private readonly logger = new Logger(FetcherService.name);
  private readonly outcomes: Counter<'resource' | 'outcome'>;
  private readonly retrySettings: RetrySettings;

  constructor(
    private readonly dataSource: DataSource,
    private readonly mirror: MirrorRepository,
    private readonly targets: FetchTargetRepository,
    private readonly gaps: GapRepository,
    private readonly fetcher: RecordFetcher,
    private readonly resolver: IndirectResolver,
    private readonly alertSweeps: AlertSweepRunner,
    private readonly kafka: KafkaAdapter,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.retrySettings = config.fetcher;
    this.outcomes = metrics.counter(
      'tango_sync_fetch_records_total',
      'Fetch requests by family and outcome',
      ['resource', 'outcome'],
    );
  }

  async processBatch(requests: readonly FetchRequest[]): Promise<BatchOutcome> {
    const total: Record<keyof BatchOutcome, number> = {
      requested: 0,
      skipped: 0,
      fetched: 0,
      changed: 0,
      deleted: 0,
      retried: 0,
      deadLettered: 0,
      tangoRequests: 0,
    };
    const byFamily = new Map<ResourceFamily, FetchRequest[]>();
    for (const request of requests) {
      byFamily.set(request.resource, [...(byFamily.get(request.resource) ?? []), request]);
    }
    for (const [family, familyRequests] of byFamily) {
      const outcome = await withCorrelationId(`fetch:${family}:${familyRequests[0]?.targetId ?? ''}`, () =>
        this.processFamily(family, familyRequests),
      );
      for (const key of Object.keys(total) as (keyof BatchOutcome)[]) {
        total[key] += outcome[key];
      }
    }
    return total;
  }

  private async processFamily(
    family: ResourceFamily,
    requests: readonly FetchRequest[],
  ): Promise<BatchOutcome> {
    const wanted = coalesce(requests.filter((request) => request.kind === 'record'));
    const sweeps = requests.filter((request) => request.kind === 'sweep');
    const priority = batchPriority(wanted.values(), sweeps.length > 0);
    const fetched = await this.fetchWanted(family, wanted, priority);
    const swept = sweeps.length === 0 ? EMPTY_SWEEPS : await this.runAlertSweeps(family, sweeps);
    const plan = this.planCommit(family, wanted, fetched, swept, new Date());
    const upserted = await this.commit(family, plan, priority);
    await this.publishDeadLetters(family, plan.deadLetters);
    const outcome: BatchOutcome = {
      requested: wanted.size + sweeps.length,
      skipped: fetched.skipped,
      fetched: fetched.found.size + swept.records.length,
      changed: upserted.upserted.changes.length,
      deleted: upserted.deleted,
      retried: plan.retries.length,
      deadLettered: plan.deadLetters.length,
      tangoRequests: fetched.requests + swept.requests,
    };
    this.report(family, outcome, upserted.upserted);
    return outcome;
  }

  /** Step: resolve indirect ids, skip what is already fresh, fetch the rest. */
  private async fetchWanted(
    family: ResourceFamily,
    wanted: ReadonlyMap<string, WantedRecord>,
    priority: FetchPriority,
  ): Promise<FetchedRecords> {
    const found = new Map<string, { fetched: FetchedOk; item: WantedRecord | undefined }>();
    const failures: FetchedRecords['failures'] = [];
    let requests = 0;
    const direct: WantedRecord[] = [];
    for (const item of wanted.values()) {
      if (item.idKind !== 'piid' && item.idKind !== 'forecast_subject') {
        direct.push(item);
        continue;
      }
      const resolution = await this.resolver.resolve(family, item);
      requests += resolution.requests;
      if (resolution.records.length === 0) {
        failures.push({
          item,
          failure: {
            attempt: item.attempt,
            error: resolution.error,
            kind: resolution.error === null ? 'unresolvable' : 'error',
            message: resolution.message,
          },
        });
      }
      for (const record of resolution.records) {
        const id = recordIdOf(FAMILIES[family], record.record);
        if (id !== null) {
          found.set(id, { fetched: record, item });
        }
      }
    }
    const fetchTimes = await this.mirror.fetchTimes(
      family,
      direct.map((item) => item.recordId),
    );
    const mirrored = new Set(fetchTimes.keys());
    const toFetch = staleRecords(direct, fetchTimes);
    const notFound = new Map<string, Date>();
    if (toFetch.length > 0) {
      const result = await this.fetcher.fetchRecords(
        family,
        toFetch.map((item) => item.recordId),
        priority,
        mirrored,
      );
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

  /** Step: re-run the alerts of counts-only events (see AlertSweepRunner). */
  private async runAlertSweeps(
    family: ResourceFamily,
    sweeps: readonly FetchRequest[],
  ): Promise<SweptRecords> {
    const records: FetchedRecord[] = [];
    const succeeded: string[] = [];
    const gaps: GapToOpen[] = [];
    const failures: SweptRecords['failures'] = [];
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
        case 'failed':
          failures.push({
            sweep,
            failure: {
              attempt: sweep.attempt,
              error: outcome.error,
              kind: 'error',
              message: outcome.error.message,
            },
          });
          break;
      }
    }
    return { records, succeeded, gaps, failures, requests };
  }

  /** Step: decide, for everything fetched or not, what the batch writes. No I/O. */
  private planCommit(
    family: ResourceFamily,
    wanted: ReadonlyMap<string, WantedRecord>,
    fetched: FetchedRecords,
    swept: SweptRecords,
    now: Date,
  ): CommitPlan {
    const { tombstones, neverMirrored } = splitNotFound(fetched.notFound, fetched.mirrored);
    const failures = [...fetched.failures];
    for (const id of neverMirrored) {
      const item = wanted.get(id);
      if (item !== undefined) {
        failures.push({
          item,
          failure: {
            attempt: item.attempt,
            error: null,
            kind: 'not_found',
            message: 'Tango answered 404 for a record the mirror never held',
          },
        });
      }
    }
    const retries: RetryTarget[] = [];
    const failureRows: FailureRecord[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const { item, failure } of failures) {
      const decision = decideFailure(failure, this.retrySettings, now);
      if (decision.retryAt !== null) {
        retries.push({
          resource: family,
          recordId: item.recordId,
          idKind: item.idKind,
          kind: 'record',
          reason: 'retry',
          priority: item.priority,
          sweep: null,
          attempt: decision.attempt,
          notBefore: decision.retryAt,
        });
      }
      if (decision.record !== null) {
        failureRows.push({
          resource: family,
          recordId: item.recordId,
          idKind: item.idKind,
          kind: decision.record.kind,
          status: decision.record.status,
          error: failure.message,
          deadLettered: decision.deadLetter,
          sweep: null,
        });
      }
      if (decision.deadLetter) {
        deadLetters.push({
          recordId: item.recordId,
          idKind: item.idKind,
          attempts: decision.attempt,
          status: decision.record?.status ?? null,
          error: failure.message,
        });
      }
    }
    for (const { sweep, failure } of swept.failures) {
      const decision = decideFailure(failure, this.retrySettings, now);
      if (decision.retryAt !== null) {
        retries.push({
          resource: family,
          recordId: sweep.recordId,
          idKind: 'alert',
          kind: 'sweep',
          reason: sweep.reason,
          priority: 'sweep',
          sweep: sweep.sweep,
          attempt: decision.attempt,
          notBefore: decision.retryAt,
        });
      }
      if (decision.record !== null) {
        failureRows.push({
          resource: family,
          recordId: sweep.recordId,
          idKind: 'alert',
          kind: decision.record.kind,
          status: decision.record.status,
          error: failure.message,
          deadLettered: decision.deadLetter,
          sweep: sweep.sweep,
        });
      }
      if (decision.deadLetter) {
        deadLetters.push({
          recordId: sweep.recordId,
          idKind: 'alert',
          attempts: decision.attempt,
          status: decision.record?.status ?? null,
          error: failure.message,
        });
      }
    }
    const upserts: FetchedRecord[] = [
      ...[...fetched.found.values()].map(({ fetched: record, item }) =>
        fetchedRecord(record, provenanceOf(item)),
      ),
      ...swept.records,
    ];
    return {
      upserts,
      tombstones,
      tombstonedAt: new Date(
        Math.max(0, ...tombstones.map((id) => fetched.notFound.get(id)?.getTime() ?? 0)),
      ),
      tombstoneProvenance: mergeProvenance(tombstones.map((id) => provenanceOf(wanted.get(id)))),
      resolved: [...fetched.found.keys(), ...tombstones, ...swept.succeeded],
      failureRows,
      retries,
      gaps: swept.gaps,
      deadLetters,
      firstError: failureRows[0]?.error ?? null,
    };
  }

  /** Step: one transaction for everything the batch decided (no network call inside). */
  private async commit(
    family: ResourceFamily,
    plan: CommitPlan,
    priority: FetchPriority,
  ): Promise<{ upserted: UpsertOutcome; deleted: number }> {
    return this.dataSource.transaction(async (manager) => {
      const upserted = await this.mirror.upsert(family, plan.upserts, manager);
      const deleted = await this.mirror.markDeleted(
        family,
        plan.tombstones,
        plan.tombstonedAt,
        plan.tombstoneProvenance,
        manager,
      );
      await this.targets.resolveFailures(family, plan.resolved, manager);
      await this.targets.recordFailures(plan.failureRows, manager);
      for (const gap of plan.gaps) {
        await this.gaps.openOrWiden(gap, manager);
      }
      await this.mirror.touchFetchState(
        family,
        {
          succeeded: plan.upserts.length + plan.tombstones.length + plan.resolved.length > 0,
          changes: upserted.changes.length + deleted.length,
          error: plan.firstError,
        },
        manager,
      );
      // Last: ingest hints the same fetch_targets rows, so they are locked only for the commit itself.
      await this.targets.requeue(
        [...plan.retries, ...(await this.noticeFollowUps(family, plan.upserts, upserted.changes, priority))],
        manager,
      );
      return { upserted, deleted: deleted.length };
    });
  }

  /** Step (after the commit): dead letters to Kafka. */
  private async publishDeadLetters(
    family: ResourceFamily,
    deadLetters: readonly DeadLetter[],
  ): Promise<void> {
    if (deadLetters.length === 0) {
      return;
    }
    await this.kafka.send(
      this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC),
      deadLetters.map((letter) => ({
        key: `${family}:${letter.recordId}`,
        value: JSON.stringify({
          resource: family,
          recordId: letter.recordId,
          idKind: letter.idKind,
          attempts: letter.attempts,
          status: letter.status,
          error: letter.error,
        }),
        headers: { 'content-type': 'application/json' },
      })),
    );
  }

  private report(family: ResourceFamily, outcome: BatchOutcome, upserted: UpsertOutcome): void {
    this.outcomes.inc({ resource: family, outcome: 'fetched' }, outcome.fetched);
    this.outcomes.inc({ resource: family, outcome: 'skipped' }, outcome.skipped);
    this.outcomes.inc({ resource: family, outcome: 'changed' }, outcome.changed);
    this.outcomes.inc({ resource: family, outcome: 'deleted' }, outcome.deleted);
    this.outcomes.inc({ resource: family, outcome: 'retried' }, outcome.retried);
    this.outcomes.inc({ resource: family, outcome: 'dead_lettered' }, outcome.deadLettered);
    this.logger.log(
      { resource: family, ...outcome, unchanged: upserted.unchanged, stale: upserted.stale },
      'fetch batch committed',
    );
  }

  /**
   * Alerts cover opportunities, not notices: a new or changed opportunity names its notices (`notice_history`,
   * `latest_notice_id`). Its latest notice and every listed notice the mirror does not hold yet are fetched too,
   * so the notices mirror follows without notice alerts.
   */
  private async noticeFollowUps(
    family: ResourceFamily,
    upserts: readonly FetchedRecord[],
    changes: readonly { recordId: string }[],
    priority: FetchPriority,
  ): Promise<RetryTarget[]> {
    if (family !== 'opportunities' || changes.length === 0) {
      return [];
    }
    const changed = new Set(changes.map((change) => change.recordId));
    const latest = new Set<string>();
    const listed = new Set<string>();
    for (const item of upserts) {
      const id = recordIdOf(FAMILIES.opportunities, item.record);
      if (id === null || !changed.has(id)) {
        continue;
      }
      if (typeof item.record.latest_notice_id === 'string' && item.record.latest_notice_id !== '') {
        latest.add(item.record.latest_notice_id.toLowerCase());
      }
      for (const entry of Array.isArray(item.record.notice_history) ? item.record.notice_history : []) {
        if (
          entry !== null &&
          typeof entry === 'object' &&
          !Array.isArray(entry) &&
          typeof entry.notice_id === 'string'
        ) {
          listed.add(entry.notice_id.toLowerCase());
        }
      }
    }
    const known = await this.mirror.fetchTimes('notices', [...listed]);
    const noticeIds = new Set([...latest, ...[...listed].filter((noticeId) => !known.has(noticeId))]);
    return [...noticeIds].map((noticeId) => ({
      resource: 'notices',
      recordId: noticeId,
      idKind: 'uuid',
      kind: 'record',
      reason: 'opportunities:notice_history',
      priority,
      sweep: null,
      attempt: 0,
      notBefore: new Date(),
    }));
  }
}
