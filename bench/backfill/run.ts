/**
 * bench/backfill: a full backfill of 100,000 simulated contracts through the real CLI, killed with SIGKILL in the
 * middle and resumed. Reports pages and requests per run (the resumed run must not re-fetch committed pages), the
 * records mirrored, the rate, and the CLI's peak RSS sampled from /proc.
 *
 *   npm run bench:backfill [-- --contracts 100000 --kill-after-seconds 20]
 *
 * The simulator runs as its own process (so its memory does not count), on loopback; the run is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';

const { values: args } = parseArgs({
  options: {
    contracts: { type: 'string', default: '100000' },
    'kill-after-seconds': { type: 'string', default: '20' },
    port: { type: 'string', default: '8791' },
  },
});
const ROOT = join(__dirname, '..', '..', '..');
const CONTRACTS = Number(args.contracts);
const SIM_URL = `http://127.0.0.1:${args.port}`;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run \`bash scripts/services.sh up && source .services/env\` first`);
  }
  return value;
}

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

async function freshDatabase(): Promise<string> {
  const admin = new Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await admin.connect();
  const appUrl = new URL(requireEnv('DATABASE_URL'));
  await admin.query('DROP DATABASE IF EXISTS tango_sync_bench_backfill WITH (FORCE)');
  await admin.query(
    `CREATE DATABASE tango_sync_bench_backfill OWNER "${decodeURIComponent(appUrl.username) || 'postgres'}"`,
  );
  await admin.end();
  appUrl.pathname = '/tango_sync_bench_backfill';
  return appUrl.toString();
}

async function simRequests(): Promise<number> {
  const state = (await (await fetch(`${SIM_URL}/_sim/counters`)).json()) as {
    requestsByRoute?: Record<string, number>;
  };
  return Object.entries(state.requestsByRoute ?? {})
    .filter(([route]) => route.includes('/api/contracts/'))
    .reduce((sum, [, value]) => sum + value, 0);
}

interface RunOutcome {
  readonly seconds: number;
  readonly peakRssBytes: number;
  readonly killed: boolean;
  readonly requests: number;
  readonly summary: Record<string, unknown> | null;
}

async function runBackfill(databaseUrl: string, killAfterMs: number | null): Promise<RunOutcome> {
  const before = await simRequests();
  const started = Date.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'backfill', 'contracts'],
    {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        TANGO_BASE_URL: SIM_URL,
        TANGO_API_KEY: 'sim-key',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssOf(child.pid ?? 0));
  }, 100);
  let killed = false;
  const killer =
    killAfterMs === null
      ? undefined
      : setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, killAfterMs);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  clearTimeout(killer);
  const lastLine = output
    .trim()
    .split('\n')
    .filter((line) => line.includes('"command":"backfill"'))
    .at(-1);
  return {
    seconds: (Date.now() - started) / 1000,
    peakRssBytes: peak,
    killed,
    requests: (await simRequests()) - before,
    summary: lastLine === undefined ? null : (JSON.parse(lastLine) as Record<string, unknown>),
  };
}

async function main(): Promise<void> {
  const sim = spawn(
    process.execPath,
    [
      join(ROOT, 'dist', 'src', 'simulator', 'main.js'),
      '--port',
      args.port,
      '--contracts',
      String(CONTRACTS),
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      try {
        if ((await fetch(`${SIM_URL}/_sim/counters`)).ok) {
          break;
        }
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const databaseUrl = await freshDatabase();
    const migrate = spawn(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typeorm', 'cli.js'),
        '-d',
        join(ROOT, 'dist', 'src', 'database', 'data-source.js'),
        'migration:run',
      ],
      {
        env: { ...process.env, DATABASE_URL: databaseUrl },
        stdio: 'ignore',
      },
    );
    await new Promise((resolve) => migrate.once('exit', resolve));
    const first = await runBackfill(databaseUrl, Number(args['kill-after-seconds']) * 1000);
    const db = new Client({ connectionString: databaseUrl });
    await db.connect();
    const afterKill = Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM contracts')).rows[0]?.n ?? '0',
    );
    const checkpoint = (
      await db.query<{ pages: number; records: string }>(
        'SELECT pages, records::text AS records FROM backfill_checkpoints',
      )
    ).rows[0];
    const second = await runBackfill(databaseUrl, null);
    const total = Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM contracts')).rows[0]?.n ?? '0',
    );
    await db.end();
    const pagesTotal = Math.ceil(CONTRACTS / 100);
    console.log(
      `backfill: killed (SIGKILL) after ${first.seconds.toFixed(1)} s with ${afterKill} contracts committed ` +
        `(checkpoint: ${checkpoint?.pages ?? '?'} pages), ${first.requests} list requests; peak RSS ${(first.peakRssBytes / 1_048_576).toFixed(0)} MB`,
    );
    console.log(
      `resumed: ${second.requests} list requests in ${second.seconds.toFixed(1)} s; ${total}/${CONTRACTS} contracts mirrored; ` +
        `requests over both runs ${first.requests + second.requests} for ${pagesTotal} pages ` +
        `(a re-fetched page costs one more); peak RSS ${(second.peakRssBytes / 1_048_576).toFixed(0)} MB; ` +
        `${Math.round((total - afterKill) / second.seconds)} records/s`,
    );
    console.log(JSON.stringify({ contracts: CONTRACTS, first, afterKill, checkpoint, second, total }));
  } finally {
    sim.kill('SIGTERM');
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
