import { type ResourceFamily } from '../common/tango/resource-family';
import {
  type FetchedRecord,
  fetchedRecord,
  type MirrorChange,
  type Provenance,
} from '../mirror/mirror.repository';
import { type FetchRequest } from '../outbox/fetch-request';
import { type RetryTarget } from '../outbox/fetch-target-outbox';
import { type FailureRecord } from '../sync-state/fetch-failure.repository';
import { type GapToOpen } from '../sync-state/gap.repository';
import { type FetchedOk } from '../tango/record-fetcher';
import { mergeProvenance, provenanceOf, type WantedRecord } from './fetch-batch';
import { decideFailure, type FetchFailure, type RetrySettings, splitNotFound } from './fetch-policy';

/** What fetching a family's records produced, before any decision is written. */
export interface FetchedRecords {
  readonly found: ReadonlyMap<
    string,
    { readonly fetched: FetchedOk; readonly item: WantedRecord | undefined }
  >;
  readonly notFound: ReadonlyMap<string, Date>;
  readonly mirrored: ReadonlySet<string>;
  readonly failures: readonly { readonly item: WantedRecord; readonly failure: FetchFailure }[];
  readonly skipped: number;
  readonly requests: number;
}

/** What the alert re-runs of a batch produced. */
export interface SweptRecords {
  readonly records: readonly FetchedRecord[];
  /** Sweep targets (`alert:<id>`) that ran to the end: their open failures are resolved. */
  readonly succeeded: readonly string[];
  readonly gaps: readonly GapToOpen[];
  readonly failures: readonly { readonly sweep: FetchRequest; readonly failure: FetchFailure }[];
  readonly requests: number;
}

export const EMPTY_SWEEPS: SweptRecords = { records: [], succeeded: [], gaps: [], failures: [], requests: 0 };

export interface DeadLetter {
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  readonly attempts: number;
  readonly status: number | null;
  readonly error: string;
}

/** Everything one family batch writes, in one transaction, and what it sends to Kafka after the commit. */
export interface CommitPlan {
  readonly upserts: readonly FetchedRecord[];
  readonly tombstones: readonly string[];
  readonly tombstonedAt: Date;
  readonly tombstoneProvenance: Provenance;
  readonly resolved: readonly string[];
  readonly failureRows: readonly FailureRecord[];
  readonly retries: readonly RetryTarget[];
  readonly gaps: readonly GapToOpen[];
  readonly deadLetters: readonly DeadLetter[];
  readonly firstError: string | null;
}

/** A record or an alert sweep that failed: what a retry, a failure row and a dead letter of it carry. */
interface FailedTarget {
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  readonly kind: FetchRequest['kind'];
  /** The reason its retry carries. */
  readonly retryReason: string;
  readonly priority: FetchRequest['priority'];
  readonly sweep: FetchRequest['sweep'];
  readonly failure: FetchFailure;
}

/** 404s for records the mirror never held: recorded as `not_found`, never tombstoned. */
function notFoundFailures(
  wanted: ReadonlyMap<string, WantedRecord>,
  neverMirrored: readonly string[],
): { item: WantedRecord; failure: FetchFailure }[] {
  return neverMirrored.flatMap((id) => {
    const item = wanted.get(id);
    return item === undefined
      ? []
      : [
          {
            item,
            failure: {
              attempt: item.attempt,
              error: null,
              kind: 'not_found' as const,
              message: 'Tango answered 404 for a record the mirror never held',
            },
          },
        ];
  });
}

