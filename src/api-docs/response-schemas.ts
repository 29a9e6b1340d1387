import { type HealthCheckResult } from '@nestjs/terminus';
import {
  type BackfillJobState,
  type FamilyProgress,
  type SegmentState,
} from '../backfill/backfill.repository';
import { type JobRate } from '../backfill/backfill.service';
import { type ChangeKind, type FamilyCoverage } from '../common/tango/families/family-descriptor';
import { RESOURCE_FAMILIES } from '../common/tango/resource-family';
import {
  type ActivitySeries,
  type DeadLetter,
  type RecentDelivery,
  type RecentRejection,
} from '../console/console.repository';
import { type ConsoleFamily, type ConsoleOverview } from '../console/console.service';
import {
  type AlertReport,
  type BackfillReport,
  type FamilyReport,
  type GapView,
  type HealthReport,
  type JobReport,
} from '../health/health-report.types';
import { type FamilyFreshness, type ResourceRefreshReport } from '../health/freshness-report';
import { type HealthStatus } from '../health/health-status';
import { type FreshnessSource, type LearnedBy, type LearningMeans } from '../reconcile/freshness-plan';
import { type TableSize } from '../health/health.repository';
import { type DependencyCheck, type ReadinessReport } from '../health/readiness';
import { type GapSweepOutcome } from '../reconcile/reconciler.service';
import { type DeliveryStatus } from '../webhook/delivery-parser';
import { type IngestResult } from '../webhook/webhook-ingest.service';
import {
  arraySchema,
  booleanSchema,
  dateSchema,
  dateTimeSchema,
  enumOf,
  enumSchema,
  integerSchema,
  type JsonSchema,
  nullable,
  numberSchema,
  objectSchema,
  recordSchema,
  ref,
  stringSchema,
} from './json-schema';

/**
 * JSON Schemas of the HTTP answers whose types exist only in TypeScript. Each `objectSchema<T>` lists exactly the
 * properties of T (the compiler refuses a missing or an extra one), so the documents follow the code. Dates are
 * sent as ISO 8601 strings (JSON.stringify of a Date).
 */

export type ResponseSchemaName =
  | 'AlertHealth'
  | 'BackfillFamilyProgress'
  | 'BackfillJob'
  | 'ConsoleActivity'
  | 'ConsoleDeadLetter'
  | 'ConsoleDelivery'
  | 'ConsoleOverview'
  | 'ConsoleRejection'
  | 'DependencyCheck'
  | 'FamilyHealth'
  | 'Gap'
  | 'GapSweepOutcome'
  | 'HealthCheckResult'
  | 'HealthReport'
  | 'JobHealth'
  | 'ReadinessReport'
  | 'TangoVersion'
  | 'WebhookAccepted'
  | 'WebhookDuplicate';

/** A reference to another of RESPONSE_SCHEMAS (the name is checked by the compiler). */
export function responseSchema(name: ResponseSchemaName): JsonSchema {
  return ref(`#/components/schemas/${name}`);
}

const schema = responseSchema;

const healthStatus = enumSchema<HealthStatus>({ ok: true, degraded: true, failing: true });
const family = enumOf(RESOURCE_FAMILIES, 'Tango resource family');
const changeKind = enumSchema<ChangeKind>({ new: true, modified: true, deleted: true });
const nullableInteger = nullable(integerSchema());
const nullableNumber = nullable(numberSchema());
const nullableString = nullable(stringSchema());
const nullableDateTime = nullable(dateTimeSchema());

/** Tango's budget figures, as both the health report's quota and the console's carry them (in this order). */
const budgetProperties = {
  dailyRemaining: nullableInteger,
  dailyResetAt: nullableDateTime,
  burstLimit: nullableInteger,
  burstRemaining: nullableInteger,
  parkedUntil: nullableDateTime,
} satisfies Partial<Record<keyof HealthReport['quota'] & keyof ConsoleOverview['quota'], JsonSchema>>;

const looseObject = recordSchema({});

const gapView = objectSchema<GapView>({
  id: stringSchema('The gap id (bigint as text)'),
  scope: stringSchema(),
  scopeKey: stringSchema(),
  resource: nullableString,
  alertId: nullableString,
  cause: stringSchema(),
  rangeStart: dateTimeSchema(),
  rangeEnd: dateTimeSchema(),
  openedAt: dateTimeSchema(),
  closedAt: nullableDateTime,
  sweepAttempts: integerSchema(),
  lastSweepError: nullableString,
  detail: looseObject,
});

