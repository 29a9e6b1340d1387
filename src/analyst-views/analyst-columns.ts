import { type FamilyDescriptor, type TypedColumn } from '../common/tango/families';
import { type ObservedType, type TangoContract } from '../tango-contract/tango-contract';
import { ColumnNamer, columnNameOfPath } from './column-names';
import { type ContractPath, contractPaths } from './contract-paths';

/** The schema that holds the generated views and their cast helpers. */
export const ANALYST_SCHEMA = 'analyst';

export type AnalystSqlType =
  'text' | 'bigint' | 'integer' | 'numeric' | 'boolean' | 'date' | 'timestamptz' | 'jsonb' | 'uuid';

/** One column of a family's analyst view. */
export interface AnalystColumn {
  readonly name: string;
  readonly type: AnalystSqlType;
  /** The dotted record path it shows, or null for the mirror's own bookkeeping columns. */
  readonly path: string | null;
  /** The value at the path, or the code or description of the code object at the path's parent. */
  readonly part: 'value' | 'code' | 'description';
  /** What Tango was seen to return there and how the view reads it. */
  readonly description: string;
  /** SQL over the mirror table aliased `m`. */
  readonly expression: string;
}

export interface AnalystView {
  readonly family: string;
  readonly table: string;
  /** `analyst.<family>` */
  readonly view: string;
  readonly idColumn: string;
  readonly apiVersion: string;
  readonly columns: readonly AnalystColumn[];
}

/** The mirror's bookkeeping columns, shown after the record's paths under their own names. */
const MIRROR_COLUMNS: readonly { name: string; type: AnalystSqlType; description: string }[] = [
  { name: 'record', type: 'jsonb', description: 'the whole record as fetched from Tango' },
  { name: 'content_hash', type: 'text', description: "hash of the record's content" },
  { name: 'version', type: 'integer', description: 'mirror version, +1 on every real change' },
  { name: 'first_seen_at', type: 'timestamptz', description: 'when the mirror first stored the record' },
  { name: 'fetched_at', type: 'timestamptz', description: 'when the record was last fetched from Tango' },
  { name: 'changed_at', type: 'timestamptz', description: 'when the mirror last saw the record change' },
  { name: 'source_modified_at', type: 'timestamptz', description: "Tango's own modification time, if any" },
  {
    name: 'deleted_at',
    type: 'timestamptz',
    description: 'when Tango confirmed the record gone (404); else NULL',
  },
];

/**
 * Words of a field name that mark an identifier or code. Tango's observed type `int` is inferred from values and
 * covers digit strings (NAICS, ZIP, agency codes) whose leading zeros matter, so such an `int` stays text.
 */
const IDENTIFIER_WORDS = new Set([
  'code',
  'codes',
  'id',
  'naics',
  'psc',
  'zip',
  'plus4',
  'cage',
  'district',
  'sin',
  'sins',
  'city',
  'modification',
  'program',
  'primary',
  'external',
  'uei',
]);

/** The SQL type of a scalar observed type (`str`, `int`, `Decimal`, `bool`, `date`, `datetime`); text if unknown. */
export function sqlTypeOfScalar(path: string, observed: ObservedType | undefined): AnalystSqlType {
  switch (observed?.type ?? 'unknown') {
    case 'int':
      return identifierLike(path) ? 'text' : 'bigint';
    case 'Decimal':
    case 'float':
      return 'numeric';
    case 'bool':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamptz';
    default:
      return 'text';
  }
}

function identifierLike(path: string): boolean {
  const leaf = columnNameOfPath(path.split('.').pop() ?? path);
  return leaf.split('_').some((word) => IDENTIFIER_WORDS.has(word));
}

/** `m.record #> '{"a","b"}'`: the jsonb value at a path (SQL-quoted). */
export function jsonAt(path: string): string {
  const segments = path.split('.').map((segment) => `"${segment.replace(/["\\]/g, '\\$&')}"`);
  return `m.record #> '{${segments.join(',').replace(/'/g, "''")}}'`;
}

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const CAST_HELPER: Record<Exclude<AnalystSqlType, 'jsonb' | 'uuid' | 'integer'>, string> = {
  text: 'as_text',
  bigint: 'as_bigint',
  numeric: 'as_numeric',
  boolean: 'as_boolean',
  date: 'as_date',
  timestamptz: 'as_timestamptz',
};

function castFromRecord(path: string, type: AnalystSqlType): string {
  if (type === 'jsonb') {
    return jsonAt(path);
  }
  const helper = type === 'uuid' || type === 'integer' ? 'as_text' : CAST_HELPER[type];
  return `${ANALYST_SCHEMA}.${helper}(${jsonAt(path)})`;
}

function observedText(observed: ObservedType | undefined): string {
  if (observed === undefined) {
    return 'type not observed';
  }
  const kind = observed.kind === 'scalar' ? (observed.type ?? 'scalar') : observed.kind;
  return `observed ${kind}${observed.isList ? ' list' : ''}`;
}

