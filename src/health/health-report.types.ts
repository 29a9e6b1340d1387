import { type BackfillJobView } from '../backfill/backfill.repository';
import { type JobRate } from '../backfill/backfill.service';
import { type FamilyCoverage } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type JobRun } from '../jobs/job-runs.repository';
import { type AlertObservation, type SyncGap } from '../sync-state/gap.repository';
import { type AppConfig } from '../config/app-config';
import { type FamilyShapeState } from '../tango/family-shapes';
import { type BudgetState } from '../tango/request-budget';
import { type SeenApiVersion } from '../tango/tango-api-version';
import {
  type BacklogRow,
  type RejectedFetches,
  type SyncStateRow,
  type TableSize,
} from './health.repository';
import { type FamilyFreshness, type FreshnessSettings, type FreshnessSnapshot } from './freshness-report';
import { type HealthStatus } from './health-status';

export interface GapView {
  readonly id: string;
  readonly scope: string;
  readonly scopeKey: string;
  readonly resource: string | null;
  readonly alertId: string | null;
  readonly cause: string;
  readonly rangeStart: string;
  readonly rangeEnd: string;
  readonly openedAt: string;
  readonly closedAt: string | null;
  readonly sweepAttempts: number;
  readonly lastSweepError: string | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface FamilyReport {
  readonly status: HealthStatus;
  readonly reasons: readonly string[];
  readonly lastDeliveryReceivedAt: string | null;
  readonly lastTangoTimestamp: string | null;
  readonly lastFetchSucceededAt: string | null;
  readonly lastChangeEmittedAt: string | null;
  readonly reconciledThrough: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly openGaps: readonly GapView[];
  readonly backlog: { readonly pending: number; readonly oldestAgeSeconds: number | null };
  readonly deadLetters: number;
  /** Fetches Tango refused for good, not yet resolved (the family is failing while there are any). */
  readonly rejectedFetches: {
    readonly count: number;
    readonly lastStatus: number | null;
    readonly lastError: string | null;
    readonly lastFailedAt: string | null;
  };
  /** What the family asks Tango for: its full shape, or less after contract drift (see FamilyShapes). */
  readonly shape: {
    readonly status: 'full' | 'reduced' | 'unshaped';
    readonly dropped: readonly { readonly path: string; readonly reason: string; readonly since: string }[];
    readonly unshapedReason: string | null;
    readonly degradedSince: string | null;
    readonly driftEvents: number;
    readonly lastProbeAt: string | null;
    readonly lastProbeOutcome: string | null;
    readonly restoredAt: string | null;
    /** Every path of Tango's whole record the family does not mirror, and why. */
    readonly notMirrored: readonly {
      readonly path: string;
      readonly reason: string;
      readonly detail: string;
    }[];
    /** Paths of the whole record in Tango's contract, and how many the family asks for. */
    readonly paths: { readonly whole: number; readonly asked: number };
  };
  /** Ids that name no record Tango has (bare PIIDs, forecast subjects). */
  readonly unresolvedIds: number;
  readonly coverage: FamilyCoverage;
  /** How new, modified and deleted records are learned, and how long ago the least recently verified one was. */
  readonly freshness: FamilyFreshness;
}

export interface JobReport {
  readonly job: string;
  readonly status: HealthStatus;
  readonly runs: number;
  readonly lastStartedAt: string | null;
  readonly lastSucceededAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly lastFinishedAt: string | null;
  /** What the last successful run did, as the job reported it (for retention: rows pruned per table). */
  readonly lastOutcome: Readonly<Record<string, unknown>> | null;
}

export interface AlertReport {
  readonly alertId: string;
  readonly queryType: string;
  readonly resource: string | null;
  readonly status: HealthStatus;
  readonly reason: string | null;
  readonly alertStatus: string;
  readonly frequency: string | null;
  readonly matchCount: number;
  readonly lastCheckedAt: string | null;
  readonly observedAt: string;
  readonly lastDeliveryReceivedAt: string | null;
  readonly reconciledThrough: string | null;
}

export interface HealthReport {
  readonly status: HealthStatus;
  readonly generatedAt: string;
  /** One report per resource turned on (TANGO_RESOURCES). */
  readonly families: Readonly<Partial<Record<ResourceFamily, FamilyReport>>>;
  readonly alerts: readonly AlertReport[];
  readonly gaps: { readonly open: readonly GapView[]; readonly recentlyClosed: readonly GapView[] };
  readonly lag: {
    readonly changeEventsPending: number;
    readonly changeEventsOldestAgeSeconds: number | null;
  };
  readonly quota: {
    readonly dailyLimit: number | null;
    readonly dailyRemaining: number | null;
    readonly dailyResetAt: string | null;
    readonly burstLimit: number | null;
    readonly burstRemaining: number | null;
    readonly parkedUntil: string | null;
    readonly parkedReason: string | null;
    readonly sweepShare: number;
    readonly sweepRequestsAllowed: number | null;
    readonly sweepsPausedReason: string | null;
  };
  /** The last reconcile run's outcome, from `job_runs` (the same on every replica). */
  readonly reconcile: Readonly<Record<string, unknown>> | null;
  /** Table sizes (bytes, estimated rows) and the last retention run: is the database bounded? */
  readonly storage: {
    readonly tables: readonly TableSize[];
    readonly totalBytes: number;
    readonly retention: JobReport | null;
  };
  /** The scheduled jobs' last runs (shared by every replica). */
  readonly jobs: readonly JobReport[];
  /** Webhook event types Tango lists, and those the delivery parser does not know. */
  readonly eventTypes: { readonly listed: readonly string[]; readonly unknown: readonly string[] };
  /** Backfill jobs running or paused, and the latest finished ones, with progress, rate and ETA. */
  readonly backfills: readonly BackfillReport[];
  /** Problems that are not one family's (unknown event types). */
  readonly problems: readonly string[];
  /** Which Tango the worker talks to: the live API version beside the contract it runs on. */
  readonly tango: {
    /** The newest `x-tango-api-version` an answer carried, or `unknown` while none carried a readable one. */
    readonly liveVersion: string;
    /** When that version was first seen. */
    readonly liveSeenAt: string | null;
    /** The vendored contract the worker runs on. */
    readonly contractVersion: string;
    /** Every vendored contract version, oldest first. */
    readonly vendoredVersions: readonly string[];
    /** Set when the live minor version is newer than the contract's; never changes the status or readiness. */
    readonly warning: string | null;
  };
}

export type BackfillReport = BackfillJobView & { readonly rate: JobRate };

/** Everything the report is built from, read at one moment (see HealthSnapshotReader); no I/O past this point. */
export interface HealthSnapshot {
  /** Sync and delivery state, per family (`resource`) and per alert. */
  readonly states: readonly SyncStateRow[];
  readonly backlog: readonly BacklogRow[];
  /** Dead-lettered, unresolved records per family. */
  readonly deadLetters: ReadonlyMap<string, number>;
  readonly openGaps: readonly SyncGap[];
  readonly closedGaps: readonly SyncGap[];
  /** The latest observation of each alert. */
  readonly observations: readonly AlertObservation[];
  readonly budget: BudgetState;
  /** Change events not yet relayed to Kafka. */
  readonly lag: { readonly pending: number; readonly oldestAgeSeconds: number | null };
  readonly rejected: ReadonlyMap<string, RejectedFetches>;
  /** Ids that name no record, per family. */
  readonly unresolved: ReadonlyMap<string, number>;
  readonly shapeStates: readonly FamilyShapeState[];
  readonly jobRuns: readonly JobRun[];
  readonly listedEventTypes: readonly string[];
  readonly tableSizes: readonly TableSize[];
  /** The latest backfill jobs, newest first. */
  readonly backfillJobs: readonly BackfillJobView[];
  /** The newest API version Tango's answers carried, or null while none carried a readable one. */
  readonly tangoApiVersion: SeenApiVersion | null;
  /** The contract version the worker runs on, and every vendored one. */
  readonly contracts: { readonly worker: string; readonly vendored: readonly string[] };
  /** Deliveries seen, verification state and filter probes (freshness-report.ts). */
  readonly freshness: FreshnessSnapshot;
}

/** The settings the report's verdicts depend on. */
export type HealthReportSettings = Pick<
  AppConfig['health'],
  'reconcileMaxQuotaShare' | 'lagDegradedSeconds'
> &
  FreshnessSettings;
