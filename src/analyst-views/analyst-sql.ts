import { ANALYST_SCHEMA, type AnalystColumn, type AnalystView, quoteIdent } from './analyst-columns';

const S = ANALYST_SCHEMA;

/**
 * The safe casts every view column goes through: a JSON value of the wrong type (or one that does not parse)
 * gives NULL, never an error. All are plain SQL (inlined by the planner, parallel safe): a date is cast only
 * after its form and its day of the month were checked (Postgres 15 has no `pg_input_is_valid`, and an exception
 * handler would forbid parallel plans: "cannot start subtransactions during a parallel operation").
 */
const HELPERS: readonly string[] = [
  `CREATE SCHEMA IF NOT EXISTS ${S}`,
  `COMMENT ON SCHEMA ${S} IS 'tango-sync: generated, typed views of the mirror tables, one per family (npm run generate:analyst-views)'`,
  `CREATE OR REPLACE FUNCTION ${S}.as_text(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT v #>> '{}' $$`,
  `CREATE OR REPLACE FUNCTION ${S}.as_bigint(v jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) IN ('number', 'string') AND (v #>> '{}') ~ '^-?[0-9]{1,18}$'
                    THEN (v #>> '{}')::bigint END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.as_numeric(v jsonb) RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) IN ('number', 'string')
                     AND (v #>> '{}') ~ '^-?[0-9]{1,100}([.][0-9]{1,100})?([eE][-+]?[0-9]{1,4})?$'
                    THEN (v #>> '{}')::numeric END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.as_boolean(v jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'boolean' THEN (v #>> '{}')::boolean END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.valid_ymd(s text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN s ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])' AND left(s, 4) <> '0000'
                    THEN substr(s, 9, 2)::int <= extract(day FROM make_date(left(s, 4)::int, substr(s, 6, 2)::int, 1)
                                                             + interval '1 month - 1 day')::int
                    ELSE false END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.as_date(v jsonb) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'string' AND (v #>> '{}') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                    THEN CASE WHEN ${S}.valid_ymd(v #>> '{}') THEN (v #>> '{}')::date END END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.as_timestamptz(v jsonb) RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'string'
                     AND (v #>> '{}') ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,9})?)?)?(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)?$'
                    THEN CASE WHEN ${S}.valid_ymd(v #>> '{}') THEN (v #>> '{}')::timestamptz END END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.code_of(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE jsonb_typeof(v) WHEN 'object' THEN v ->> 'code' WHEN 'string' THEN v #>> '{}'
                                    WHEN 'number' THEN v #>> '{}' END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.description_of(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'object' THEN v ->> 'description' END $$`,
];

/** Every helper with its argument types, dependents first. */
const HELPER_SIGNATURES = [
  'as_text(jsonb)',
  'as_bigint(jsonb)',
  'as_numeric(jsonb)',
  'as_boolean(jsonb)',
  'as_date(jsonb)',
  'as_timestamptz(jsonb)',
  'valid_ymd(text)',
  'code_of(jsonb)',
  'description_of(jsonb)',
];

/** A SQL string literal. */
export function sqlLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function viewName(view: AnalystView): string {
  return `${S}.${quoteIdent(view.family)}`;
}

/** `DROP VIEW IF EXISTS` then `CREATE VIEW`: a regenerated view may lose or retype columns, which `CREATE OR REPLACE VIEW` refuses. */
function createView(view: AnalystView): string {
  const select = view.columns
    .map((column) => `    ${column.expression} AS ${quoteIdent(column.name)}`)
    .join(',\n');
  return `DROP VIEW IF EXISTS ${viewName(view)};\nCREATE VIEW ${viewName(view)} AS\n  SELECT\n${select}\n  FROM ${quoteIdent(view.table)} m`;
}

function comments(view: AnalystView): string {
  const onView =
    `COMMENT ON VIEW ${viewName(view)} IS ` +
    sqlLiteral(
      `tango-sync analyst view of the mirror table ${view.table} (Tango ${view.family}): every path of the ` +
        `family's shape in Tango's contract at API ${view.apiVersion} as a typed column, deleted records ` +
        'included (deleted_at). Views cannot be indexed: filter on the indexed typed columns of the mirror table.',
    );
  const onColumns = view.columns.map(
    (column) =>
      `COMMENT ON COLUMN ${viewName(view)}.${quoteIdent(column.name)} IS ` +
      sqlLiteral(columnComment(view, column)),
  );
  return [onView, ...onColumns].join(';\n');
}

/** A column's comment: its type, its source path and family, and the contract it comes from. */
export function columnComment(view: AnalystView, column: AnalystColumn): string {
  const source =
    column.path === null
      ? `tango-sync mirror column of ${view.table}`
      : `Tango ${view.family} ${column.path}, from Tango's contract at API ${view.apiVersion}`;
  return `${column.type}; ${source}; ${column.description}`;
}

/** The statements that (re)create the analyst schema's helpers and every family's view with its comments. */
export function analystViewsSql(views: readonly AnalystView[]): string[] {
  return [...HELPERS, ...views.flatMap((view) => [createView(view), comments(view)])];
}

/** The statements that drop everything `analystViewsSql` creates (the schema last, and only if it is empty). */
export function dropAnalystViewsSql(views: readonly AnalystView[]): string[] {
  return [
    ...views.map((view) => `DROP VIEW IF EXISTS ${viewName(view)}`),
    ...HELPER_SIGNATURES.map((signature) => `DROP FUNCTION IF EXISTS ${S}.${signature}`),
    `DROP SCHEMA IF EXISTS ${S}`,
  ];
}
