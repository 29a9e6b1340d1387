/**
 * The schema gate (`npm run check:events`, part of `npm run check`): compares each change-event schema in
 * docs/events with the released baseline of the same topic version (docs/events/released) and exits 1 when a
 * change would break that topic's consumers. A topic version without a baseline is new and passes.
 *
 *   npx ts-node --transpile-only scripts/check-event-schemas.ts [root]
 */
import { join } from 'node:path';
import { checkEventSchemas, describeBrokenTopic, isBroken } from '../src/events/released-event-schemas';

function main(root: string): number {
  const { verdicts, retired } = checkEventSchemas(root);
  const broken = verdicts.filter(isBroken);
  const fresh = verdicts
    .filter((verdict) => verdict.releasedPath === undefined)
    .map((verdict) => verdict.topic);
  for (const verdict of broken) {
    process.stderr.write(`${describeBrokenTopic(verdict)}\n`);
  }
  if (fresh.length > 0) {
    process.stdout.write(`not released yet (npm run events:release): ${fresh.join(', ')}\n`);
  }
  if (retired.length > 0) {
    process.stdout.write(`released but no longer published: ${retired.join(', ')}\n`);
  }
  process.stdout.write(
    broken.length === 0
      ? `event schemas are compatible with their released versions (${verdicts.length} topics)\n`
      : `${broken.length} topic(s) break their released schema\n`,
  );
  return broken.length === 0 ? 0 : 1;
}

try {
  process.exitCode = main(process.argv[2] ?? join(__dirname, '..'));
} catch (error: unknown) {
  process.stderr.write(`check-event-schemas: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
