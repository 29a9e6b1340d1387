/**
 * Freezes the contract resources' mirror tables (src/resources/resource-tables.ts) into their TypeORM migration,
 * formatted with the repository's Prettier settings. `--check` writes nothing and exits 1 when the migration is
 * stale (the unit test test/unit/resources/resource-tables.spec.ts checks the same).
 *
 *   npm run generate:resource-tables [-- --check]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import {
  contractResourceTablesSql,
  RESOURCE_TABLES_MIGRATION,
  resourceTablesMigrationSource,
} from '../src/resources/resource-tables';

export const RESOURCE_TABLES_FILE = join(
  __dirname,
  '..',
  'migrations',
  `${RESOURCE_TABLES_MIGRATION.timestamp}-contract-resource-tables.ts`,
);

export async function generatedResourceTablesMigration(): Promise<string> {
  const text = resourceTablesMigrationSource(contractResourceTablesSql());
  return format(text, {
    ...((await resolveConfig(RESOURCE_TABLES_FILE)) ?? {}),
    filepath: RESOURCE_TABLES_FILE,
  });
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const generated = await generatedResourceTablesMigration();
  const current = await readFile(RESOURCE_TABLES_FILE, 'utf8').catch(() => '');
  if (generated === current) {
    process.stdout.write(`${RESOURCE_TABLES_FILE}: up to date\n`);
    return;
  }
  if (check) {
    process.stderr.write(`${RESOURCE_TABLES_FILE}: stale (npm run generate:resource-tables)\n`);
    process.exitCode = 1;
    return;
  }
  await writeFile(RESOURCE_TABLES_FILE, generated);
  process.stdout.write(`${RESOURCE_TABLES_FILE}: written\n`);
}

if (require.main === module) {
  void main();
}
