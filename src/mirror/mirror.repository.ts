import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type JsonRecord, type JsonValue } from '../common/json';
import {
  type ColumnType,
  FAMILIES,
  type FamilyDescriptor,
  recordIdOf,
  type Subject,
  subjectLookup,
} from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { notifyOutbox, OUTBOX_CHANNELS } from '../outbox/channels';
import { insertChangeEventsSql } from '../outbox/change-event-outbox';
import { contentHash } from './content-hash';
import { sourceModifiedAt, typedColumnValues } from './typed-columns';

/** Why a record was fetched: carried into its change event so consumers can trace it to a delivery. */
export interface Provenance {
  readonly deliveryIds: readonly string[];
  readonly eventTypes: readonly string[];
  readonly alertIds: readonly string[];
  readonly reasons: readonly string[];
  readonly snapshot?: boolean;
}

export interface FetchedRecord {
  readonly record: JsonRecord;
  /** When the request that returned it was sent: an older fetch never overwrites a newer one. */
  readonly fetchedAt: Date;
  readonly provenance: Provenance;
  /**
   * Top-level fields of the full shape this fetch could not ask for (contract drift, or an unshaped answer): the
   * mirrored record keeps their last known values, so a field leaving the shape is not reported as a change.
   */
  readonly missingFields?: readonly string[];
  /**
   * Fetched without a shape (the tier refuses them): Tango's default serializer chose the form of nested objects,
   * so they are reconciled with the mirrored version instead of replacing it (see `reconcileUnshaped`).
   */
  readonly unshaped?: boolean;
}

/** A record as a fetch returned it, with why it was fetched. */
export function fetchedRecord(
  fetched: {
    readonly record: JsonRecord;
    readonly sentAt: Date;
    readonly missingFields: readonly string[];
    readonly unshaped: boolean;
  },
  provenance: Provenance,
): FetchedRecord {
  return {
    record: fetched.record,
    fetchedAt: fetched.sentAt,
    provenance,
    missingFields: fetched.missingFields,
    unshaped: fetched.unshaped,
  };
}

