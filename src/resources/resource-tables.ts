import { FAMILIES, type FamilyDescriptor } from '../common/tango/families';
import { DESCRIBED_FAMILIES } from '../common/tango/resource-family';
import { CONTRACT_RESOURCE_NAMES } from '../tango-contract/resource-identity';
import { templateLiteral } from '../analyst-views/migration-source';

/**
 * The schema of the contract resources' mirror tables, generated from their descriptors and frozen into a
 * migration (`npm run generate:resource-tables`): one table per resource shaped like the nine families' (id,
 * typed and indexed join columns, the whole record, bookkeeping), its `record_history` partition and
 * `<resource>_as_of` function, its `sync_state` row, and the resource lists of the checks that name resources.
 * Every table exists once the operator migrates; turning a resource on (`TANGO_RESOURCES`) needs no DDL, turning
 * it off leaves its rows.
 */

/** The checks that list the resources a row may name: `[table, constraint, column, nullable]`. */
const RESOURCE_CHECKS = [
  ['sync_state', 'sync_state_resource_known', 'scope_key', false],
  ['fetch_targets', 'fetch_targets_resource_check', 'resource', false],
  ['sync_gaps', 'sync_gaps_resource_check', 'resource', true],
  ['family_shapes', 'family_shapes_resource_check', 'resource', false],
  ['backfill_segments', 'backfill_segments_family_check', 'family', false],
] as const;

const quoted = (names: readonly string[]): string => names.map((name) => `'${name}'`).join(', ');

function checkSql(names: readonly string[]): string[] {
  return RESOURCE_CHECKS.map(([table, constraint, column, nullable]) => {
    const known = `${column} IN (${quoted(names)})`;
    const condition =
      table === 'sync_state'
        ? `scope <> 'resource' OR ${known}`
        : nullable
          ? `${column} IS NULL OR ${known}`
          : known;
    return `ALTER TABLE ${table} DROP CONSTRAINT ${constraint}, ADD CONSTRAINT ${constraint} CHECK (${condition})`;
  });
}

function tableSql(spec: FamilyDescriptor): string[] {
  const id = spec.idField;
  const columns = spec.columns.map((column) => `  ${column.name} ${column.type},`).join('\n');
  return [
    `CREATE TABLE ${spec.table} (
  ${id} text PRIMARY KEY,
${columns}
  record jsonb NOT NULL,
  content_hash text NOT NULL,
  version integer NOT NULL DEFAULT 1,
  first_seen_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  fetched_at timestamptz NOT NULL,
  changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  source_modified_at timestamptz,
  deleted_at timestamptz
)`,
    ...spec.columns
      .filter((column) => column.indexed)
      .map((column) => `CREATE INDEX ${spec.table}_${column.name} ON ${spec.table} (${column.name})`),
    `CREATE INDEX ${spec.table}_changed_at ON ${spec.table} (changed_at)`,
    `CREATE INDEX ${spec.table}_verified_order ON ${spec.table} (fetched_at, ${id}) WHERE deleted_at IS NULL`,
    `COMMENT ON TABLE ${spec.table} IS 'tango-sync mirror of Tango /api/${spec.collection}/: full record in "record", typed columns for joins (id "${id}")'`,
    `CREATE TABLE record_history_${spec.table} PARTITION OF record_history FOR VALUES IN ('${spec.family}')`,
    `CREATE FUNCTION ${spec.table}_as_of(at timestamptz)
RETURNS TABLE (record_id text, version integer, valid_from timestamptz, record jsonb)
LANGUAGE sql STABLE AS $$ SELECT * FROM tango_record_as_of('${spec.family}', at) $$`,
    `INSERT INTO sync_state (scope, scope_key) VALUES ('resource', '${spec.family}') ON CONFLICT DO NOTHING`,
  ];
}

function dropTableSql(spec: FamilyDescriptor): string[] {
  return [
    `DROP FUNCTION ${spec.table}_as_of(timestamptz)`,
    `DROP TABLE record_history_${spec.table}`,
    `DROP TABLE ${spec.table}`,
  ];
}

export interface ResourceTablesSql {
  readonly up: readonly string[];
  readonly down: readonly string[];
}

/** The SQL that creates (and drops) the contract resources' tables, for the frozen migration. */
export function contractResourceTablesSql(): ResourceTablesSql {
  const specs = CONTRACT_RESOURCE_NAMES.map((name) => FAMILIES[name]);
  const names = [...DESCRIBED_FAMILIES, ...CONTRACT_RESOURCE_NAMES];
  const bookkeeping = [
    ['sync_state', 'scope_key'],
    ['fetch_targets', 'resource'],
    ['sync_gaps', 'resource'],
    ['family_shapes', 'resource'],
    ['backfill_segments', 'family'],
    ['change_events', 'resource'],
  ] as const;
  return {
    up: [...checkSql(names), ...specs.flatMap(tableSql)],
    down: [
      ...bookkeeping.map(
        ([table, column]) => `DELETE FROM ${table} WHERE ${column} IN (${quoted(CONTRACT_RESOURCE_NAMES)})`,
      ),
      ...specs.flatMap(dropTableSql),
      ...checkSql(DESCRIBED_FAMILIES),
    ],
  };
}

export const RESOURCE_TABLES_MIGRATION = {
  timestamp: 1796700000000,
  name: 'ContractResourceTables1796700000000',
};

/** The frozen migration's source text. */
export function resourceTablesMigrationSource(sql: ResourceTablesSql): string {
  const list = (statements: readonly string[]): string =>
    statements.map((statement) => `  ${templateLiteral(statement)},`).join('\n');
  const { name } = RESOURCE_TABLES_MIGRATION;
  return `import { type MigrationInterface, type QueryRunner } from 'typeorm';

/*
 * Generated by \`npm run generate:resource-tables\` (src/resources/resource-tables.ts) from the contract resources'
 * descriptors. Do not edit: a unit test fails when the generator's output differs. A later change to these
 * tables is a new migration.
 */

/** The contract resources' mirror tables, history partitions, as-of functions, sync state and resource checks. */
export const RESOURCE_TABLES_SQL: readonly string[] = [
${list(sql.up)}
];

const DROP_SQL: readonly string[] = [
${list(sql.down)}
];

export class ${name} implements MigrationInterface {
  name = '${name}';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of RESOURCE_TABLES_SQL) {
      await queryRunner.query(statement);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of DROP_SQL) {
      await queryRunner.query(statement);
    }
  }
}
`;
}
