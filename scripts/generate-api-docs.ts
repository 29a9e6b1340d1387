/**
 * Writes docs/api/openapi.json (OpenAPI 3.1, the worker's HTTP endpoints) and docs/api/asyncapi.json (AsyncAPI 3.0,
 * its Kafka topics), generated from the code (src/api-docs) and formatted with the repository's Prettier settings.
 * `--check` writes nothing and exits 1 when a committed file is missing or differs (the unit test
 * test/unit/api-docs/api-docs.spec.ts checks the same in CI).
 *
 *   npm run docs:api [-- --check]
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { apiDocuments } from '../src/api-docs/api-doc-files';

async function main(check: boolean): Promise<number> {
  const root = join(__dirname, '..');
  const stale: string[] = [];
  for (const [path, document] of await apiDocuments(root)) {
    const file = join(root, path);
    const options = (await resolveConfig(file)) ?? {};
    const text = await format(JSON.stringify(document), { ...options, filepath: file });
    const current = await readFile(file, 'utf8').catch(() => null);
    if (current === text) {
      continue;
    }
    stale.push(path);
    if (!check) {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text, 'utf8');
    }
  }
  process.stdout.write(
    stale.length === 0
      ? 'API documents are current\n'
      : check
        ? `stale: ${stale.join(', ')} (run npm run docs:api and commit them)\n`
        : `written: ${stale.join(', ')}\n`,
  );
  return check && stale.length > 0 ? 1 : 0;
}

main(process.argv.includes('--check')).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`generate-api-docs: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
