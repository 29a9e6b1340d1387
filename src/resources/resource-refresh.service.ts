import { type BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { fetchedRecord, type FetchedRecord, type Provenance } from '../mirror/mirror.repository';
import { MirrorWriter } from '../mirror/mirror-writer';
import { RecordFetcher } from '../tango/record-fetcher';
import { TangoRequestError } from '../tango/tango-errors';
import { ContractViolationError } from '../tango/tango-requests';
import {
  dueRefresh,
  goneAfterWalk,
  pollFilters,
  type RefreshKind,
  type RefreshSettings,
  type RefreshState,
  refreshPlanOf,
} from './refresh-plan';
import { type RefreshOutcome, ResourceRefreshRepository } from './resource-refresh.repository';
import { ResourceWalker, type WalkedPage } from './resource-walker';

/**
 * Records Tango returned without the id field the reviewed table names (or with one the mirror cannot key): the
 * table's guess is wrong for this resource, which must be said, not skipped (docs/tango-resources.md).
 */
export class RecordsWithoutIdError extends Error {
  readonly code = 'RESOURCE.RECORDS_WITHOUT_ID';

  constructor(resource: ResourceFamily, count: number, page: number) {
    super(
      `${resource}: ${count} record(s) on page ${page} have no usable "${FAMILIES[resource].idField}" (the id field ` +
        `the reviewed table names): the records with an id were written, the rest were not`,
    );
    this.name = 'RecordsWithoutIdError';
  }
}

/** The outcome of one resource's refresh in a run: what it did, or why it failed. */
export type RefreshRun =
  | ({ readonly ok: true } & RefreshOutcome)
  | { readonly ok: false; readonly kind: RefreshKind; readonly error: string };

function provenanceOf(reason: string): Provenance {
  return { deliveryIds: [], eventTypes: [], alertIds: [], reasons: [reason] };
}

/**
 * Keeps the contract resources fresh by walking their lists (src/resources): a full walk on its period (the only
 * refresh of a dimension; for the others, what sees deletions), and between walks an incremental poll by the
 * resource's change filter or newest-first ordering. Every page is written through the mirror writer as it
 * arrives (upserts skip unchanged records; changes become events and history in the same transaction); what a
 * complete walk no longer returns is tombstoned only when certain (see `goneAfterWalk`, or a 404 on a detail
 * route Tango names). Where each resource stands is kept in `resource_refreshes` and shown on /health.
 */
@Injectable()
export class ResourceRefreshService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ResourceRefreshService.name);
  /** Set at shutdown: a walk stops after the page it is writing, and is left to the next start. */
  private stopping = false;
  private readonly walkedRecords: Counter<'resource' | 'kind'>;
  private readonly failures: Counter<'resource' | 'kind'>;

  constructor(
    private readonly repository: ResourceRefreshRepository,
    private readonly walker: ResourceWalker,
    private readonly writer: MirrorWriter,
    private readonly fetcher: RecordFetcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.walkedRecords = metrics.counter(
      'tango_sync_resource_refresh_records_total',
      'Records read by the list walks of contract resources (full walks and incremental polls)',
      ['resource', 'kind'],
    );
    this.failures = metrics.counter(
      'tango_sync_resource_refresh_failures_total',
      'Contract-resource walks that failed or stopped short of the end of the list',
      ['resource', 'kind'],
    );
  }

  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /** The turned-on resources refreshed by list walks (the contract resources of TANGO_RESOURCES). */
  refreshedResources(): ResourceFamily[] {
    return this.config.tango.resources.filter((resource) => FAMILIES[resource].refresh !== undefined);
  }

  settings(): RefreshSettings {
    return this.config.resources;
  }

  /** Runs every refresh that is due, one resource after another. */
  async refreshDue(now: Date = new Date()): Promise<Partial<Record<ResourceFamily, RefreshRun>>> {
    const resources = this.refreshedResources();
    const states = await this.repository.states(resources);
    const runs: Partial<Record<ResourceFamily, RefreshRun>> = {};
    for (const resource of resources) {
      const state = states.get(resource);
      const due =
        state === undefined ? null : dueRefresh(refreshPlanOf(resource), state, this.settings(), now);
      if (state !== undefined && due !== null) {
        runs[resource] = await this.run(resource, due, state);
      }
    }
    return runs;
  }

  /** Runs one refresh of a resource now (`tango-sync refresh`, tests), whatever its schedule. */
  async refresh(resource: ResourceFamily, kind: 'full' | 'poll'): Promise<RefreshRun> {
    refreshPlanOf(resource);
    const state = await this.repository.state(resource);
    // A poll needs a first complete walk to start from.
    return this.run(resource, kind === 'poll' && state.fullCompletedAt === null ? 'full' : kind, state);
  }

  private async run(
    resource: ResourceFamily,
    kind: 'full' | 'poll',
    state: RefreshState,
  ): Promise<RefreshRun> {
    try {
      const outcome =
        kind === 'full' ? await this.fullWalk(resource, state) : await this.poll(resource, state);
      if (kind === 'full' && !outcome.complete) {
        const error = `full walk stopped at RESOURCE_MAX_PAGES (${outcome.pages} pages, ${outcome.records} records)`;
        await this.repository.saveFailure(resource, kind, error);
        this.failures.inc({ resource, kind });
        return { ok: false, kind, error };
      }
      await this.repository.saveSuccess(resource, outcome);
      this.logger.log({ resource, ...outcome }, `${resource}: ${kind} refresh done`);
      return { ok: true, ...outcome };
    } catch (error) {
      if (
        !(error instanceof TangoRequestError) &&
        !(error instanceof ContractViolationError) &&
        !(error instanceof RecordsWithoutIdError)
      ) {
        throw error;
      }
      await this.repository.saveFailure(resource, kind, error.message);
      this.failures.inc({ resource, kind });
      this.logger.warn({ resource, kind, err: error }, `${resource}: ${kind} refresh failed`);
      return { ok: false, kind, error: error.message };
    }
  }

  /** Every page of the list, then what the walk no longer saw. */
  private async fullWalk(resource: ResourceFamily, state: RefreshState): Promise<RefreshOutcome> {
    const startedAt = new Date();
    let changes = 0;
    const walk = await this.walker.walk(
      resource,
      {},
      { maxPages: this.config.resources.maxPages, route: `${resource}.refresh-full` },
      async (page) => {
        changes += await this.commitPage(resource, page, 'full');
        return this.stopping ? 'stop' : 'continue';
      },
    );
    const outcome = {
      kind: 'full' as const,
      startedAt,
      pages: walk.pages,
      records: walk.records,
      polledSince: null,
      complete: walk.complete,
    };
    if (!walk.complete) {
      return { ...outcome, requests: walk.requests, changes, deleted: 0, pendingDeletions: 0, why: null };
    }
    const removal = await this.removeUnseen(resource, startedAt, walk.pages, state);
    return {
      ...outcome,
      requests: walk.requests + removal.requests,
      changes: changes + removal.changes,
      deleted: removal.deleted,
      pendingDeletions: removal.pending,
      why:
        removal.pending > 0 ? `${removal.pending} unseen record(s) wait for the next walk to confirm` : null,
    };
  }

  /**
   * Tombstones what a complete walk did not return: confirmed one by one by a 404 where Tango names the detail
   * route, else by `goneAfterWalk` (one-page walks at once; longer ones when the walk before missed it too).
   */
  private async removeUnseen(
    resource: ResourceFamily,
    startedAt: Date,
    pages: number,
    state: RefreshState,
  ): Promise<{ deleted: number; changes: number; pending: number; requests: number }> {
    const unseen = await this.repository.unseenSince(resource, startedAt);
    if (unseen.length === 0) {
      return { deleted: 0, changes: 0, pending: 0, requests: 0 };
    }
    const provenance = provenanceOf('refresh:full:unseen');
    if (refreshPlanOf(resource).detailRoute) {
      const ids = unseen.map((candidate) => candidate.id);
      const checked = await this.fetcher.fetchRecords(resource, ids, 'sweep', new Set(ids));
      const upserts = [...checked.found.values()].map((found) => fetchedRecord(found, provenance));
      const confirmed = [...checked.notFound.values()];
      const committed = await this.writer.commit(
        [
          {
            family: resource,
            upserts,
            tombstones: {
              ids: [...checked.notFound.keys()],
              confirmedAt: confirmed.reduce((latest, at) => (at > latest ? at : latest), startedAt),
              provenance,
            },
            fetchState: { succeeded: true, error: null },
          },
        ],
        () => Promise.resolve(null),
      );
      const result = committed.results[0];
      return {
        deleted: result?.deleted.length ?? 0,
        changes: result?.upserted.changes.length ?? 0,
        pending: checked.failed.size,
        requests: checked.requests,
      };
    }
    const { gone, pending } = goneAfterWalk(unseen, { pages, previousStartedAt: state.fullStartedAt });
    const deleted = await this.tombstone(resource, gone, startedAt, provenance);
    return { deleted, changes: 0, pending: pending.length, requests: 0 };
  }

  /**
   * What changed since the last poll: the since filter's days (every page), or newest first until a page brings
   * no change (everything after it was read by an earlier poll or walk).
   */
  private async poll(resource: ResourceFamily, state: RefreshState): Promise<RefreshOutcome> {
    const startedAt = new Date();
    const plan = refreshPlanOf(resource);
    const filters = pollFilters(plan, state, startedAt);
    let changes = 0;
    const walk = await this.walker.walk(
      resource,
      filters,
      { maxPages: this.config.resources.maxPages, route: `${resource}.refresh-poll` },
      async (page) => {
        const pageChanges = await this.commitPage(resource, page, 'poll');
        changes += pageChanges;
        return this.stopping || (plan.mode === 'newest_first' && pageChanges === 0) ? 'stop' : 'continue';
      },
    );
    return {
      kind: 'poll',
      startedAt,
      pages: walk.pages,
      requests: walk.requests,
      records: walk.records,
      changes,
      deleted: 0,
      pendingDeletions: 0,
      complete: walk.complete || (walk.stopped && !this.stopping),
      polledSince: plan.sinceFilter === undefined ? null : (filters[plan.sinceFilter] ?? null),
      why: walk.complete || walk.stopped ? null : `stopped at RESOURCE_MAX_PAGES (${walk.pages} pages)`,
    };
  }

  /** Writes one page; a record without a usable id is never dropped quietly: the walk fails, naming it. */
  private async commitPage(resource: ResourceFamily, page: WalkedPage, kind: RefreshKind): Promise<number> {
    this.walkedRecords.inc({ resource, kind }, page.records.length);
    if (page.records.length === 0) {
      return 0;
    }
    const provenance = provenanceOf(`refresh:${kind}`);
    const upserts: FetchedRecord[] = page.records.map((record) => fetchedRecord(record, provenance));
    const committed = await this.writer.commit(
      [{ family: resource, upserts, fetchState: { succeeded: true, error: null } }],
      () => Promise.resolve(null),
    );
    const withoutId = committed.results[0]?.upserted.withoutId ?? 0;
    if (withoutId > 0) {
      throw new RecordsWithoutIdError(resource, withoutId, page.number);
    }
    return committed.changes;
  }

  private async tombstone(
    resource: ResourceFamily,
    ids: readonly string[],
    confirmedAt: Date,
    provenance: Provenance,
  ): Promise<number> {
    if (ids.length === 0) {
      return 0;
    }
    const committed = await this.writer.commit(
      [
        {
          family: resource,
          upserts: [],
          tombstones: { ids, confirmedAt, provenance },
          fetchState: { succeeded: true, error: null },
        },
      ],
      () => Promise.resolve(null),
    );
    return committed.results[0]?.deleted.length ?? 0;
  }
}
