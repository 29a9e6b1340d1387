/**
 * Writes docs/events/<family>.changes.v1.schema.json from the zod envelope (src/events/change-event.schema.ts) and
 * docs/events/<family>.state.v1.schema.json from the state message (src/events/state-message.schema.ts), formatted with the repository's Prettier settings. `--check` writes nothing and exits 1 when a committed file is
 * missing or differs (the unit tests test/unit/events/change-event-schema-files.spec.ts and
 * state-message-schema-files.spec.ts check the same in CI).
 *
 *   npx ts-node --transpile-only scripts/generate-event-schemas.ts [--check]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { eventJsonSchemaFiles } from '../src/events/state-message.json-schema';

async function main(check: boolean): Promise<number> {
  const root = join(__dirname, '..');
  const stale: string[] = [];
  for (const [path, schema] of eventJsonSchemaFiles()) {
    const file = join(root, path);
    const options = (await resolveConfig(file)) ?? {};
    const text = await format(JSON.stringify(schema), { ...options, filepath: file });
    const current = await readFile(file, 'utf8').catch(() => null);
    if (current === text) {
      continue;
    }
    stale.push(path);
    if (!check) {
      await writeFile(file, text, 'utf8');
    }
  }
  process.stdout.write(
    stale.length === 0
      ? 'event schemas are current\n'
      : `${check ? 'stale' : 'written'}: ${stale.join(', ')}\n`,
  );
  return check && stale.length > 0 ? 1 : 0;
}

main(process.argv.includes('--check')).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `generate-event-schemas: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
