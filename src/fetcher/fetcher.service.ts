import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { withCorrelationId } from '../common/logging/correlation';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { MetricsService } from '../metrics/metrics.service';
import { type JsonRecord, MIRROR_FAMILIES } from '../mirror/mirror-families';
import { type FetchedRecord, MirrorRepository, type Provenance } from '../mirror/mirror.repository';
import { recordIdOf } from '../mirror/typed-columns';
import { type RequestPriority } from '../tango/request-budget';
import { TangoQuotaExhaustedError, type TangoRequestError } from '../tango/tango-errors';
import { FETCH_DEAD_LETTER_TOPIC, type FetchRequest } from './fetch-request';
import { type FailureRecord, FetchTargetRepository, type RetryTarget } from './fetch-target.repository';
import { type FetchedOk, RecordFetcher } from './record-fetcher';

/** Everything asked about one record in one batch (duplicates coalesced). */
interface WantedRecord {
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  hintedAt: Date;
  priority: RequestPriority;
  attempt: number;
  readonly deliveryIds: Set<string>;
  readonly reasons: Set<string>;
  readonly alertIds: Set<string>;
}

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

const PRIORITY_RANK: Readonly<Record<RequestPriority, number>> = { live: 0, sweep: 1, backfill: 2 };
const SWEEP_MAX_PAGES = 50;

/**
 * Turns a batch of fetch requests into mirror rows: coalesces duplicates, skips records already fetched after
 * their hint, fetches the rest from Tango, and commits upserts, tombstones, change events, failures and retries
 * in one transaction per family. Only then does the caller commit the Kafka offsets.
 */