interface Context {
  readonly descriptor: FamilyDescriptor;
  readonly typed: ReadonlyMap<string, TypedColumn>;
  readonly apiVersion: string;
}

function describe(observed: ObservedType | undefined, how: string): string {
  return `${observedText(observed)}; ${how}`;
}

/** A column before naming: `name` is the wanted one; `first` columns claim their names before the others. */
interface Draft extends AnalystColumn {
  readonly first: boolean;
}

function scalarColumn(context: Context, entry: ContractPath): Draft {
  const typed = context.typed.get(entry.path);
  const name = columnNameOfPath(entry.path);
  const first = typed !== undefined || !entry.path.includes('.');
  if (typed !== undefined) {
    const how = `the mirror's ${typed.indexed ? 'indexed ' : ''}typed column ${typed.name}`;
    return {
      name,
      first,
      part: 'value',
      type: typed.type,
      path: entry.path,
      expression: `m.${quoteIdent(typed.name)}`,
      description: describe(entry.observed, how),
    };
  }
  const type = entry.kind === 'jsonb' ? 'jsonb' : sqlTypeOfScalar(entry.path, entry.observed);
  const how =
    type === 'jsonb'
      ? 'as jsonb'
      : type === 'text'
        ? 'as text'
        : `cast to ${type}, NULL when the value does not cast`;
  return {
    name,
    first,
    part: 'value',
    type,
    path: entry.path,
    expression: castFromRecord(entry.path, type),
    description: describe(entry.observed, how),
  };
}

function codeColumns(context: Context, entry: ContractPath): Draft[] {
  const typed = context.typed.get(entry.path);
  const base = columnNameOfPath(entry.path);
  const code: Draft = {
    name: `${base}_code`,
    first: typed !== undefined,
    part: 'code',
    type: typed?.type ?? 'text',
    path: `${entry.path}.code`,
    expression:
      typed === undefined
        ? `${ANALYST_SCHEMA}.code_of(${jsonAt(entry.path)})`
        : `m.${quoteIdent(typed.name)}`,
    description: describe(entry.observed, 'the code of a code object'),
  };
  const description: Draft = {
    name: `${base}_description`,
    first: false,
    part: 'description',
    type: 'text',
    path: `${entry.path}.description`,
    expression: `${ANALYST_SCHEMA}.description_of(${jsonAt(entry.path)})`,
    description: describe(entry.observed, 'the description of a code object'),
  };
  return [code, description];
}

function idColumn(context: Context): Draft {
  const { idField, idType } = context.descriptor;
  return {
    name: idField,
    first: true,
    part: 'value',
    type: idType,
    path: idField,
    expression: `m.${quoteIdent(idField)}`,
    description: "the record's id, the mirror table's primary key (unique, never NULL)",
  };
}

/**
 * Unique names within Postgres' limit: the mirror's own columns are reserved, then the id, the typed columns and
 * the top-level fields claim their natural names (`naics_code` keeps its name before `naics.code` is named), then
 * the rest, in order.
 */
function named(drafts: readonly Draft[]): AnalystColumn[] {
  const namer = new ColumnNamer(MIRROR_COLUMNS.map((column) => column.name));
  const names: string[] = new Array<string>(drafts.length);
  const order = [...drafts.keys()].sort(
    (a, b) => Number(drafts[b]?.first) - Number(drafts[a]?.first) || a - b,
  );
  for (const index of order) {
    const draft = drafts[index];
    if (draft !== undefined) {
      names[index] = namer.claim(draft.name, draft.path ?? draft.name);
    }
  }
  return drafts.map((draft, index) => ({
    name: names[index] ?? draft.name,
    part: draft.part,
    type: draft.type,
    path: draft.path,
    expression: draft.expression,
    description: draft.description,
  }));
}

/** The analyst view of one family: its id, every path of Tango's contract, then the mirror's bookkeeping. */
export function analystView(contract: TangoContract, descriptor: FamilyDescriptor): AnalystView {
  const resource = contract.resource(descriptor.collection);
  const context: Context = {
    descriptor,
    typed: new Map(descriptor.columns.map((column) => [column.path, column])),
    apiVersion: contract.apiVersion,
  };
  const drafts: Draft[] = [idColumn(context)];
  for (const entry of contractPaths(resource)) {
    if (entry.path !== descriptor.idField) {
      drafts.push(...(entry.kind === 'code' ? codeColumns(context, entry) : [scalarColumn(context, entry)]));
    }
  }
  const mirrorColumns = MIRROR_COLUMNS.map((mirror) => ({
    name: mirror.name,
    part: 'value' as const,
    type: mirror.type,
    path: null,
    expression: `m.${quoteIdent(mirror.name)}`,
    description: `tango-sync mirror: ${mirror.description}`,
  }));
  return {
    family: descriptor.family,
    table: descriptor.table,
    view: `${ANALYST_SCHEMA}.${descriptor.family}`,
    idColumn: descriptor.idField,
    apiVersion: contract.apiVersion,
    columns: [...named(drafts), ...mirrorColumns],
  };
}
