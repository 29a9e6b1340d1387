#!/usr/bin/env node
import 'reflect-metadata';
import { runCli } from './program';

/** The `tango-sync` executable (package.json `bin`, the image's entrypoint). */
runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tango-sync: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