@Injectable()
export class FetcherService {
  private readonly logger = new Logger(FetcherService.name);
  private readonly outcomes: Counter<'resource' | 'outcome'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly mirror: MirrorRepository,
    private readonly targets: FetchTargetRepository,
    private readonly fetcher: RecordFetcher,
    private readonly kafka: KafkaAdapter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.outcomes = metrics.counter(
      'tango_sync_fetch_records_total',
      'Fetch requests by family and outcome',
      ['resource', 'outcome'],
    );
  }

  async processBatch(requests: readonly FetchRequest[]): Promise<BatchOutcome> {
    const total: BatchOutcome = {
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
        (total as Record<keyof BatchOutcome, number>)[key] += outcome[key];
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
    const priority = [...wanted.values()].reduce<RequestPriority>(
      (best, item) => (PRIORITY_RANK[item.priority] < PRIORITY_RANK[best] ? item.priority : best),
      sweeps.length > 0 ? 'sweep' : 'backfill',
    );
    const found = new Map<string, FetchedOk>();
    const notFound = new Map<string, Date>();
    const failures: {
      item: WantedRecord;
      error: TangoRequestError | null;
      kind: FailureRecord['kind'];
      message: string;
    }[] = [];
    let tangoRequests = 0;

    // Ids that are not the family's own key (bare PIIDs, forecast subjects) are resolved by a checked lookup.
    const direct: WantedRecord[] = [];
    for (const item of wanted.values()) {
      if (item.idKind === 'piid' || item.idKind === 'forecast_subject') {
        const resolved = await this.resolveIndirect(family, item);
        tangoRequests += resolved.requests;
        if (resolved.records.length === 0) {
          failures.push({
            item,
            error: resolved.error,
            kind: resolved.error ? 'error' : 'unresolvable',
            message: resolved.message,
          });
        }
        for (const record of resolved.records) {
          const id = recordIdOf(MIRROR_FAMILIES[family], record.record);
          if (id !== null) {
            found.set(id, record);
          }
        }
      } else {
        direct.push(item);
      }
    }

    // Skip what was already fetched after the hint was created (the newest change is already mirrored).
    const fetchTimes = await this.mirror.fetchTimes(
      family,
      direct.map((item) => item.recordId),
    );
    const toFetch = direct.filter((item) => {
      const fetchedAt = fetchTimes.get(item.recordId);
      return fetchedAt === undefined || fetchedAt < item.hintedAt;
    });
    const skipped = direct.length - toFetch.length;

    if (toFetch.length > 0) {
      const result = await this.fetcher.fetchRecords(
        family,
        toFetch.map((item) => item.recordId),
        priority,
      );
      tangoRequests += result.requests;
      for (const [id, record] of result.found) {
        found.set(id, record);
      }
      for (const [id, at] of result.notFound) {
        notFound.set(id, at);
      }
      for (const item of toFetch) {
        const error = result.failed.get(item.recordId);
        if (error !== undefined) {
          failures.push({ item, error, kind: 'error', message: error.message });
        }
      }
    }

    const sweepRecords: FetchedRecord[] = [];
    const failedSweeps: FetchRequest[] = [];
    for (const sweep of sweeps) {
      try {
        const result = await this.fetcher.sweep(
          family,
          stringFilters(sweep.sweep?.filters ?? {}),
          'sweep',
          SWEEP_MAX_PAGES,
        );
        tangoRequests += result.requests;
        if (!result.complete) {
          this.logger.warn(
            { resource: family, alertId: sweep.sweep?.alertId, pages: SWEEP_MAX_PAGES },
            'sweep stopped at its page limit',
          );
        }
        sweepRecords.push(
          ...result.records.map((record) => ({
            record: record.record,
            fetchedAt: record.sentAt,
            provenance: sweepProvenance(sweep),
          })),
        );
      } catch (error) {
        this.logger.warn(
          { resource: family, alertId: sweep.sweep?.alertId, err: error },
          'sweep failed; it will be retried',
        );
        failedSweeps.push(sweep);
      }
    }

    // Tombstones only for records the mirror holds; a 404 for an id never mirrored is a failure, not a deletion.
    const mirrored = await this.mirror.fetchTimes(family, [...notFound.keys()]);
    const tombstones = [...notFound.keys()].filter((id) => mirrored.has(id));
    for (const id of notFound.keys()) {
      if (!mirrored.has(id)) {
        const item = wanted.get(id);
        if (item !== undefined) {
          failures.push({
            item,
            error: null,
            kind: 'not_found',
            message: 'Tango answered 404 twice for a record never mirrored',
          });
        }
      }
    }

    const retries: RetryTarget[] = [];
    const failureRows: FailureRecord[] = [];
    const deadLetters: { item: WantedRecord; message: string }[] = [];
    for (const failure of failures) {
      const quota = failure.error instanceof TangoQuotaExhaustedError;
      const retryable = quota || (failure.error?.retryable ?? false);
      const attempt = failure.item.attempt + (quota ? 0 : 1);
      const dead = retryable && attempt >= this.config.fetcher.maxAttempts;
      if (retryable && !dead) {
        retries.push({
          resource: family,
          recordId: failure.item.recordId,
          idKind: failure.item.idKind,
          kind: 'record',
          reason: 'retry',
          priority: failure.item.priority,
          sweep: null,
          attempt,
          notBefore: quota
            ? (failure.error as TangoQuotaExhaustedError).until
            : new Date(
                Date.now() +
                  Math.min(this.config.fetcher.retryMaxMs, this.config.fetcher.retryBaseMs * 2 ** attempt),
              ),
        });
      }
      if (dead) {
        deadLetters.push({ item: failure.item, message: failure.message });
      }
      if (!quota) {
        failureRows.push({
          resource: family,
          recordId: failure.item.recordId,
          idKind: failure.item.idKind,
          kind: failure.kind,
          status: failure.error?.status ?? (failure.kind === 'not_found' ? 404 : null),
          error: failure.message,
          deadLettered: dead,
        });
      }
    }
    for (const sweep of failedSweeps) {
      retries.push({
        resource: family,
        recordId: sweep.recordId,
        idKind: 'alert',
        kind: 'sweep',
        reason: sweep.reason,
        priority: 'sweep',
        sweep: sweep.sweep,
        attempt: sweep.attempt + 1,
        notBefore: new Date(
          Date.now() +
            Math.min(
              this.config.fetcher.retryMaxMs,
              this.config.fetcher.retryBaseMs * 2 ** (sweep.attempt + 1),
            ),
        ),
      });
    }

    const upserts: FetchedRecord[] = [
      ...[...found.entries()].map(([id, record]) => ({
        record: record.record,
        fetchedAt: record.sentAt,
        provenance: provenanceOf(wanted.get(id)),
      })),
      ...sweepRecords,
    ];
    const committed = await this.dataSource.transaction(async (manager) => {
      const upserted = await this.mirror.upsert(family, upserts, manager);
      const deleted = await this.mirror.markDeleted(
        family,
        tombstones,
        new Date(Math.max(...tombstones.map((id) => notFound.get(id)?.getTime() ?? 0), 0)),
        mergeProvenance(tombstones.map((id) => provenanceOf(wanted.get(id)))),
        manager,
      );
      await this.targets.resolveFailures(family, [...found.keys(), ...tombstones], manager);
      await this.targets.recordFailures(failureRows, manager);
      await this.targets.requeue(
        [...retries, ...(await this.followUps(family, upserts, upserted.changes, priority))],
        manager,
      );
      await this.mirror.touchFetchState(
        family,
        {
          succeeded: found.size + tombstones.length + sweepRecords.length > 0,
          changes: upserted.changes.length + deleted.length,
          error: failureRows.length > 0 ? (failureRows[0]?.error ?? null) : null,
        },
        manager,
      );
      return { upserted, deleted };
    });

    if (deadLetters.length > 0) {
      await this.kafka.send(
        this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC),
        deadLetters.map(({ item, message }) => ({
          key: `${family}:${item.recordId}`,
          value: JSON.stringify({
            resource: family,
            recordId: item.recordId,
            idKind: item.idKind,
            attempts: item.attempt + 1,
            error: message,
          }),
          headers: { 'content-type': 'application/json' },
        })),
      );
    }

    const outcome: BatchOutcome = {
      requested: wanted.size + sweeps.length,
      skipped,
      fetched: found.size + sweepRecords.length,
      changed: committed.upserted.changes.length,
      deleted: committed.deleted.length,
      retried: retries.length,
      deadLettered: deadLetters.length,
      tangoRequests,
    };
    this.outcomes.inc({ resource: family, outcome: 'fetched' }, outcome.fetched);
    this.outcomes.inc({ resource: family, outcome: 'skipped' }, outcome.skipped);
    this.outcomes.inc({ resource: family, outcome: 'changed' }, outcome.changed);
    this.outcomes.inc({ resource: family, outcome: 'deleted' }, outcome.deleted);
    this.outcomes.inc({ resource: family, outcome: 'retried' }, outcome.retried);
    this.outcomes.inc({ resource: family, outcome: 'dead_lettered' }, outcome.deadLettered);
    this.logger.log(
      {
        resource: family,
        ...outcome,
        unchanged: committed.upserted.unchanged,
        stale: committed.upserted.stale,
      },
      'fetch batch committed',
    );
    return outcome;
  }

  /**
   * Alerts cover opportunities, not notices: a new or changed opportunity names its notices (`notice_history`,
   * `latest_notice_id`). Its latest notice and every listed notice the mirror does not hold yet are fetched too,
   * so the notices mirror follows without notice alerts.
   */
  private async followUps(
    family: ResourceFamily,
    upserts: readonly FetchedRecord[],
    changes: readonly { recordId: string }[],
    priority: RequestPriority,
  ): Promise<RetryTarget[]> {
    if (family !== 'opportunities' || changes.length === 0) {
      return [];
    }
    const changed = new Set(changes.map((change) => change.recordId));
    const latest = new Set<string>();
    const listed = new Set<string>();
    for (const item of upserts) {
      const id = recordIdOf(MIRROR_FAMILIES.opportunities, item.record);
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

  /** A bare PIID or a `<source_system>:<external_id>` forecast subject becomes the record(s) it names. */
  private async resolveIndirect(
    family: ResourceFamily,
    item: WantedRecord,
  ): Promise<{ records: FetchedOk[]; requests: number; error: TangoRequestError | null; message: string }> {
    let filters: Record<string, string>;
    let matches: (record: JsonRecord) => boolean;
    if (item.idKind === 'piid') {
      filters = { piid: item.recordId };
      matches = (record) =>
        typeof record.piid === 'string' && record.piid.toUpperCase() === item.recordId.toUpperCase();
    } else {
      const separator = item.recordId.indexOf(':');
      const sourceSystem = item.recordId.slice(0, separator);
      const externalId = item.recordId.slice(separator + 1);
      const known = await this.mirror.forecastIdForSubject(sourceSystem, externalId);
      if (known !== null) {
        const result = await this.fetcher.fetchRecords('forecasts', [known], item.priority);
        const record = result.found.get(known);
        const error = result.failed.get(known) ?? null;
        return {
          records: record ? [record] : [],
          requests: result.requests,
          error,
          message: error?.message ?? 'forecast not found',
        };
      }
      filters = { source_system: sourceSystem, external_id: externalId };
      matches = (record) => {
        const external = record.external_id;
        return (
          record.source_system === sourceSystem &&
          (typeof external === 'string' || typeof external === 'number') &&
          String(external) === externalId
        );
      };
    }
    try {
      const result = await this.fetcher.findBy(family, filters, matches, item.priority);
      const message =
        result.records.length === 0
          ? `no ${family} record matches ${item.idKind} "${item.recordId}"${result.filterIgnored ? ' (Tango ignored the filter)' : ''}`
          : '';
      return { records: result.records, requests: 1, error: null, message };
    } catch (error) {
      const failure = error as TangoRequestError;
      return { records: [], requests: 1, error: failure, message: failure.message };
    }
  }
}

function coalesce(requests: readonly FetchRequest[]): Map<string, WantedRecord> {
  const wanted = new Map<string, WantedRecord>();
  for (const request of requests) {
    const hintedAt = new Date(request.hintedAt);
    const existing = wanted.get(request.recordId);
    if (existing === undefined) {
      wanted.set(request.recordId, {
        recordId: request.recordId,
        idKind: request.idKind,
        hintedAt,
        priority: request.priority,
        attempt: request.attempt,
        deliveryIds: new Set(request.deliveryIds),
        reasons: new Set([request.reason]),
        alertIds: new Set(request.sweep?.alertId ? [request.sweep.alertId] : []),
      });
      continue;
    }
    existing.hintedAt = hintedAt > existing.hintedAt ? hintedAt : existing.hintedAt;
    existing.priority =
      PRIORITY_RANK[request.priority] < PRIORITY_RANK[existing.priority]
        ? request.priority
        : existing.priority;
    existing.attempt = Math.max(existing.attempt, request.attempt);
    request.deliveryIds.forEach((id) => existing.deliveryIds.add(id));
    existing.reasons.add(request.reason);
  }
  return wanted;
}

function provenanceOf(item: WantedRecord | undefined): Provenance {
  if (item === undefined) {
    return { deliveryIds: [], eventTypes: [], alertIds: [], reasons: [] };
  }
  const reasons = [...item.reasons].sort();
  return {
    deliveryIds: [...item.deliveryIds].sort(),
    eventTypes: [...new Set(reasons.map((reason) => reason.split(':')[0] ?? reason))].sort(),
    alertIds: [...item.alertIds].sort(),
    reasons,
  };
}

function sweepProvenance(sweep: FetchRequest): Provenance {
  return {
    deliveryIds: [...sweep.deliveryIds].sort(),
    eventTypes: [sweep.reason.split(':')[0] ?? sweep.reason],
    alertIds: sweep.sweep?.alertId ? [sweep.sweep.alertId] : [],
    reasons: [sweep.reason],
  };
}

function mergeProvenance(items: readonly Provenance[]): Provenance {
  const merge = (pick: (item: Provenance) => readonly string[]): string[] =>
    [...new Set(items.flatMap(pick))].sort();
  return {
    deliveryIds: merge((item) => item.deliveryIds),
    eventTypes: merge((item) => item.eventTypes),
    alertIds: merge((item) => item.alertIds),
    reasons: merge((item) => item.reasons),
  };
}

/** Alert filters as list query parameters (arrays joined with `|`, as Tango's multi-value filters take them). */
function stringFilters(filters: Readonly<Record<string, unknown>>): Record<string, string> {
  const scalar = (value: unknown): string =>
    typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : JSON.stringify(value);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(filters)) {
    if (value === null || value === undefined) {
      continue;
    }
    out[name] = Array.isArray(value) ? value.map(scalar).join('|') : scalar(value);
  }
  return out;
}
