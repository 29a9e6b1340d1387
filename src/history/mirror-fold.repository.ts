import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type JsonRecord } from '../common/json';
import { FAMILIES, type FamilyDescriptor } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { typedColumnValues } from '../mirror/typed-columns';

/** One record's latest version as the fold of its history gives it. */
export interface FoldedRecord {
  readonly id: string;
  readonly version: number;
  readonly deleted: boolean;
  readonly hash: string | null;
  readonly record: JsonRecord | null;
  readonly changedAt: Date;
  readonly sourceModifiedAt: Date | null;
  readonly firstSeenAt: Date;
}

/** How one mirror row differs from the fold of its history (`null` when they agree). */
export type FoldDifference =
  'missing_in_history' | 'missing_in_mirror' | 'version' | 'deleted' | 'hash' | 'record';

export interface ComparedRecord {
  readonly id: string;
  readonly difference: FoldDifference | null;
}

/**
 * The latest version of each record of `ids` (or every record after `after`, up to `limit`) as the fold of its
 * `record_history` rows (`tango_fold`), with when it was first and last seen.
 */
function foldedSql(idFilter: string): string {
  return `SELECT DISTINCT ON (f.record_id) f.record_id AS id, f.version, f.change_type = 'deleted' AS deleted, f.hash,
                 CASE WHEN f.change_type = 'deleted' THEN NULL ELSE f.record END AS record,
                 f.valid_from AS changed_at, f.source_modified_at, f.first_seen_at
            FROM (
              SELECT h.record_id, h.version, h.change_type, h.hash, h.valid_from, h.source_modified_at,
                     tango_fold(h.patch, h.removed_fields, h.is_full)
                       OVER (PARTITION BY h.record_id ORDER BY h.version) AS record,
                     min(h.valid_from) OVER (PARTITION BY h.record_id) AS first_seen_at
                FROM record_history h
               WHERE h.resource = $1 AND ${idFilter}
            ) f
           ORDER BY f.record_id, f.version DESC`;
}

interface FoldedRow {
  id: string;
  version: number;
  deleted: boolean;
  hash: string | null;
  record: JsonRecord | null;
  changed_at: Date;
  source_modified_at: Date | null;
  first_seen_at: Date;
}

const toFolded = (row: FoldedRow): FoldedRecord => ({
  id: row.id,
  version: row.version,
  deleted: row.deleted,
  hash: row.hash,
  record: row.record,
  changedAt: row.changed_at,
  sourceModifiedAt: row.source_modified_at,
  firstSeenAt: row.first_seen_at,
});

/**
 * Reads the mirror against the fold of its history (the log the mirror can be rebuilt from): a rotating sample's
 * comparison for the invariant check, the whole family for `tango-sync rebuild`, and the rewrite of mirror rows
 * from their fold. Set-based: one statement per batch of records.
 */
