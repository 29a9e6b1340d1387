import { ANALYST_SCHEMA, type AnalystColumn, type AnalystView, quoteIdent } from './analyst-columns';

const S = ANALYST_SCHEMA;

/**
 * The safe casts every view column goes through: a JSON value of the wrong type (or one that does not parse)
 * gives NULL, never an error. The SQL ones are inlined by the planner; date and timestamp parsing needs an
 * exception handler (Postgres 15 has no `pg_input_is_valid`), entered only for values that look like one.
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
  `CREATE OR REPLACE FUNCTION ${S}.as_date(v jsonb) RETURNS date LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  AS $$
  BEGIN
    IF jsonb_typeof(v) IS DISTINCT FROM 'string' OR (v #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
      RETURN NULL;
    END IF;
    RETURN (v #>> '{}')::date;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END
  $$`,
  `CREATE OR REPLACE FUNCTION ${S}.as_timestamptz(v jsonb) RETURNS timestamptz LANGUAGE plpgsql STABLE PARALLEL SAFE
  AS $$
  BEGIN
    IF jsonb_typeof(v) IS DISTINCT FROM 'string'
       OR (v #>> '{}') !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$' THEN
      RETURN NULL;
    END IF;
    RETURN (v #>> '{}')::timestamptz;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END
  $$`,
  `CREATE OR REPLACE FUNCTION ${S}.code_of(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE jsonb_typeof(v) WHEN 'object' THEN v ->> 'code' WHEN 'string' THEN v #>> '{}'
                                    WHEN 'number' THEN v #>> '{}' END $$`,
  `CREATE OR REPLACE FUNCTION ${S}.description_of(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN jsonb_typeof(v) = 'object' THEN v ->> 'description' END $$`,
];

const HELPER_NAMES = [
  'as_text',
  'as_bigint',
  'as_numeric',
  'as_boolean',
  'as_date',
  'as_timestamptz',
  'code_of',
  'description_of',
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
    ...HELPER_NAMES.map((name) => `DROP FUNCTION IF EXISTS ${S}.${name}(jsonb)`),
    `DROP SCHEMA IF EXISTS ${S}`,
  ];
}
