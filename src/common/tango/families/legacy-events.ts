import { type ResourceFamily } from '../resource-family';
import { type FamilyDescriptor, type LegacyNaming } from './family-descriptor';
import { allFamilies, familyForQueryType } from './registry';
import { composedSubject } from './subject-ids';

/** A legacy event field map and its `subject_type`/`subject_id` pair, as a map from subject type to id. */
type EventFields = Readonly<Record<string, unknown>>;
type SubjectMap = Readonly<Partial<Record<string, unknown>>>;

/** One record a legacy event names: the family and the id as sent (validated by the caller). */
export interface LegacyRecord {
  readonly resource: ResourceFamily;
  readonly id: unknown;
}

/** What a legacy event is about, by the descriptors' `legacy` hooks. */
export interface LegacyReading {
  /** The event's own family, null when it cannot be told (see `problem`). */
  readonly resource: ResourceFamily | null;
  /** The records it names, in order (ids not yet validated). */
  readonly records: readonly LegacyRecord[];
  /** Families the event is a delivery for even when it names none of their records. */
  readonly deliveredFor: readonly ResourceFamily[];
  readonly problem: string | null;
}

/** The first segment of a legacy event type, lower case (`awards.new_award` → `awards`). */
export function legacyEventFamilyOf(eventType: string): string {
  return eventType.split('.')[0]?.toLowerCase() ?? '';
}

type Named = FamilyDescriptor & { readonly legacy: LegacyNaming };

const hasLegacy = (descriptor: FamilyDescriptor): descriptor is Named => descriptor.legacy !== undefined;

/** The families each legacy event family names, in registry order (built once: descriptors are constants). */
let groups: ReadonlyMap<string, readonly Named[]> | undefined;

function legacyGroups(): ReadonlyMap<string, readonly Named[]> {
  if (groups === undefined) {
    const built = new Map<string, Named[]>();
    for (const descriptor of allFamilies().filter(hasLegacy)) {
      const group = built.get(descriptor.legacy.eventFamily) ?? [];
      group.push(descriptor);
      built.set(descriptor.legacy.eventFamily, group);
    }
    groups = built;
  }
  return groups;
}

/** Every legacy event family some descriptor reads. */
export function legacyEventFamilies(): ReadonlySet<string> {
  return new Set(legacyGroups().keys());
}

/** `subject_type`/`subject_id` (legacy subject vocabulary), as a map from subject type to id. */
export function subjectOf(event: EventFields): SubjectMap {
  const type = typeof event.subject_type === 'string' ? event.subject_type.toLowerCase() : undefined;
  if (type === undefined) {
    return {};
  }
  return { [type]: event.subject_id };
}

const isIntegerLike = (value: unknown): boolean =>
  typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value));

/**
 * The id a legacy event names a record of the family by (as sent, not yet validated), by its `legacy` hook;
 * undefined for a family legacy events never name.
 */
export function legacyRecordId(descriptor: FamilyDescriptor, event: EventFields): unknown {
  return hasLegacy(descriptor) ? namedId(descriptor, event, subjectOf(event)) : undefined;
}

/**
 * An integer among `integerIdFields`, else the first of `idFields`, the subject and the composed subject that is
 * neither null nor undefined, else the last of them (as `a ?? b ?? c` would).
 */
function namedId(descriptor: Named, event: EventFields, subject: SubjectMap): unknown {
  const naming = descriptor.legacy;
  const integer = (naming.integerIdFields ?? []).map((field) => event[field]).find(isIntegerLike);
  const composed =
    naming.composedSubject === true && descriptor.subjectIds !== undefined
      ? [composedSubject(descriptor.subjectIds, event)]
      : [];
  const candidates = [
    integer,
    ...naming.idFields.map((field) => event[field]),
    subject[naming.subjectType],
    ...composed,
  ];
  return (
    candidates.find((value) => value !== undefined && value !== null) ?? candidates[candidates.length - 1]
  );
}

/** Whether the event names a record of the family at all (optional records are left out when it does not). */
function namesRecord(descriptor: Named, event: EventFields, subject: SubjectMap): boolean {
  const naming = descriptor.legacy;
  return (
    !naming.optional ||
    naming.idFields.some((field) => event[field] !== undefined) ||
    subject[naming.subjectType] !== undefined
  );
}

/**
 * The primary family of the event: the only one, or (families sharing the event family) the one the event's
 * `familyField` names, else the one whose key prefix the id has.
 */
function primaryOf(primaries: readonly Named[], event: EventFields, subject: SubjectMap): Named | string {
  const [first] = primaries;
  if (first === undefined || primaries.length === 1) {
    return first ?? 'no family reads these events';
  }
  const field = first.legacy.familyField;
  const type = field === undefined ? undefined : event[field];
  const byType =
    typeof type === 'string'
      ? primaries.find((descriptor) => descriptor.family === familyForQueryType(type))
      : undefined;
  const byKey = primaries.find((descriptor) => {
    const id = namedId(descriptor, event, subject);
    return (
      descriptor.keyPrefix !== undefined &&
      typeof id === 'string' &&
      id.toUpperCase().startsWith(descriptor.keyPrefix)
    );
  });
  return (
    byType ??
    byKey ??
    `cannot tell the ${first.legacy.subjectType} family: no known \`${field ?? 'type'}\` and no key prefix`
  );
}

/**
 * Reads a legacy (subject-based) event by the descriptors' `legacy` hooks: its family and the records it names
 * (the primary family's first, then companions'). Null when no family reads events of its type.
 */
export function readLegacyEvent(eventType: string, event: EventFields): LegacyReading | null {
  const group = legacyGroups().get(legacyEventFamilyOf(eventType)) ?? [];
  if (group.length === 0) {
    return null;
  }
  const subject = subjectOf(event);
  const primary = primaryOf(
    group.filter((descriptor) => descriptor.legacy.role === 'primary'),
    event,
    subject,
  );
  const named = [
    ...(typeof primary === 'string' ? [] : [primary]),
    ...group.filter((descriptor) => descriptor.legacy.role === 'companion'),
  ];
  return {
    resource: typeof primary === 'string' ? null : primary.family,
    records: named
      .filter((descriptor) => namesRecord(descriptor, event, subject))
      .map((descriptor) => ({ resource: descriptor.family, id: namedId(descriptor, event, subject) })),
    deliveredFor: group
      .filter((descriptor) => descriptor.legacy.deliveredForTypes?.test(eventType) === true)
      .map((descriptor) => descriptor.family),
    problem: typeof primary === 'string' ? primary : null,
  };
}
