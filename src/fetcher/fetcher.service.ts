import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { withCorrelationId } from '../common/logging/correlation';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { type UpsertOutcome } from '../mirror/mirror.repository';
import { type FetchRequest } from '../outbox/fetch-request';
import { batchPriority, coalesce } from './fetch-batch';
import { FetchCommit } from './fetch-commit';
import { EMPTY_SWEEPS, planCommit } from './fetch-plan';
import { type RetrySettings } from './fetch-policy';
import { FetchStage } from './fetch-stage';

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

const EMPTY_OUTCOME: BatchOutcome = {
  requested: 0,
  skipped: 0,
  fetched: 0,
  changed: 0,
  deleted: 0,
  retried: 0,
  deadLettered: 0,
  tangoRequests: 0,
};

/**
 * Turns a batch of fetch requests into mirror rows, one family at a time, in three named stages: fetch (FetchStage:
 * coalesced requests, indirect ids resolved, alerts re-run), plan (planCommit: what each record and failure
 * becomes, no I/O), commit (FetchCommit: one transaction through the mirror writer, then dead letters to Kafka).
 * Only then does the caller commit the Kafka offsets.
 */
@Injectable()
export class FetcherService {
  private readonly logger = new Logger(FetcherService.name);
  private readonly outcomes: Counter<'resource' | 'outcome'>;
  private readonly retrySettings: RetrySettings;

  constructor(
    private readonly stage: FetchStage,
    private readonly committer: FetchCommit,
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
    const byFamily = new Map<ResourceFamily, FetchRequest[]>();
    for (const request of requests) {
      byFamily.set(request.resource, [...(byFamily.get(request.resource) ?? []), request]);
    }
    let total = EMPTY_OUTCOME;
    for (const [family, familyRequests] of byFamily) {
      const outcome = await withCorrelationId(`fetch:${family}:${familyRequests[0]?.targetId ?? ''}`, () =>
        this.processFamily(family, familyRequests),
      );
      total = addOutcomes(total, outcome);
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
    const fetched = await this.stage.fetchWanted(family, wanted, priority);
    const swept = sweeps.length === 0 ? EMPTY_SWEEPS : await this.stage.runAlertSweeps(family, sweeps);
    const plan = planCommit(family, wanted, fetched, swept, this.retrySettings, new Date());
    const { written } = await this.committer.commit(family, plan, priority);
    await this.committer.publishDeadLetters(family, plan.deadLetters);
    const outcome: BatchOutcome = {
      requested: wanted.size + sweeps.length,
      skipped: fetched.skipped,
      fetched: fetched.found.size + swept.records.length,
      changed: written.upserted.changes.length,
      deleted: written.deleted.length,
      retried: plan.retries.length,
      deadLettered: plan.deadLetters.length,
      tangoRequests: fetched.requests + swept.requests,
    };
    this.report(family, outcome, written.upserted);
    return outcome;
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
}

function addOutcomes(a: BatchOutcome, b: BatchOutcome): BatchOutcome {
  return Object.fromEntries(
    (Object.keys(a) as (keyof BatchOutcome)[]).map((key) => [key, a[key] + b[key]]),
  ) as unknown as BatchOutcome;
}
