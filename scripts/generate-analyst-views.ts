/**
 * Generates, from Tango's vendored contract (src/analyst-views), what analysts query: when the SQL differs from
 * the latest analyst-view migration, a new TypeORM migration `migrations/<timestamp>-analyst-views.ts` (registered
 * in src/database/migrations.ts) that freezes it; and docs/data-dictionary.md and analytics/dbt/sources.yml,
 * formatted with the repository's Prettier settings. `--check` writes nothing and exits 1 when anything is stale
 * (the unit test test/unit/analyst-views/analyst-view-files.spec.ts checks the same).
 *
 *   npm run generate:analyst-views [-- --check]
 */
import { readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import {
  type AnalystArtifacts,
  analystArtifacts,
  analystMigrationClassName,
  analystMigrationFileName,
  analystMigrationSource,
  DATA_DICTIONARY_PATH,
  DBT_SOURCES_PATH,
  latestAnalystMigrationFile,
  registerMigration,
  sameSql,
} from '../src/analyst-views';
import { tangoContract } from '../src/tango-contract/tango-contract';

const ROOT = join(__dirname, '..');
const MIGRATIONS_DIR = join(ROOT, 'migrations');
const REGISTRY = join(ROOT, 'src', 'database', 'migrations.ts');

async function formatted(path: string, text: string): Promise<string> {
  const file = join(ROOT, path);
  return format(text, { ...((await resolveConfig(file)) ?? {}), filepath: file });
}

/** Writes a new migration when the generated SQL differs from the latest one's; returns its path, or null. */
async function migration(artifacts: AnalystArtifacts, check: boolean): Promise<string | null> {
  const latest = latestAnalystMigrationFile(readdirSync(MIGRATIONS_DIR));
  const load = createRequire(__filename);
  const latestSql =
    latest === null
      ? null
      : (load(join(MIGRATIONS_DIR, latest.file)) as { ANALYST_VIEWS_SQL: readonly string[] })
          .ANALYST_VIEWS_SQL;
  if (sameSql(latestSql, artifacts.sql)) {
    return null;
  }
  const timestamp = Math.max(Date.now(), (latest?.timestamp ?? 0) + 1);
  const file = analystMigrationFileName(timestamp);
  if (!check) {
    const source = analystMigrationSource({
      timestamp,
      apiVersion: artifacts.apiVersion,
      sql: artifacts.sql,
      dropSql: artifacts.dropSql,
      previousModule: latest === null ? null : `./${latest.file.replace(/\.ts$/, '')}`,
    });
    await writeFile(join(MIGRATIONS_DIR, file), await formatted(`migrations/${file}`, source), 'utf8');
    const registry = await readFile(REGISTRY, 'utf8');
    const stem = file.replace(/\.ts$/, '');
    const updated = registerMigration(registry, analystMigrationClassName(timestamp), stem);
    await writeFile(REGISTRY, await formatted('src/database/migrations.ts', updated), 'utf8');
  }
  return `migrations/${file}`;
}

/** Writes the documents that differ; returns their paths. */
async function documents(artifacts: AnalystArtifacts, check: boolean): Promise<string[]> {
  const stale: string[] = [];
  const wanted: [string, string][] = [
    [DATA_DICTIONARY_PATH, artifacts.dataDictionary],
    [DBT_SOURCES_PATH, artifacts.dbtSources],
  ];
  for (const [path, text] of wanted) {
    const file = join(ROOT, path);
    const expected = await formatted(path, text);
    if ((await readFile(file, 'utf8').catch(() => null)) === expected) {
      continue;
    }
    stale.push(path);
    if (!check) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, expected, 'utf8');
    }
  }
  return stale;
}

async function main(check: boolean): Promise<number> {
  const artifacts = analystArtifacts(tangoContract());
  const newMigration = await migration(artifacts, check);
  const stale = [...(newMigration === null ? [] : [newMigration]), ...(await documents(artifacts, check))];
  process.stdout.write(
    stale.length === 0
      ? `analyst views are current (Tango API ${artifacts.apiVersion})\n`
      : check
        ? `stale: ${stale.join(', ')} (run npm run generate:analyst-views and commit the result)\n`
        : `written: ${stale.join(', ')}\n`,
  );
  return check && stale.length > 0 ? 1 : 0;
}

main(process.argv.includes('--check')).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `generate:analyst-views: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