const familyProgress = objectSchema<FamilyProgress>({
  family,
  segments: objectSchema<Record<SegmentState, number>>({
    pending: integerSchema(),
    running: integerSchema(),
    done: integerSchema(),
    split: integerSchema(),
    failed: integerSchema(),
  }),
  pages: integerSchema(),
  records: integerSchema(),
  changes: integerSchema(),
  expected: nullable(integerSchema('Records Tango counts in the segments (an upper bound)')),
  failures: integerSchema(),
  lastError: nullableString,
});

const backfillJob = objectSchema<BackfillReport>(
  {
    id: stringSchema('Job id (UUID)'),
    families: arraySchema(family),
    since: nullable(dateSchema()),
    until: nullable(dateSchema('Last day of a windowed job (a reconciliation sweep)')),
    gapId: nullable(stringSchema('The gap a reconciliation sweep job repairs')),
    state: enumSchema<BackfillJobState>({
      running: true,
      paused: true,
      cancelled: true,
      done: true,
      failed: true,
    }),
    requestedBy: stringSchema(),
    createdAt: dateTimeSchema(),
    updatedAt: dateTimeSchema(),
    finishedAt: nullableDateTime,
    lastError: nullableString,
    progress: arraySchema(schema('BackfillFamilyProgress')),
    rate: objectSchema<JobRate>({
      recordsPerSecond: nullableNumber,
      etaSeconds: nullableNumber,
    }),
  },
  { description: 'A backfill job with its progress per family, rate and ETA' },
);

const coverage = objectSchema<FamilyCoverage>({
  detects: arraySchema(changeKind),
  onlyBySampling: arraySchema(changeKind),
  sweepBy: stringSchema(),
});

const learningMeans = arraySchema(
  enumSchema<LearningMeans>({
    alerts: true,
    'incremental poll': true,
    'full walk': true,
    'newest-first poll': true,
    'gap sweeps': true,
    'modified-since poll': true,
    're-verification': true,
  }),
);

const freshness = objectSchema<FamilyFreshness>(
  {
    source: enumSchema<FreshnessSource>({
      alerts: true,
      'newest-poll': true,
      'incremental-poll': true,
      'full-refresh': true,
    }),
    sourceWhy: stringSchema('Why: Tango lists or sent the alert type, or neither'),
    learnedBy: objectSchema<LearnedBy>({
      new: learningMeans,
      modified: learningMeans,
      deleted: learningMeans,
    }),
    modifiedSince: nullable(
      objectSchema<NonNullable<FamilyFreshness['modifiedSince']>>({
        honoured: booleanSchema(),
        detail: stringSchema(),
        probedAt: dateTimeSchema(),
      }),
    ),
    mirrored: integerSchema('Live mirrored records'),
    oldestVerifiedAt: nullableDateTime,
    oldestVerificationAgeSeconds: nullableNumber,
    cycleEstimateSeconds: nullableNumber,
    verificationBoundSeconds: integerSchema(),
    refresh: nullable(
      objectSchema<ResourceRefreshReport>(
        {
          mode: enumSchema<ResourceRefreshReport['mode']>({
            full: true,
            since_filter: true,
            newest_first: true,
          }),
          sinceFilter: nullableString,
          ordering: nullableString,
          idField: stringSchema(),
          idCertainty: enumSchema<ResourceRefreshReport['idCertainty']>({
            confirmed: true,
            likely: true,
            unconfirmed: true,
          }),
          detailRoute: booleanSchema(),
          dimension: booleanSchema(),
          pollSeconds: nullableNumber,
          fullSeconds: integerSchema(),
          lastPollAt: nullableDateTime,
          lastFullWalkAt: nullableDateTime,
          nextDueAt: nullableDateTime,
          lastOutcome: nullable(looseObject),
          lastError: nullableString,
          lastErrorAt: nullableDateTime,
        },
        {
          description:
            'How a contract resource is kept fresh by list walks (src/resources); null for the nine families',
        },
      ),
    ),
    problem: nullableString,
  },
  { description: 'How new, modified and deleted records are learned, and the oldest verification' },
);

