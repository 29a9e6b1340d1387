import { type Provenance } from '../mirror/mirror.repository';
import { type FetchPriority } from '../tango/request-pacer';
import { type FetchRequest } from '../outbox/fetch-request';

/** Everything asked about one record in one batch (duplicates coalesced). */
export interface WantedRecord {
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  hintedAt: Date;
  priority: FetchPriority;
  attempt: number;
  readonly deliveryIds: Set<string>;
  readonly reasons: Set<string>;
  readonly alertIds: Set<string>;
}

const PRIORITY_RANK: Readonly<Record<FetchPriority, number>> = { live: 0, sweep: 1, backfill: 2 };

/** The more urgent of two priorities. */
export function higherPriority(a: FetchPriority, b: FetchPriority): FetchPriority {
  return PRIORITY_RANK[a] <= PRIORITY_RANK[b] ? a : b;
}

/** The requests for records in a batch, one entry per record: newest hint, highest priority, all provenance. */
export function coalesce(requests: readonly FetchRequest[]): Map<string, WantedRecord> {
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
    existing.priority = higherPriority(request.priority, existing.priority);
    existing.attempt = Math.max(existing.attempt, request.attempt);
    request.deliveryIds.forEach((id) => existing.deliveryIds.add(id));
    existing.reasons.add(request.reason);
  }
  return wanted;
}

/** The most urgent priority among a batch's records and sweeps (its Tango requests use it). */
export function batchPriority(wanted: Iterable<WantedRecord>, hasSweeps: boolean): FetchPriority {
  let best: FetchPriority = hasSweeps ? 'sweep' : 'backfill';
  for (const item of wanted) {
    best = higherPriority(item.priority, best);
  }
  return best;
}

/**
 * The records worth fetching: those never fetched, or last fetched before their newest hint (a record fetched
 * after the hint already holds the change the hint announced).
 */
export function staleRecords(
  direct: readonly WantedRecord[],
  fetchTimes: ReadonlyMap<string, Date>,
): WantedRecord[] {
  return direct.filter((item) => {
    const fetchedAt = fetchTimes.get(item.recordId);
    return fetchedAt === undefined || fetchedAt < item.hintedAt;
  });
}

export function provenanceOf(item: WantedRecord | undefined): Provenance {
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

export function sweepProvenance(sweep: FetchRequest): Provenance {
  return {
    deliveryIds: [...sweep.deliveryIds].sort(),
    eventTypes: [sweep.reason.split(':')[0] ?? sweep.reason],
    alertIds: sweep.sweep?.alertId ? [sweep.sweep.alertId] : [],
    reasons: [sweep.reason],
  };
}

export function mergeProvenance(items: readonly Provenance[]): Provenance {
  const merge = (pick: (item: Provenance) => readonly string[]): string[] =>
    [...new Set(items.flatMap(pick))].sort();
  return {
    deliveryIds: merge((item) => item.deliveryIds),
    eventTypes: merge((item) => item.eventTypes),
    alertIds: merge((item) => item.alertIds),
    reasons: merge((item) => item.reasons),
  };
}
