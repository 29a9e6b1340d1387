import 'reflect-metadata';
import { serve } from './serve';

serve().catch((error: unknown) => {
  process.stderr.write(
    `tango-sync: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
