import { type JsonRecord } from '../../json';
import { type FamilyDescriptor, type SubjectIds } from './family-descriptor';

/** A `<system>:<external>` subject id, split. */
export interface Subject {
  readonly system: string;
  readonly external: string;
}

/** The system part has no colon, so the first colon splits; the external part is anything (up to 200 chars). */
const SUBJECT = /^([A-Za-z0-9_.-]{1,64}):(.{1,200})$/;

/** The subject an id names, or null when the id is not `<system>:<external>`. */
export function parseSubject(text: string): Subject | null {
  const match = SUBJECT.exec(text);
  if (match === null) {
    return null;
  }
  return { system: match[1] ?? '', external: match[2] ?? '' };
}

/** How the subject ids are written, for problems (`<source_system>:<external_id>`). */
export function subjectPattern(subject: SubjectIds): string {
  return `<${subject.systemField}>:<${subject.externalField}>`;
}

/** The subject an event (or record) composes of its subject fields, when the system is text and the id a value. */
export function composedSubject(
  subject: SubjectIds,
  fields: Readonly<Record<string, unknown>>,
): string | undefined {
  const system = fields[subject.systemField];
  const external = fields[subject.externalField];
  return typeof system === 'string' && (typeof external === 'string' || typeof external === 'number')
    ? `${system}:${String(external)}`
    : undefined;
}

/** Whether a fetched record is the one the subject names (the search cannot filter on the external field). */
export function recordMatchesSubject(subject: SubjectIds, wanted: Subject, record: JsonRecord): boolean {
  const external = record[subject.externalField];
  return (
    record[subject.systemField] === wanted.system &&
    (typeof external === 'string' || typeof external === 'number') &&
    String(external) === wanted.external
  );
}

/** `YYYY-MM-DD` of a date (UTC). */
function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The list query of the bounded search: the subject's system, modified since the given day. */
export function subjectSearchQuery(
  subject: SubjectIds,
  wanted: Subject,
  since: Date,
): Record<string, string> {
  return { [subject.systemFilter]: wanted.system, [subject.modifiedAfterFilter]: day(since) };
}

/**
 * How the mirror finds a subject's record: the table, its id column, and the typed columns that hold the subject
 * fields, with their values. Null when the family has no subject ids or does not keep both fields as columns.
 * The mirror's query: `SELECT <idColumn>::text AS id FROM <table> WHERE <columns[0]> = $1 AND <columns[1]> = $2
 * ORDER BY fetched_at DESC LIMIT 1` with `values`.
 */
export function subjectLookup(
  descriptor: FamilyDescriptor,
  wanted: Subject,
): {
  readonly table: string;
  readonly idColumn: string;
  readonly columns: readonly [string, string];
  readonly values: readonly [string, string];
} | null {
  const subject = descriptor.subjectIds;
  if (subject === undefined) {
    return null;
  }
  const columnOf = (field: string): string | undefined =>
    descriptor.columns.find((column) => column.path === field && column.type === 'text')?.name;
  const system = columnOf(subject.systemField);
  const external = columnOf(subject.externalField);
  if (system === undefined || external === undefined) {
    return null;
  }
  return {
    table: descriptor.table,
    idColumn: descriptor.idField,
    columns: [system, external],
    values: [wanted.system, wanted.external],
  };
}