const familyReport = objectSchema<FamilyReport>(
  {
    status: healthStatus,
    reasons: arraySchema(stringSchema()),
    lastDeliveryReceivedAt: nullableDateTime,
    lastTangoTimestamp: nullableDateTime,
    lastFetchSucceededAt: nullableDateTime,
    lastChangeEmittedAt: nullableDateTime,
    reconciledThrough: nullableDateTime,
    lastError: nullableString,
    lastErrorAt: nullableDateTime,
    openGaps: arraySchema(schema('Gap')),
    backlog: objectSchema<FamilyReport['backlog']>({
      pending: integerSchema(),
      oldestAgeSeconds: nullableNumber,
    }),
    deadLetters: integerSchema(),
    rejectedFetches: objectSchema<FamilyReport['rejectedFetches']>({
      count: integerSchema(),
      lastStatus: nullableInteger,
      lastError: nullableString,
      lastFailedAt: nullableDateTime,
    }),
    shape: objectSchema<FamilyReport['shape']>({
      status: enumSchema<FamilyReport['shape']['status']>({ full: true, reduced: true, unshaped: true }),
      dropped: arraySchema(
        objectSchema<FamilyReport['shape']['dropped'][number]>({
          path: stringSchema(),
          reason: stringSchema(),
          since: dateTimeSchema(),
        }),
      ),
      unshapedReason: nullableString,
      degradedSince: nullableDateTime,
      driftEvents: integerSchema(),
      lastProbeAt: nullableDateTime,
      lastProbeOutcome: nullableString,
      restoredAt: nullableDateTime,
      notMirrored: arraySchema(
        objectSchema<FamilyReport['shape']['notMirrored'][number]>({
          path: stringSchema(),
          reason: stringSchema(),
          detail: stringSchema(),
        }),
      ),
      paths: objectSchema<FamilyReport['shape']['paths']>({ whole: integerSchema(), asked: integerSchema() }),
    }),
    unresolvedIds: integerSchema(),
    coverage,
    freshness,
  },
  { description: "One family's health" },
);

const jobReport = objectSchema<JobReport>({
  job: stringSchema(),
  status: healthStatus,
  runs: integerSchema(),
  lastStartedAt: nullableDateTime,
  lastSucceededAt: nullableDateTime,
  lastError: nullableString,
  lastErrorAt: nullableDateTime,
  lastFinishedAt: nullableDateTime,
  lastOutcome: nullable(looseObject),
});

const alertReport = objectSchema<AlertReport>({
  alertId: stringSchema(),
  queryType: stringSchema(),
  resource: nullableString,
  status: healthStatus,
  reason: nullableString,
  alertStatus: stringSchema(),
  frequency: nullableString,
  matchCount: integerSchema(),
  lastCheckedAt: nullableDateTime,
  observedAt: dateTimeSchema(),
  lastDeliveryReceivedAt: nullableDateTime,
  reconciledThrough: nullableDateTime,
});

const tangoVersion = objectSchema<HealthReport['tango']>(
  {
    liveVersion: stringSchema('The newest x-tango-api-version an answer carried, or `unknown`'),
    liveSeenAt: nullableDateTime,
    contractVersion: stringSchema('The vendored contract the worker runs on'),
    vendoredVersions: arraySchema(stringSchema()),
    warning: nullableString,
  },
  {
    description:
      "The live Tango API version beside the worker's vendored contract; `warning` when the live minor version is newer (never a status change)",
  },
);

const healthReport = objectSchema<HealthReport>(
  {
    status: healthStatus,
    generatedAt: dateTimeSchema(),
    families: objectSchema<HealthReport['families']>(
      Object.fromEntries(RESOURCE_FAMILIES.map((name) => [name, schema('FamilyHealth')])) as Record<
        keyof HealthReport['families'],
        JsonSchema
      >,
      {
        description: 'One report per resource turned on (TANGO_RESOURCES); the others are absent',
        optional: RESOURCE_FAMILIES,
      },
    ),
    alerts: arraySchema(schema('AlertHealth')),
    gaps: objectSchema<HealthReport['gaps']>({
      open: arraySchema(schema('Gap')),
      recentlyClosed: arraySchema(schema('Gap')),
    }),
    lag: objectSchema<HealthReport['lag']>({
      changeEventsPending: integerSchema(),
      changeEventsOldestAgeSeconds: nullableNumber,
    }),
    quota: objectSchema<HealthReport['quota']>({
      dailyLimit: nullableInteger,
      ...budgetProperties,
      parkedReason: nullableString,
      sweepShare: numberSchema(),
      sweepRequestsAllowed: nullableInteger,
      sweepsPausedReason: nullableString,
    }),
    reconcile: nullable(recordSchema({}, "The last reconcile run's outcome")),
    storage: objectSchema<HealthReport['storage']>({
      tables: arraySchema(
        objectSchema<TableSize>({
          table: stringSchema(),
          bytes: integerSchema(),
          estimatedRows: integerSchema(),
        }),
      ),
      totalBytes: integerSchema(),
      retention: nullable(schema('JobHealth')),
    }),
    jobs: arraySchema(schema('JobHealth')),
    eventTypes: objectSchema<HealthReport['eventTypes']>({
      listed: arraySchema(stringSchema()),
      unknown: arraySchema(stringSchema()),
    }),
    backfills: arraySchema(schema('BackfillJob')),
    problems: arraySchema(stringSchema()),
    tango: schema('TangoVersion'),
  },
  { description: 'Whether the mirror can be trusted, per family' },
);

