import { type JsonRecord, type JsonValue } from '../../json';
import { type ResourceFamily } from '../resource-family';
import { type FamilyDescriptor, type IdKind } from './family-descriptor';
import { normalizeRecordId, recordIdOf } from './record-id';
import { FAMILIES } from './registry';

/** The records one follow-up of a batch asks for, before the mirror is asked which it holds. */
export interface FollowUpPlan {
  readonly family: ResourceFamily;
  readonly idKind: IdKind;
  readonly reason: string;
  /** Fetched whatever the mirror holds (the latest one may have changed). */
  readonly always: readonly string[];
  /** Fetched only when the mirror does not hold them yet. */
  readonly unlessMirrored: readonly string[];
}

/** A follow-up id in the target family's mirror form; only non-empty text counts. */
function followUpId(target: FamilyDescriptor, value: JsonValue | undefined): string | null {
  return typeof value === 'string' && value !== '' ? normalizeRecordId(target, value) : null;
}

/**
 * What the descriptor's `followUps` ask for after a batch of the family was mirrored: for every record among
 * `records` whose id is in `changed`, its latest follow-up record, and every listed one. Empty when the family
 * has no follow-ups or nothing changed.
 */
export function followUpsOf(
  descriptor: FamilyDescriptor,
  records: readonly JsonRecord[],
  changed: ReadonlySet<string>,
): FollowUpPlan[] {
  if (changed.size === 0) {
    return [];
  }
  const changedRecords = records.filter((record) => {
    const id = recordIdOf(descriptor, record);
    return id !== null && changed.has(id);
  });
  return (descriptor.followUps ?? []).map((followUp) => {
    const target = FAMILIES[followUp.family];
    const always = new Set<string>();
    const listed = new Set<string>();
    for (const record of changedRecords) {
      const latest = followUpId(target, record[followUp.latestField]);
      if (latest !== null) {
        always.add(latest);
      }
      const entries = record[followUp.listField];
      for (const entry of Array.isArray(entries) ? entries : []) {
        const id =
          entry !== null && typeof entry === 'object' && !Array.isArray(entry)
            ? followUpId(target, entry[followUp.entryIdField])
            : null;
        if (id !== null) {
          listed.add(id);
        }
      }
    }
    return {
      family: followUp.family,
      idKind: target.idKind,
      reason: followUp.reason,
      always: [...always],
      unlessMirrored: [...listed],
    };
  });
}

/** The ids of a plan to fetch, given the ids of `unlessMirrored` that the mirror holds: each once, in order. */
export function followUpIds(plan: FollowUpPlan, mirrored: { has(id: string): boolean }): string[] {
  return [...new Set([...plan.always, ...plan.unlessMirrored.filter((id) => !mirrored.has(id))])];
}
