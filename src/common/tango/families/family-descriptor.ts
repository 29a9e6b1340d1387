import { type ShapeNode } from '../../../tango-contract/shape-grammar';
import { tangoContract } from '../../../tango-contract/tango-contract';
import { wholeShapeNodes } from '../../../tango-contract/whole-shape';
import { type ResourceFamily } from '../resource-family';

/**
 * How a webhook or fetch target names a record: the family's own key (`key`: an award key; `text`: an opaque id
 * of a contract resource such as an agency code), or something to resolve first (`piid`, `forecast_subject`).
 */
export const ID_KINDS = ['key', 'piid', 'uuid', 'uei', 'integer', 'forecast_subject', 'text'] as const;

export type IdKind = (typeof ID_KINDS)[number];

/** One item of a `shape`: a plain field, or an expand with its children (Tango's shape grammar). */
export type ShapeItem = ShapeNode;

export type ColumnType = 'text' | 'date' | 'timestamptz' | 'numeric' | 'integer' | 'bigint' | 'boolean';

/** A typed, indexed column that analysts query, extracted from the full record at one JSON path. */
export interface TypedColumn {
  readonly name: string;
  readonly type: ColumnType;
  /** Dotted path into the record; every segment but the last is an expand of the family's full shape. */
  readonly path: string;
  readonly indexed: boolean;
  /**
   * The path is a Tango code object: `{code, description}` when expanded, its bare code as a plain field. The
   * column holds the code either way.
   */
  readonly code?: boolean;
}

/** The kinds of change a mirror can miss. */
export type ChangeKind = 'new' | 'modified' | 'deleted';

export interface FamilyCoverage {
  /** Change kinds the windowed sweeps (and alert re-runs) can see. */
  readonly detects: readonly ChangeKind[];
  /** Change kinds only drift sampling can see (statistically, a rotating sample at a time). */
  readonly onlyBySampling: readonly ChangeKind[];
  /** How the windowed sweep of this family filters. */
  readonly sweepBy: string;
}

/** A list query over a day window: its start filter, its end filter (sent only when set), and variants. */
export interface DateWindow {
  /** Inclusive first day, `YYYY-MM-DD` (e.g. `award_date_gte`). */
  readonly after: string;
  /** Inclusive last day; sweeps send it when set (without it a window also sees later records, harmlessly). */
  readonly before?: string;
  readonly label: string;
  /** More list queries of the same window, each with extra filters (opportunities' inactive ones). */
  readonly variants?: readonly {
    readonly label: string;
    readonly filters: Readonly<Record<string, string>>;
  }[];
}

/**
 * How legacy (subject-based) events name records of a family (`awards.new_award`, `opportunities.new_notice`):
 * the id is the first of `integerIdFields` that holds an integer, else the first of `idFields`, the `subject_id`
 * of `subjectType` and the composed subject that is present.
 */
export interface LegacyNaming {
  /** The first segment of the legacy event types that name this family's records (`awards`). */
  readonly eventFamily: string;
  /**
   * `primary`: the events are about this family (it is their `resource`); `companion`: its records ride along on
   * another family's events (a notice on `opportunities.new_notice`).
   */
  readonly role: 'primary' | 'companion';
  /** The legacy `subject_type` of a record of this family (its `subject_id` names the record). */
  readonly subjectType: string;
  /** Event fields that name the record, in order of preference, before the subject. */
  readonly idFields: readonly string[];
  /** Fields preferred over all others when they hold an integer id, a direct key (forecasts' `id`). */
  readonly integerIdFields?: readonly string[];
  /** Last resort: the `<system>:<external>` subject composed of the event's `subjectIds` fields. */
  readonly composedSubject?: boolean;
  /**
   * An optional record is named only when the event carries one of `idFields` or the subject (no problem when it
   * does not); a missing required id is a problem.
   */
  readonly optional: boolean;
  /**
   * Where several primary families share `eventFamily` (the award families): the event field whose query type
   * picks the family; without a known one, the key prefix of the id does.
   */
  readonly familyField?: string;
  /** Legacy event types that are deliveries for this family even when they name none of its records. */
  readonly deliveredForTypes?: RegExp;
}

/**
 * Records of another family fetched after a new or changed record of this family is mirrored: alerts cover
 * opportunities, not notices, and an opportunity names its notices.
 */
export interface FollowUp {
  /** The family whose records are fetched. */
  readonly family: ResourceFamily;
  /** The record field naming the one record always fetched (it may have changed): `latest_notice_id`. */
  readonly latestField: string;
  /** The record field listing entries (`notice_history`) whose `entryIdField` names records the mirror may lack. */
  readonly listField: string;
  readonly entryIdField: string;
  /** The fetch target's reason. */
  readonly reason: string;
}

/**
 * Records legacy events name by a subject made of two of their fields, `<system>:<external>` (forecasts'
 * `<source_system>:<external_id>`), resolved before fetching: by the mirror's typed columns of those fields, else
 * by a bounded search of the system's recently modified records (Tango has no filter on the external field).
 */