function isObject(value: JsonValue | undefined): value is Record<string, JsonValue> {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/**
 * An unshaped answer's field against its mirrored (shaped) version. Tango's default serializer may give a code
 * object as its bare code, or an object with fewer keys than its expansion: neither is a change of the record.
 * A bare code equal to the mirrored object's code keeps the object; an object updates the keys it has and keeps
 * the others; anything else (a real change, a list) is taken as Tango sent it.
 */
export function reconcileUnshaped(previous: JsonValue | undefined, current: JsonValue): JsonValue {
  if (isObject(previous) && (typeof current === 'string' || typeof current === 'number')) {
    return previous.code === current ? previous : current;
  }
  if (isObject(previous) && isObject(current)) {
    return { ...previous, ...current };
  }
  return current;
}

export interface MirrorChange {
  readonly recordId: string;
  readonly changeType: 'created' | 'updated' | 'enriched' | 'deleted';
  readonly version: number;
}

export interface UpsertOutcome {
  readonly changes: readonly MirrorChange[];
  /** Records whose content was already mirrored (only their fetch time moved). */
  readonly unchanged: number;
  /** Records refused because a newer fetch was already mirrored. */
  readonly stale: number;
  /** Records without a usable id (counted, never written). */
  readonly withoutId: number;
}

/** Records per upsert statement: a few hundred keep each statement's synchronous work (serializing) short. */
export const UPSERT_SLICE = 250;

const SQL_TYPE: Readonly<Record<ColumnType, string>> = {
  text: 'text',
  date: 'date',
  timestamptz: 'timestamptz',
  numeric: 'numeric',
  integer: 'integer',
  bigint: 'bigint',
  boolean: 'boolean',
};

/**
 * Writes fetched records into the mirror tables: set-based, one statement per slice of a family batch, skipping
 * records whose content hash did not change, bumping `version` on change, never letting an older fetch win, and
 * writing each change's event into the `change_events` outbox and its version into `record_history` in the same
 * statement (so in the same transaction).
 */
@Injectable()
export class MirrorRepository {
  constructor(private readonly dataSource: DataSource) {}

  async upsert(
    family: ResourceFamily,
    fetched: readonly FetchedRecord[],
    manager?: EntityManager,
  ): Promise<UpsertOutcome> {
    const spec = FAMILIES[family];
    const byId = new Map<string, FetchedRecord & { id: string }>();
    let withoutId = 0;
    for (const item of fetched) {
      const id = recordIdOf(spec, item.record);
      if (id === null) {
        withoutId += 1;
        continue;
      }
      const previous = byId.get(id);
      // The same record twice in one batch: keep the one from the newest request.
      if (previous === undefined || previous.fetchedAt <= item.fetchedAt) {
        byId.set(id, { ...item, id });
      }
    }
    const sorted = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (sorted.length === 0) {
      return { changes: [], unchanged: 0, stale: 0, withoutId };
    }
    const changes: MirrorChange[] = [];
    let unchanged = 0;
    let stale = 0;
    // In slices, each its own statement (in the caller's transaction): a sweep of thousands of records never
    // serializes them all in one synchronous step, which would hold up every other request of the process.
    for (let start = 0; start < sorted.length; start += UPSERT_SLICE) {
      const slice = await this.upsertSlice(spec, sorted.slice(start, start + UPSERT_SLICE), manager);
      changes.push(...slice.changes);
      unchanged += slice.unchanged;
      stale += slice.stale;
    }
    await notifyOutbox(manager ?? this.dataSource.manager, OUTBOX_CHANNELS.changeEvents, changes.length);
    return { changes, unchanged, stale, withoutId };
  }

  /**
   * Tombstones records Tango no longer has (confirmed 404s): `deleted_at` set, `version` bumped, a `deleted`
   * event written. Records fetched after the confirming request are left alone.
   */
  async markDeleted(
    family: ResourceFamily,
    ids: readonly string[],
    confirmedAt: Date,
    provenance: Provenance,
    manager?: EntityManager,
  ): Promise<MirrorChange[]> {
    if (ids.length === 0) {
      return [];
    }
    const spec = FAMILIES[family];
    const rows = await (manager ?? this.dataSource.manager).query<{ id: string; version: number }[]>(
      `WITH deleted AS (
         UPDATE ${spec.table} m
            SET deleted_at = $2, version = m.version + 1, changed_at = clock_timestamp(), fetched_at = $2
          WHERE m.${spec.idField} = ANY($1::${spec.idType}[]) AND m.deleted_at IS NULL AND m.fetched_at <= $2
          RETURNING m.${spec.idField}::text AS id, m.version, m.content_hash, m.changed_at, m.source_modified_at,
                    m.record
       ),
       events AS (
         ${insertChangeEventsSql('deleted d', {
           eventId: `md5($3 || ':' || d.id || ':' || d.version)::uuid`,
           resource: '$3',
           recordId: 'd.id',
           changeType: `'deleted'`,
           version: 'd.version',
           previousHash: 'd.content_hash',
           hash: 'NULL',
           changedFields: `'{}'`,
           record: 'NULL',
           previousValues: 'd.record',
           provenance: '$4::jsonb',
           occurredAt: 'd.changed_at',
         })}
       ),
       history AS (
         INSERT INTO record_history (resource, record_id, version, event_id, change_type, valid_from,
                                     source_modified_at, previous_hash, hash, changed_fields, is_full, patch, provenance)
         SELECT $3, d.id, d.version, md5($3 || ':' || d.id || ':' || d.version)::uuid, 'deleted', d.changed_at,
                d.source_modified_at, d.content_hash, NULL, '{}', true, NULL, $4::jsonb
           FROM deleted d
         ON CONFLICT DO NOTHING
       )
       SELECT id, version FROM deleted ORDER BY id`,
      [[...ids].sort(), confirmedAt, family, JSON.stringify(provenance)],
    );
    await notifyOutbox(manager ?? this.dataSource.manager, OUTBOX_CHANNELS.changeEvents, rows.length);
    return rows.map((row) => ({ recordId: row.id, changeType: 'deleted', version: row.version }));
  }

  /** Last successful fetch and last change per family, for the health module (same transaction as the work). */
  async touchFetchState(
    family: ResourceFamily,
    outcome: { succeeded: boolean; changes: number; error: string | null },
    manager?: EntityManager,
  ): Promise<void> {
    await (manager ?? this.dataSource.manager).query(
      `UPDATE sync_state
          SET last_fetch_succeeded_at = CASE WHEN $2 THEN clock_timestamp() ELSE last_fetch_succeeded_at END,
              last_change_emitted_at = CASE WHEN $3 > 0 THEN clock_timestamp() ELSE last_change_emitted_at END,
              last_error = COALESCE($4, last_error),
              last_error_at = CASE WHEN $4 IS NULL THEN last_error_at ELSE clock_timestamp() END,
              updated_at = clock_timestamp()
        WHERE scope = 'resource' AND scope_key = $1`,
      [family, outcome.succeeded, outcome.changes, outcome.error],
    );
  }

  /** One statement: upserts `sorted` (ids in order) and says what happened to each. */
  private async upsertSlice(
    spec: FamilyDescriptor,
    sorted: readonly (FetchedRecord & { id: string })[],
    manager?: EntityManager,
  ): Promise<{ changes: MirrorChange[]; unchanged: number; stale: number }> {
    const rows = await this.carryForwardMissingFields(spec, sorted, manager);
    const columnValues = rows.map((row) => typedColumnValues(spec, row.record));
    const params: unknown[] = [
      rows.map((row) => row.id),
      rows.map((row) => JSON.stringify(row.record)),
      rows.map((row) => contentHash(row.record)),
      rows.map((row) => row.fetchedAt),
      rows.map((row) => sourceModifiedAt(spec, row.record)),
      rows.map((row) => JSON.stringify(row.provenance)),
      ...spec.columns.map((_, index) => columnValues.map((values) => values[index] ?? null)),
    ];
    const result = await (manager ?? this.dataSource.manager).query<
      {
        id: string;
        change_type: 'created' | 'updated' | 'enriched' | 'unchanged' | 'stale';
        version: number;
      }[]
    >(upsertSql(spec), params);
    const changes: MirrorChange[] = [];
    let unchanged = 0;
    let stale = 0;
    for (const row of result) {
      if (row.change_type === 'created' || row.change_type === 'updated' || row.change_type === 'enriched') {
        changes.push({ recordId: row.id, changeType: row.change_type, version: row.version });
      } else if (row.change_type === 'unchanged') {
        unchanged += 1;
      } else {
        stale += 1;
      }
    }
    return { changes, unchanged, stale };
  }

  /**
   * Records fetched without some full-shape fields take those fields from the mirrored version (when it has them),
   * so their hash compares like with like. Read in the caller's transaction, right before the upsert.
   */
  private async carryForwardMissingFields(
    spec: FamilyDescriptor,
    rows: readonly (FetchedRecord & { id: string })[],
    manager?: EntityManager,
  ): Promise<(FetchedRecord & { id: string })[]> {
    const incomplete = rows.filter((row) => (row.missingFields ?? []).length > 0 || row.unshaped === true);
    if (incomplete.length === 0) {
      return [...rows];
    }
    const previous = await (manager ?? this.dataSource.manager).query<{ id: string; record: JsonRecord }[]>(
      `SELECT ${spec.idField}::text AS id, record FROM ${spec.table} WHERE ${spec.idField} = ANY($1::${spec.idType}[])`,
      [incomplete.map((row) => row.id)],
    );
    const byId = new Map(previous.map((row) => [row.id, row.record]));
    return rows.map((row) => {
      const old = byId.get(row.id);
      if (old === undefined) {
        return row;
      }
      const carried: Record<string, JsonValue> = {};
      for (const field of row.missingFields ?? []) {
        const value = old[field];
        if (value !== undefined && row.record[field] === undefined) {
          carried[field] = value;
        }
      }
      if (row.unshaped === true) {
        for (const [field, value] of Object.entries(row.record)) {
          carried[field] = reconcileUnshaped(old[field], value);
        }
      }
      return { ...row, record: { ...row.record, ...carried } };
    });
  }

  /**
   * The id of the mirrored record a subject names (a forecast's `<source_system>:<external_id>`), by the typed
   * columns the family's descriptor names for it; null when none is mirrored or the family has no subject ids.
   */
  async idForSubject(family: ResourceFamily, subject: Subject): Promise<string | null> {
    const lookup = subjectLookup(FAMILIES[family], subject);
    if (lookup === null) {
      return null;
    }
    const [system, external] = lookup.columns;
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT ${lookup.idColumn}::text AS id FROM ${lookup.table} WHERE ${system} = $1 AND ${external} = $2
        ORDER BY fetched_at DESC LIMIT 1`,
      [...lookup.values],
    );
    return rows[0]?.id ?? null;
  }

  /** Ids of the given records that the mirror holds (deleted or not), with their last fetch time. */
  async fetchTimes(
    family: ResourceFamily,
    ids: readonly string[],
    manager?: EntityManager,
  ): Promise<Map<string, Date>> {
    const spec = FAMILIES[family];
    const rows = await (manager ?? this.dataSource.manager).query<{ id: string; fetched_at: Date }[]>(
      `SELECT ${spec.idField}::text AS id, fetched_at FROM ${spec.table} WHERE ${spec.idField} = ANY($1::${spec.idType}[])`,
      [ids],
    );
    return new Map(rows.map((row) => [row.id, row.fetched_at]));
  }
}

/** Every this many versions a record's history row holds the whole record, so a rebuild folds few patches. */
export const HISTORY_FULL_EVERY = 16;

/**
 * Whether a new version's history row holds the whole record rather than a patch: a created record, the first
 * version after a deletion, and every HISTORY_FULL_EVERY-th version.
 */
function historyFullSql(row: string): string {
  return `(${row}.change_type = 'created' OR ${row}.previous_deleted_at IS NOT NULL OR ${row}.version % ${HISTORY_FULL_EVERY} = 1)`;
}

/**
 * One statement: the old rows (for diffs), the upsert gated on fetch time and source modification time, and the
 * change events and history rows of the rows whose content changed. Unchanged records only move `fetched_at`.
 */
function upsertSql(spec: FamilyDescriptor): string {
  return `
    WITH input AS (${inputCte(spec)}),
    old AS (
      SELECT m.${spec.idField}::text AS id, m.record, m.content_hash, m.deleted_at, m.fetched_at, m.source_modified_at
        FROM ${spec.table} m
        JOIN input i ON m.${spec.idField} = i.id::${spec.idType}
    ),
    upserted AS (${upsertedCte(spec)}),
    classified AS (${CLASSIFIED_CTE}),
    changed AS (${changedCte(spec)}),
    events AS (${eventsCte(spec)}),
    history AS (${historyCte(spec)})
    SELECT id, change_type, version FROM classified ORDER BY id`;
}

/** The statement's input: one row per record, from parallel arrays (typed columns as text, cast on insert). */
function inputCte(spec: FamilyDescriptor): string {
  const columns = [
    ['id', 'text'],
    ['record', 'text'],
    ['hash', 'text'],
    ['fetched_at', 'timestamptz'],
    ['source_modified_at', 'timestamptz'],
    ['provenance', 'text'],
    ...spec.columns.map((column) => [`c_${column.name}`, 'text']),
  ] as const;
  const unnestArgs = columns.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ');
  return `SELECT * FROM unnest(${unnestArgs}) AS i(${columns.map(([name]) => name).join(', ')})`;
}

/** The upsert: content, typed columns and version change only when the hash does; an older fetch never wins. */
function upsertedCte(spec: FamilyDescriptor): string {
  const typed = spec.columns.map((column) => column.name);
  const typedList = typed.map((name) => `${name}, `).join('');
  const typedValues = spec.columns.map((column) => `i.c_${column.name}::${SQL_TYPE[column.type]}, `).join('');
  const changed = '(m.content_hash IS DISTINCT FROM EXCLUDED.content_hash OR m.deleted_at IS NOT NULL)';
  const keep = (column: string): string =>
    `${column} = CASE WHEN ${changed} THEN EXCLUDED.${column} ELSE m.${column} END`;
  return `
      INSERT INTO ${spec.table} AS m
        (${spec.idField}, ${typedList}record, content_hash, version, fetched_at, changed_at, source_modified_at,
         deleted_at)
      SELECT i.id::${spec.idType}, ${typedValues}
             i.record::jsonb, i.hash, 1, i.fetched_at, clock_timestamp(), i.source_modified_at, NULL
        FROM input i
       ORDER BY i.id
      ON CONFLICT (${spec.idField}) DO UPDATE SET
        ${[...typed, 'record', 'content_hash', 'source_modified_at'].map(keep).join(',\n        ')},
        version = CASE WHEN ${changed} THEN m.version + 1 ELSE m.version END,
        changed_at = CASE WHEN ${changed} THEN clock_timestamp() ELSE m.changed_at END,
        deleted_at = NULL,
        fetched_at = EXCLUDED.fetched_at
      WHERE EXCLUDED.fetched_at >= m.fetched_at
        AND (EXCLUDED.source_modified_at IS NULL OR m.source_modified_at IS NULL
             OR EXCLUDED.source_modified_at >= m.source_modified_at)
      RETURNING m.${spec.idField}::text AS id, m.version, m.content_hash, m.changed_at, m.source_modified_at`;
}

/**
 * What happened to each input record: stale (an older fetch), created, updated, enriched (only what the previous
 * version lacked was added: a widened shape) or unchanged.
 */
const CLASSIFIED_CTE = `
      SELECT i.id, i.record, i.provenance, u.version, u.content_hash AS hash, o.content_hash AS previous_hash,
             o.record AS previous_record, u.changed_at, u.source_modified_at, o.deleted_at AS previous_deleted_at,
             CASE
               WHEN u.id IS NULL THEN 'stale'
               WHEN o.id IS NULL THEN 'created'
               WHEN o.deleted_at IS NOT NULL THEN 'updated'
               WHEN o.content_hash IS NOT DISTINCT FROM u.content_hash THEN 'unchanged'
               WHEN tango_sync_only_added(o.record, i.record::jsonb) THEN 'enriched'
               WHEN o.content_hash IS DISTINCT FROM u.content_hash THEN 'updated'
               ELSE 'unchanged'
             END AS change_type
        FROM input i
        LEFT JOIN upserted u ON u.id = i.id
        LEFT JOIN old o ON o.id = i.id`;

/** The created and updated records, with their event id, the top-level fields that changed and the history form. */
function changedCte(spec: FamilyDescriptor): string {
  return `
      SELECT c.id, c.change_type, c.version, c.previous_hash, c.hash, c.changed_at, c.source_modified_at,
             md5('${spec.family}:' || c.id || ':' || c.version)::uuid AS event_id,
             ${historyFullSql('c')} AS is_full,
             c.record::jsonb AS record, c.previous_record, c.provenance::jsonb AS provenance,
             ARRAY(
               SELECT k FROM (
                 SELECT jsonb_object_keys(c.record::jsonb) AS k
                 UNION
                 SELECT jsonb_object_keys(COALESCE(c.previous_record, '{}'::jsonb))
               ) keys
               WHERE c.previous_record IS NULL OR (c.previous_record -> k) IS DISTINCT FROM (c.record::jsonb -> k)
               ORDER BY k
             ) AS changed_fields
        FROM classified c
       WHERE c.change_type IN ('created', 'updated', 'enriched')`;
}

/**
 * The old values of a change's changed fields that the previous record had (an object; null for a created
 * record): all an event needs to say before and after, without storing the whole old record.
 */
const PREVIOUS_VALUES_SQL = `CASE WHEN c.change_type = 'created' THEN NULL
         ELSE (SELECT COALESCE(jsonb_object_agg(k, c.previous_record -> k), '{}'::jsonb)
                 FROM unnest(c.changed_fields) k WHERE c.previous_record ? k) END`;

/** Each change's event, through the outbox's one writer. */
function eventsCte(spec: FamilyDescriptor): string {
  return insertChangeEventsSql(
    'changed c',
    {
      eventId: 'c.event_id',
      resource: `'${spec.family}'`,
      recordId: 'c.id',
      changeType: 'c.change_type',
      version: 'c.version',
      previousHash: 'c.previous_hash',
      hash: 'c.hash',
      changedFields: 'c.changed_fields',
      record: 'c.record',
      previousValues: PREVIOUS_VALUES_SQL,
      provenance: 'c.provenance',
      occurredAt: 'c.changed_at',
    },
    { orderBy: 'c.id' },
  );
}

/** Each change's history row: the whole record, or the patch of the fields that changed and those removed. */
function historyCte(spec: FamilyDescriptor): string {
  return `
      INSERT INTO record_history (resource, record_id, version, event_id, change_type, valid_from, source_modified_at,
                                  previous_hash, hash, changed_fields, is_full, patch, removed_fields, provenance)
      SELECT '${spec.family}', c.id, c.version, c.event_id, c.change_type, c.changed_at, c.source_modified_at,
             c.previous_hash, c.hash, c.changed_fields, c.is_full,
             CASE WHEN c.is_full THEN c.record
                  ELSE (SELECT COALESCE(jsonb_object_agg(k, c.record -> k), '{}'::jsonb)
                          FROM unnest(c.changed_fields) k WHERE c.record ? k) END,
             CASE WHEN c.is_full THEN '{}'::text[]
                  ELSE ARRAY(SELECT k FROM unnest(c.changed_fields) k WHERE NOT c.record ? k) END,
             c.provenance
        FROM changed c
       ORDER BY c.id
      ON CONFLICT DO NOTHING`;
}