/** Every failure of the batch, records and sweeps alike. */
function failedTargets(
  recordFailures: readonly { item: WantedRecord; failure: FetchFailure }[],
  sweepFailures: SweptRecords['failures'],
): FailedTarget[] {
  return [
    ...recordFailures.map(({ item, failure }) => ({
      recordId: item.recordId,
      idKind: item.idKind,
      kind: 'record' as const,
      retryReason: 'retry',
      priority: item.priority,
      sweep: null,
      failure,
    })),
    ...sweepFailures.map(({ sweep, failure }) => ({
      recordId: sweep.recordId,
      idKind: 'alert' as const,
      kind: 'sweep' as const,
      retryReason: sweep.reason,
      priority: 'sweep' as const,
      sweep: sweep.sweep,
      failure,
    })),
  ];
}

/** What each failure becomes: a retry after its backoff, a `fetch_failures` row, a dead letter (any of them). */
export function planFailures(
  family: ResourceFamily,
  failed: readonly FailedTarget[],
  settings: RetrySettings,
  now: Date,
): Pick<CommitPlan, 'retries' | 'failureRows' | 'deadLetters'> {
  const retries: RetryTarget[] = [];
  const failureRows: FailureRecord[] = [];
  const deadLetters: DeadLetter[] = [];
  for (const target of failed) {
    const decision = decideFailure(target.failure, settings, now);
    const { recordId, idKind, kind, sweep } = target;
    if (decision.retryAt !== null) {
      retries.push({
        ...{ resource: family, recordId, idKind, kind, reason: target.retryReason },
        ...{ priority: target.priority, sweep, attempt: decision.attempt, notBefore: decision.retryAt },
      });
    }
    const error = target.failure.message;
    if (decision.record !== null) {
      const { kind: failureKind, status } = decision.record;
      failureRows.push({
        resource: family,
        recordId,
        idKind,
        kind: failureKind,
        status,
        error,
        sweep,
        deadLettered: decision.deadLetter,
      });
    }
    if (decision.deadLetter) {
      deadLetters.push({
        recordId,
        idKind,
        attempts: decision.attempt,
        status: decision.record?.status ?? null,
        error,
      });
    }
  }
  return { retries, failureRows, deadLetters };
}

/**
 * Decides, for everything a family batch fetched or not, what it writes: upserts (with why each record was
 * fetched), tombstones (confirmed 404s of mirrored records), failures resolved, failures recorded, retries, dead
 * letters and the gaps its sweeps found. No I/O.
 */
export function planCommit(
  family: ResourceFamily,
  wanted: ReadonlyMap<string, WantedRecord>,
  fetched: FetchedRecords,
  swept: SweptRecords,
  settings: RetrySettings,
  now: Date,
): CommitPlan {
  const { tombstones, neverMirrored } = splitNotFound(fetched.notFound, fetched.mirrored);
  const failed = failedTargets(
    [...fetched.failures, ...notFoundFailures(wanted, neverMirrored)],
    swept.failures,
  );
  const { retries, failureRows, deadLetters } = planFailures(family, failed, settings, now);
  const upserts: FetchedRecord[] = [
    ...[...fetched.found.values()].map(({ fetched: record, item }) =>
      fetchedRecord(record, provenanceOf(item)),
    ),
    ...swept.records,
  ];
  return {
    upserts,
    tombstones,
    tombstonedAt: new Date(Math.max(0, ...tombstones.map((id) => fetched.notFound.get(id)?.getTime() ?? 0))),
    tombstoneProvenance: mergeProvenance(tombstones.map((id) => provenanceOf(wanted.get(id)))),
    resolved: [...fetched.found.keys(), ...tombstones, ...swept.succeeded],
    failureRows,
    retries,
    gaps: swept.gaps,
    deadLetters,
    firstError: failureRows[0]?.error ?? null,
  };
}

/** Whether a commit counts as a successful fetch of the family (anything written or resolved). */
export function planSucceeded(plan: CommitPlan): boolean {
  return plan.upserts.length + plan.tombstones.length + plan.resolved.length > 0;
}

/** The changes of a commit that created or updated a record (the ones follow-ups look at). */
export function changedIds(changes: readonly MirrorChange[]): Set<string> {
  return new Set(changes.map((change) => change.recordId));
}