@Injectable()
export class MirrorFoldRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The folded latest versions of these records. */
  async folded(
    family: ResourceFamily,
    ids: readonly string[],
    manager?: EntityManager,
  ): Promise<FoldedRecord[]> {
    if (ids.length === 0) {
      return [];
    }
    const rows = await (manager ?? this.dataSource.manager).query<FoldedRow[]>(
      foldedSql('h.record_id = ANY($2::text[])'),
      [family, ids],
    );
    return rows.map(toFolded);
  }

  /** Record ids of the mirror and of the history after `after` (id order), up to `limit` of each. */
  async idsAfter(family: ResourceFamily, after: string, limit: number): Promise<string[]> {
    const spec = FAMILIES[family];
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM (
         SELECT ${spec.idField}::text AS id FROM ${spec.table} WHERE ${spec.idField}::text > $2
         UNION
         SELECT DISTINCT record_id FROM record_history WHERE resource = $1 AND record_id > $2
       ) ids ORDER BY id LIMIT $3`,
      [family, after, limit],
    );
    return rows.map((row) => row.id);
  }

  /** Each id compared: the mirror row (version, deletion, hash, record) against the fold of its history. */
  async compare(family: ResourceFamily, ids: readonly string[]): Promise<ComparedRecord[]> {
    if (ids.length === 0) {
      return [];
    }
    const spec = FAMILIES[family];
    const rows = await this.dataSource.query<{ id: string; difference: FoldDifference | null }[]>(
      `WITH folded AS (${foldedSql('h.record_id = ANY($2::text[])')}),
            mirror AS (
              SELECT ${spec.idField}::text AS id, version, deleted_at IS NOT NULL AS deleted, content_hash, record
                FROM ${spec.table} WHERE ${spec.idField}::text = ANY($2::text[])
            )
       SELECT ids.id,
              CASE WHEN f.id IS NULL THEN 'missing_in_history'
                   WHEN m.id IS NULL THEN 'missing_in_mirror'
                   WHEN m.version <> f.version THEN 'version'
                   WHEN m.deleted <> f.deleted THEN 'deleted'
                   WHEN NOT f.deleted AND m.content_hash IS DISTINCT FROM f.hash THEN 'hash'
                   WHEN NOT f.deleted AND m.record IS DISTINCT FROM f.record THEN 'record'
              END AS difference
         FROM unnest($2::text[]) AS ids(id)
         LEFT JOIN folded f ON f.id = ids.id
         LEFT JOIN mirror m ON m.id = ids.id
        WHERE f.id IS NOT NULL OR m.id IS NOT NULL
        ORDER BY ids.id`,
      [family, ids],
    );
    return rows;
  }

  /**
   * Rewrites mirror rows from their fold, in the caller's transaction: the record, its hash, version and times,
   * and the typed columns computed from the record as the mirror computes them. No change event is written: the
   * log already holds every change these rows stand for.
   */
  async rewrite(
    family: ResourceFamily,
    folded: readonly FoldedRecord[],
    manager: EntityManager,
  ): Promise<number> {
    if (folded.length === 0) {
      return 0;
    }
    const spec: FamilyDescriptor = FAMILIES[family];
    const live = folded.filter((row) => row.record !== null);
    const columns = spec.columns.map((column) => column.name);
    const values = live.map((row) => typedColumnValues(spec, row.record ?? {}));
    await manager.query(`DELETE FROM ${spec.table} WHERE ${spec.idField}::text = ANY($1::text[])`, [
      folded.map((row) => row.id),
    ]);
    const keep = folded.filter((row) => row.record !== null || row.deleted);
    const deletedOnly = keep.filter((row) => row.record === null);
    // A deleted record keeps its last live record in the mirror; the fold of a deletion has none, so its row is
    // rebuilt from the version before it (read here), marked deleted.
    const lastLive = new Map(
      (
        await this.lastLiveRecords(
          family,
          deletedOnly.map((row) => row.id),
          manager,
        )
      ).map((row) => [row.id, row]),
    );
    const rows = [
      ...live.map((row, index) => ({ row, record: row.record ?? {}, typed: values[index] ?? [] })),
      ...deletedOnly.flatMap((row) => {
        const previous = lastLive.get(row.id);
        return previous?.record === undefined || previous.record === null
          ? []
          : [
              {
                row: { ...row, hash: previous.hash },
                record: previous.record,
                typed: typedColumnValues(spec, previous.record),
              },
            ];
      }),
    ];
    const params: unknown[] = [
      rows.map((item) => item.row.id),
      rows.map((item) => JSON.stringify(item.record)),
      rows.map((item) => item.row.hash),
      rows.map((item) => item.row.version),
      rows.map((item) => item.row.firstSeenAt),
      rows.map((item) => item.row.changedAt),
      rows.map((item) => item.row.sourceModifiedAt),
      rows.map((item) => (item.row.deleted ? item.row.changedAt : null)),
      ...spec.columns.map((_, index) => rows.map((item) => item.typed[index] ?? null)),
    ];
    const typedUnnest = spec.columns.map((column, index) => `$${index + 9}::${column.type}[]`).join(', ');
    await manager.query(
      `INSERT INTO ${spec.table} (${spec.idField}, record, content_hash, version, first_seen_at, fetched_at, changed_at,
                                   source_modified_at, deleted_at${columns.map((name) => `, ${name}`).join('')})
       SELECT id::${spec.idType}, record::jsonb, hash, version, first_seen_at, changed_at, changed_at, source_modified_at,
              deleted_at${columns.map((name) => `, ${name}`).join('')}
         FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::timestamptz[],
                     $7::timestamptz[], $8::timestamptz[]${typedUnnest === '' ? '' : `, ${typedUnnest}`})
           AS r(id, record, hash, version, first_seen_at, changed_at, source_modified_at, deleted_at${columns
             .map((name) => `, ${name}`)
             .join('')})`,
      params,
    );
    return rows.length;
  }

  /** The last live version before a deletion, for the records given (the fold of every version but the last). */
  private async lastLiveRecords(
    family: ResourceFamily,
    ids: readonly string[],
    manager: EntityManager,
  ): Promise<{ id: string; hash: string | null; record: JsonRecord | null }[]> {
    if (ids.length === 0) {
      return [];
    }
    return manager.query(
      `SELECT DISTINCT ON (f.record_id) f.record_id AS id, f.hash, f.record
         FROM (
           SELECT h.record_id, h.version, h.change_type, h.hash,
                  tango_fold(h.patch, h.removed_fields, h.is_full)
                    OVER (PARTITION BY h.record_id ORDER BY h.version) AS record
             FROM record_history h
            WHERE h.resource = $1 AND h.record_id = ANY($2::text[])
         ) f
        WHERE f.change_type <> 'deleted'
        ORDER BY f.record_id, f.version DESC`,
      [family, ids],
    );
  }
}
