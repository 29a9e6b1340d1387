/**
 * bench/chaos: two worker replicas against the Tango simulator with API faults, duplicate and reordered
 * deliveries in both envelopes, replica SIGKILLs, a Kafka freeze and restart and a Postgres crash, on a private
 * Postgres and Kafka; every delivery attempt is kept in a ledger. Prints lost, missing, stale, duplicate, stuck,
 * 5xx with Postgres up, ack p50/p99/max and secrets found in logs, then one JSON line, and writes the report to
 * bench/results/chaos-<timestamp>.json (the replica logs and the ledger, one line per delivery attempt, go to
 * bench/results/chaos-<timestamp>-logs/).
 *
 *   npm run bench:chaos [-- --records 10000 --deliveries 2000 --seconds 240 --kills 6 --seed 7]
 *   npm run bench:chaos -- --small          # the configuration test/e2e/chaos.e2e-spec.ts runs
 *
 * Needs Java (Kafka) and PostgreSQL's server binaries (`bash scripts/services.sh up` installs and fetches both);
 * it never touches the shared services. Runs the worker built by `npm run bench:build` (dist/src/main.js), or
 * with `--swc` a transpile-only build of the current sources (bench/chaos/worker-build.ts, what the e2e test runs).
 * Exits 1 when any of the zeros is not zero.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repositoryRoot } from '../../test/support/private-services';
import { FULL_PROFILE, SMALL_PROFILE, formatReport, runChaos } from './harness';
import { buildWorkerWithSwc, type WorkerBuild } from './worker-build';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string' },
    deliveries: { type: 'string' },
    seconds: { type: 'string' },
    kills: { type: 'string' },
    seed: { type: 'string' },
    changes: { type: 'string' },
    'settle-seconds': { type: 'string' },
    small: { type: 'boolean', default: false },
    'json-out': { type: 'string' },
    'worker-entry': { type: 'string' },
    swc: { type: 'boolean', default: false },
  },
});

function numberArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) {
    throw new Error(`--${name} must be a non-negative number, not "${value}"`);
  }
  return parsed;
}

async function main(): Promise<void> {
  const root = repositoryRoot();
  const profile = args.small ? SMALL_PROFILE : FULL_PROFILE;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const resultsDir = join(root, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const changes = args.changes === undefined ? undefined : numberArg('changes', args.changes, 0);
  const build: WorkerBuild | undefined = args.swc ? await buildWorkerWithSwc() : undefined;
  const report = await runChaos({
    ...profile,
    records: numberArg('records', args.records, profile.records),
    deliveries: numberArg('deliveries', args.deliveries, profile.deliveries),
    seconds: numberArg('seconds', args.seconds, profile.seconds),
    kills: numberArg('kills', args.kills, profile.kills),
    seed: numberArg('seed', args.seed, profile.seed),
    settleSeconds: numberArg('settle-seconds', args['settle-seconds'], profile.settleSeconds),
    ...(changes === undefined ? {} : { changes }),
    workerEntry: build?.entry ?? args['worker-entry'] ?? join(root, 'dist', 'src', 'main.js'),
    logDir: join(resultsDir, `chaos-${stamp}-logs`),
  }).finally(() => build?.remove());
  for (const line of formatReport(report)) {
    console.log(line);
  }
  const json = JSON.stringify(report);
  const out = args['json-out'] ?? join(resultsDir, `chaos-${stamp}.json`);
  writeFileSync(out, `${json}\n`);
  console.log(`report written to ${out}`);
  console.log(json);
  const f = report.figures;
  const zeros = [f.lost, f.missing, f.stale, f.duplicate, f.stuck, f.fiveXxWithPostgresUp, f.secretsInLogs];
  process.exitCode = zeros.every((value) => value === 0) ? 0 : 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
