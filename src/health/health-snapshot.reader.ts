import { Inject, Injectable } from '@nestjs/common';
import { BackfillRepository } from '../backfill/backfill.repository';
import { FAMILIES } from '../common/tango/families';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { emptyRefreshState } from '../resources/refresh-plan';
import { ResourceRefreshRepository } from '../resources/resource-refresh.repository';
import { JobRunRepository } from '../jobs/job-runs.repository';
import { alertEventTypesOf } from '../reconcile/freshness-plan';
import { FreshnessRepository } from '../reconcile/freshness.repository';
import { GapRepository } from '../sync-state/gap.repository';
import { FamilyShapes } from '../tango/family-shapes';
import { vendoredContractVersions, WORKER_CONTRACT_VERSION } from '../tango-contract/tango-contract';
import { TangoRequestBudget } from '../tango/request-budget';
import { TangoApiVersionTracker } from '../tango/tango-api-version';
import { HealthRepository } from './health.repository';
import { type HealthSnapshot } from './health-report.types';

/** Closed gaps the report lists. */
const RECENTLY_CLOSED_GAPS = 20;
/** Backfill jobs read for the report (newest first): enough for the running ones and the latest finished. */
const BACKFILL_JOBS = 10;

/** The vendored contract versions (files shipped with the build: read once). */
const VENDORED_VERSIONS = vendoredContractVersions();

/** Reads everything `/health` needs from the repositories and services, into one plain snapshot. */
@Injectable()
export class HealthSnapshotReader {
  constructor(
    private readonly repository: HealthRepository,
    private readonly gaps: GapRepository,
    private readonly budget: TangoRequestBudget,
    private readonly shapes: FamilyShapes,
    private readonly jobRuns: JobRunRepository,
    private readonly backfills: BackfillRepository,
    private readonly apiVersion: TangoApiVersionTracker,
    private readonly freshness: FreshnessRepository,
    private readonly refreshes: ResourceRefreshRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async read(): Promise<HealthSnapshot> {
    const [states, backlog, deadLetters, openGaps, closedGaps, observations, budget, lag] = await Promise.all(
      [
        this.repository.syncStates(),
        this.repository.fetchBacklog(),
        this.repository.deadLetters(),
        this.gaps.openGaps(),
        this.gaps.recentlyClosed(RECENTLY_CLOSED_GAPS),
        this.gaps.latestObservations(),
        this.budget.state(),
        this.repository.changeEventLag(),
      ],
    );
    const [
      rejected,
      unresolved,
      shapeStates,
      jobRuns,
      listedEventTypes,
      tableSizes,
      backfillJobs,
      tangoApiVersion,
    ] = await Promise.all([
      this.repository.rejectedFetches(),
      this.repository.unresolvedIds(),
      this.shapes.allStates(),
      this.jobRuns.all(),
      this.repository.listedEventTypes(),
      this.repository.tableSizes(),
      this.backfills.jobs({ limit: BACKFILL_JOBS }),
      this.apiVersion.newest(),
    ]);
    return {
      states,
      backlog,
      deadLetters,
      openGaps,
      closedGaps,
      observations,
      budget,
      lag,
      rejected,
      unresolved,
      shapeStates,
      jobRuns,
      listedEventTypes,
      tableSizes,
      backfillJobs,
      tangoApiVersion,
      contracts: { worker: WORKER_CONTRACT_VERSION, vendored: VENDORED_VERSIONS },
      freshness: await this.readFreshness(),
    };
  }

  /** The freshness part: alert types Tango delivered, each family's verification state, the filter probes. */
  private async readFreshness(): Promise<HealthSnapshot['freshness']> {
    const mirrored = this.config.tango.resources;
    const described = mirrored.filter((resource) => FAMILIES[resource].refresh === undefined);
    const walked = mirrored.filter((resource) => FAMILIES[resource].refresh !== undefined);
    const [delivered, verification, probes, refreshStates, live] = await Promise.all([
      this.freshness.deliveredEventTypes(alertEventTypesOf(described)),
      this.freshness.verificationStates(described),
      this.freshness.probes(),
      this.refreshes.states(walked),
      this.refreshes.liveCounts(walked),
    ]);
    const refreshes = walked.map((resource) => ({
      state: refreshStates.get(resource) ?? emptyRefreshState(resource),
      live: live.get(resource) ?? 0,
    }));
    return { deliveredAlertTypes: [...delivered], verification, probes, refreshes };
  }
}
