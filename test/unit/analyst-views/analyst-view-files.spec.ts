import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  analystArtifacts,
  analystMigrationClassName,
  DATA_DICTIONARY_PATH,
  DBT_SOURCES_PATH,
  latestAnalystMigrationFile,
  registerMigration,
  sameSql,
  templateLiteral,
} from '../../../src/analyst-views';
import { MIGRATIONS } from '../../../src/database/migrations';
import { tangoContract } from '../../../src/tango-contract/tango-contract';

const ROOT = join(__dirname, '..', '..', '..');
const REGENERATE = 'run `npm run generate:analyst-views` and commit the new migration and documents';

/** `text` as the repository's Prettier writes it to `path` (the CLI: Prettier's API needs ES modules in jest). */
function prettier(path: string, text: string): string {
  return execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--stdin-filepath', join(ROOT, path)],
    { input: text, encoding: 'utf8' },
  );
}

describe('the generated analyst views, frozen', () => {
  const artifacts = analystArtifacts(tangoContract());
  const latest = latestAnalystMigrationFile(readdirSync(join(ROOT, 'migrations')));

  it(`are what the latest analyst-view migration applies (else ${REGENERATE})`, async () => {
    expect(latest).not.toBeNull();
    const module = (await import(join(ROOT, 'migrations', latest?.file ?? ''))) as {
      ANALYST_VIEWS_SQL: readonly string[];
    };
    expect(sameSql(module.ANALYST_VIEWS_SQL, artifacts.sql)).toBe(true);
  });

  it('the latest analyst-view migration is registered', () => {
    const name = analystMigrationClassName(latest?.timestamp ?? 0);
    expect(MIGRATIONS.map((migration) => migration.name)).toContain(name);
  });

  it.each([
    [DATA_DICTIONARY_PATH, artifacts.dataDictionary],
    [DBT_SOURCES_PATH, artifacts.dbtSources],
  ])(`%s is current (else ${REGENERATE})`, (path, text) => {
    expect(readFileSync(join(ROOT, path), 'utf8')).toBe(prettier(path, text));
  });

  it('the dbt sources test unique and not_null on every id column', () => {
    const sources = readFileSync(join(ROOT, DBT_SOURCES_PATH), 'utf8');
    expect(sources.match(/data_tests:\n\s+- unique\n\s+- not_null/g)).toHaveLength(artifacts.views.length);
  });
});

describe('analyst-view migration sources', () => {
  it('hold SQL verbatim in template literals', () => {
    expect(templateLiteral("a`b ${c} \\d 'e'")).toBe("`a\\`b \\${c} \\\\d 'e'`");
  });

  it('register a new migration after the last import and at the end of MIGRATIONS', () => {
    const registry = [
      "import { A1 } from '../../migrations/1-a';",
      '',
      'export const MIGRATIONS: readonly MigrationClass[] = [',
      '  A1,',
      '];',
      '',
    ].join('\n');
    const updated = registerMigration(registry, 'AnalystViews2', '2-analyst-views');
    expect(updated).toBe(
      [
        "import { A1 } from '../../migrations/1-a';",
        "import { AnalystViews2 } from '../../migrations/2-analyst-views';",
        '',
        'export const MIGRATIONS: readonly MigrationClass[] = [',
        '  A1,',
        '  AnalystViews2,',
        '];',
        '',
      ].join('\n'),
    );
    expect(registerMigration(updated, 'AnalystViews2', '2-analyst-views')).toBe(updated);
  });

  it('find the latest analyst-view migration by its timestamp', () => {
    expect(
      latestAnalystMigrationFile([
        '9-other.ts',
        '20-analyst-views.ts',
        '3-analyst-views.ts',
        'x-analyst-views.ts',
      ]),
    ).toEqual({ file: '20-analyst-views.ts', timestamp: 20 });
    expect(latestAnalystMigrationFile(['1-create.ts'])).toBeNull();
  });
});
