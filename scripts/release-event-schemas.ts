/**
 * Releases the change-event schemas (`npm run events:release`): copies each docs/events/<topic>.schema.json to the
 * baseline docs/events/released/, what consumers of that topic version are promised from then on. Refuses, and
 * writes nothing, when a current schema breaks the baseline of the same version: such a change needs a new topic
 * version (changes.v2), which is released as a new baseline beside the old one.
 *
 *   npm run events:release
 */
import { join } from 'node:path';
import { describeBrokenTopic, releaseEventSchemas } from '../src/events/released-event-schemas';

function main(root: string): number {
  const { written, unchanged, refused } = releaseEventSchemas(root);
  if (refused.length > 0) {
    for (const verdict of refused) {
      process.stderr.write(`${describeBrokenTopic(verdict)}\n`);
    }
    process.stderr.write('refused: nothing released (an incompatible schema cannot replace its baseline)\n');
    return 1;
  }
  process.stdout.write(
    written.length === 0
      ? `the baseline is current (${unchanged.length} topics)\n`
      : `released: ${written.join(', ')} (commit them)\n`,
  );
  return 0;
}

try {
  process.exitCode = main(join(__dirname, '..'));
} catch (error: unknown) {
  process.stderr.write(`release-event-schemas: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