const dependencyCheck = objectSchema<DependencyCheck>(
  { status: enumSchema<DependencyCheck['status']>({ up: true, down: true }), message: stringSchema() },
  { optional: ['message'] },
);

const readinessReport = objectSchema<ReadinessReport>(
  {
    status: enumSchema<ReadinessReport['status']>({ ok: true, degraded: true, error: true }),
    canIngest: booleanSchema('Not shutting down and Postgres answers: webhooks may be sent'),
    fullyOperational: booleanSchema('Kafka answers too: fetch requests and change events flow'),
    info: recordSchema(schema('DependencyCheck'), 'The checks that are up'),
    error: recordSchema(schema('DependencyCheck'), 'The checks that are down'),
    degraded: arraySchema(stringSchema(), 'What does not work while webhooks are still taken'),
  },
  { description: 'What the process can do now' },
);

const indicatorResults = recordSchema(
  { type: 'object', properties: { status: stringSchema() }, required: ['status'] },
  'Results by indicator name',
);

const healthCheckResult = objectSchema<HealthCheckResult>(
  {
    status: enumSchema<HealthCheckResult['status']>({
      error: true,
      ok: true,
      degraded: true,
      shutting_down: true,
    }),
    info: indicatorResults,
    error: indicatorResults,
    details: indicatorResults,
  },
  { description: '@nestjs/terminus health check result', optional: ['info', 'error'] },
);

const consoleFamily = objectSchema<ConsoleFamily>({
  family,
  status: healthStatus,
  reasons: arraySchema(stringSchema()),
  records: integerSchema('Rows in the mirror (exact below 50,000, Postgres estimate above)'),
  lastDeliveryReceivedAt: nullableDateTime,
  lastFetchSucceededAt: nullableDateTime,
  freshnessSeconds: nullableNumber,
  backlog: objectSchema<ConsoleFamily['backlog']>({
    pending: integerSchema(),
    oldestAgeSeconds: nullableNumber,
  }),
  openGaps: arraySchema(schema('Gap')),
  deadLetters: integerSchema(),
  shape: objectSchema<ConsoleFamily['shape']>({
    status: stringSchema(),
    dropped: arraySchema(stringSchema()),
    notMirrored: arraySchema(stringSchema()),
    paths: objectSchema<ConsoleFamily['shape']['paths']>({ whole: integerSchema(), asked: integerSchema() }),
  }),
});

const consoleOverview = objectSchema<ConsoleOverview>(
  {
    generatedAt: dateTimeSchema(),
    status: healthStatus,
    families: arraySchema(consoleFamily),
    gaps: arraySchema(schema('Gap')),
    changeEvents: objectSchema<ConsoleOverview['changeEvents']>({
      pending: integerSchema(),
      oldestAgeSeconds: nullableNumber,
    }),
    quota: objectSchema<ConsoleOverview['quota']>({
      dailyLimit: nullableInteger,
      dailyUsed: nullableInteger,
      ...budgetProperties,
      sweepsPausedReason: nullableString,
    }),
    backfills: arraySchema(schema('BackfillJob')),
    unknownEventTypes: arraySchema(stringSchema()),
    problems: arraySchema(stringSchema()),
    tango: schema('TangoVersion'),
    actionsEnabled: booleanSchema('Whether an operator token is configured (each action still needs it)'),
  },
  { description: "What the console's page shows" },
);