export interface SubjectIds {
  readonly idKind: Extract<IdKind, 'forecast_subject'>;
  /** The record field naming the source system. */
  readonly systemField: string;
  /** The record field holding the source system's own id. */
  readonly externalField: string;
  /** The list filter that narrows the search to one source system. */
  readonly systemFilter: string;
  /** The list filter of records modified since a day (`YYYY-MM-DD`). */
  readonly modifiedAfterFilter: string;
}

/**
 * Everything tango-sync knows about one Tango resource family, in one place: how Tango names and serves it (read
 * and checked against Tango's published contract by a unit test), how the mirror stores it, and what the
 * reconciliation sweeps can see of it. Every other module reads this; none keeps its own copy.
 */
export interface FamilyDescriptor {
  readonly family: ResourceFamily;
  /** The REST collection, `/api/<collection>/`, and the resource's name in Tango's contract. */
  readonly collection: string;
  /** Tango's alert `query_type` (singular), or null where Tango's catalog has no alert for the resource. */
  readonly queryType: string | null;
  /** Model name in Tango's 404 (`No Contract matches the given query.`). */
  readonly modelName: string;
  /** The record's id field in Tango's JSON, which is also the mirror table's primary key column. */
  readonly idField: string;
  readonly idType: 'text' | 'uuid' | 'bigint';
  /** The id kind of the family's own key. */
  readonly idKind: Exclude<IdKind, 'piid' | 'forecast_subject'>;
  /**
   * Other ids legacy events name records by, resolved before fetching: a bare PIID (awards), a
   * `<source_system>:<external_id>` subject (forecasts).
   */
  readonly alternateIdKinds: readonly Exclude<IdKind, FamilyDescriptor['idKind']>[];
  /** Award families: the prefix of their Tango key (`CONT_AWD_`). */
  readonly keyPrefix?: string;
  /** The list filter that takes a `|`-separated id list, where Tango has one. */
  readonly idListFilter: string | null;
  /** The list filter that finds an award by PIID (bare-PIID legacy events). */
  readonly piidFilter?: string;
  /** Fields of an alert match summary (`matches.new[]`) that hold the record's id, in order of preference. */
  readonly summaryIdFields: readonly string[];
  /**
   * The whole record: every field and expand (nested expands likewise) of the resource in Tango's contract, derived
   * from it, never hand-written. Every fetch path asks for it (list, detail, sweep, backfill, re-verification), less
   * what the operator narrowed, the plan gates and Tango refused (`src/tango/shape-narrowing.ts`).
   */
  readonly shape: readonly ShapeItem[];
  readonly columns: readonly TypedColumn[];
  /** The mirror table. */
  readonly table: string;
  /** Tango's own modification time for the record, where the family has one. */
  readonly sourceModifiedPath?: string;
  /** The day window that sweeps and backfills filter by, or null (no date filter: entities). */
  readonly window: DateWindow | null;
  readonly coverage: FamilyCoverage;
  /** Partition slot on the fetch topic (families fetched by id lists keep all their requests together). */
  readonly partitionSlot?: number;
  /** How legacy events name this family's records; absent: legacy events never do. */
  readonly legacy?: LegacyNaming;
  /** Records of other families to fetch after one of this family changed. */
  readonly followUps?: readonly FollowUp[];
  /** The `<system>:<external>` subject ids of this family (one of its `alternateIdKinds`). */
  readonly subjectIds?: SubjectIds;
  /**
   * Contract resources beyond the nine families: how list walks keep them fresh (`src/resources`). Absent for the
   * nine, whose freshness is alerts, sweeps and re-verification.
   */
  readonly refresh?: RefreshPlan;
}

/** How a contract resource is kept fresh by walking its list (see `resource-identity.ts`). */
export interface RefreshPlan {
  readonly mode: 'full' | 'since_filter' | 'newest_first';
  /** `since_filter`: the date filter on Tango's change time. */
  readonly sinceFilter?: string;
  /** `newest_first`: the ordering on Tango's change time. */
  readonly ordering?: string;
  /** Seconds between incremental polls; null for resources only ever walked whole. */
  readonly pollEverySeconds: number | null;
  /** Seconds between full walks (the only refresh of a dimension; deletions for the others). */
  readonly fullWalkEverySeconds: number;
  readonly dimension: boolean;
  /** Tango names the detail route: a 404 there is a deletion. */
  readonly detailRoute: boolean;
  readonly idCertainty: 'confirmed' | 'likely' | 'unconfirmed';
  /** The lists one walk reads to see every record (`[{}]`: the unfiltered list). */
  readonly listVariants: readonly Readonly<Record<string, string>>[];
  /** What keeps it fresh, as `/health` says it: `alerts`, `incremental poll`, `full refresh`. */
  readonly freshnessSources: readonly string[];
}

/** The whole record of a resource in the worker's contract, as a shape (see `wholeShapeNodes`). */
export const wholeShape = (collection: string): readonly ShapeItem[] =>
  wholeShapeNodes(tangoContract().resource(collection));

export const column = (
  name: string,
  type: ColumnType,
  path: string,
  options: { indexed?: boolean; code?: boolean } = {},
): TypedColumn => ({ name, type, path, indexed: options.indexed ?? false, code: options.code ?? false });