const recentDelivery = objectSchema<RecentDelivery>({
  id: stringSchema(),
  deliveryId: nullableString,
  receivedAt: dateTimeSchema(),
  status: stringSchema(),
  eventTypes: arraySchema(stringSchema()),
  events: integerSchema(),
  targets: integerSchema(),
  verifiedBy: stringSchema('Fingerprint of the secret that verified it, or `insecure`'),
  duplicates: integerSchema(),
});

const recentRejection = objectSchema<RecentRejection>({
  occurredAt: dateTimeSchema(),
  httpStatus: integerSchema(),
  code: stringSchema(),
  detail: nullableString,
  deliveryId: nullableString,
  bodyBytes: nullableInteger,
});

const deadLetter = objectSchema<DeadLetter>({
  family: stringSchema(),
  recordId: stringSchema(),
  kind: stringSchema(),
  attempts: integerSchema(),
  lastStatus: nullableInteger,
  lastError: nullableString,
  lastFailedAt: dateTimeSchema(),
  deadLetteredAt: dateTimeSchema(),
});

const series = arraySchema(numberSchema());
const activitySeries = objectSchema<ActivitySeries>(
  {
    bucketSeconds: integerSchema(),
    at: arraySchema(integerSchema(), 'Bucket starts (unix seconds), oldest first'),
    deliveries: series,
    recordsFetched: series,
    tangoRequests: series,
    tangoThrottled: series,
    changesPublished: series,
  },
  { description: 'Per-bucket counts, aligned with `at`' },
);

const gapSweepOutcome = objectSchema<GapSweepOutcome>({
  gapId: stringSchema(),
  closed: booleanSchema(),
  records: integerSchema(),
  changes: integerSchema(),
  requests: integerSchema(),
  why: nullableString,
});

/** The webhook's answers (built in WebhookHttpRoute.receive from IngestResult). */
type Accepted = Extract<IngestResult, { outcome: 'accepted' }>;
interface WebhookAccepted {
  readonly status: Exclude<DeliveryStatus, 'processed'> | 'accepted';
  readonly delivery_id: Accepted['deliveryId'];
  readonly events: Accepted['events'];
  readonly targets: Accepted['targets'];
}
interface WebhookDuplicate {
  readonly status: 'duplicate';
  readonly delivery_id: Extract<IngestResult, { outcome: 'duplicate' }>['deliveryId'];
}

const webhookAccepted = objectSchema<WebhookAccepted>(
  {
    status: enumSchema<WebhookAccepted['status']>(
      { accepted: true, unrecognized: true, malformed: true, not_mirrored: true },
      '`accepted`: understood and turned into fetch targets; `unrecognized`: an event type the parser does not ' +
        'know yet (kept for reprocessing); `malformed`: unusable content (stored raw); `not_mirrored`: a family ' +
        'the mirror does not cover',
    ),
    delivery_id: nullable(stringSchema('The delivery id (from the body, else X-Tango-Delivery-Id)')),
    events: integerSchema('Events in the delivery'),
    targets: integerSchema('Fetch targets it created or hinted'),
  },
  { description: 'The delivery is stored durably (one transaction) before this answer' },
);

const webhookDuplicate = objectSchema<WebhookDuplicate>(
  {
    status: enumSchema<WebhookDuplicate['status']>({ duplicate: true }),
    delivery_id: nullable(stringSchema()),
  },
  { description: 'The same delivery was stored before; nothing new was done' },
);

/** `components.schemas` of the OpenAPI document. */
export const RESPONSE_SCHEMAS: Readonly<Record<ResponseSchemaName, JsonSchema>> = {
  AlertHealth: alertReport,
  BackfillFamilyProgress: familyProgress,
  BackfillJob: backfillJob,
  ConsoleActivity: activitySeries,
  ConsoleDeadLetter: deadLetter,
  ConsoleDelivery: recentDelivery,
  ConsoleOverview: consoleOverview,
  ConsoleRejection: recentRejection,
  DependencyCheck: dependencyCheck,
  FamilyHealth: familyReport,
  Gap: gapView,
  GapSweepOutcome: gapSweepOutcome,
  HealthCheckResult: healthCheckResult,
  HealthReport: healthReport,
  JobHealth: jobReport,
  ReadinessReport: readinessReport,
  TangoVersion: tangoVersion,
  WebhookAccepted: webhookAccepted,
  WebhookDuplicate: webhookDuplicate,
};
