/**
 * How every benchmark starts what it measures, in one place: the environment it needs (`.services/env`), a scratch
 * database of its own on the services' PostgreSQL (a unique name per run, so two runs never drop each other's),
 * migrations, the built worker as a child process (ready when `/health/ready` answers 200), and the Kafka topics a
 * run leaves behind. A worker started here never talks to the real Tango: unless the bench names a simulator,
 * TANGO_BASE_URL is a closed port of 127.0.0.1 (NO_TANGO), and this process refuses to resolve Tango's host.
 * The private PostgreSQL and Kafka of the chaos harness are test/support/private-services.ts.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { NO_TANGO, refuseTangoLookups } from '../../test/support/no-public-tango';
import { onProcessExit, repositoryRoot } from '../../test/support/private-services';

export { NO_TANGO };

// A bench never resolves Tango's public host either (the console bench runs the worker in this process).
refuseTangoLookups();

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run \`bash scripts/services.sh up && source .services/env\` first`);
  }
  return value;
}

/** Nearest-lower-rank percentile of an ascending array (NaN when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs statements as the server's admin (creating databases needs it), always closing the connection. */
export async function asAdmin(statements: readonly string[]): Promise<void> {
  const admin = new Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await admin.connect();
  try {
    for (const statement of statements) {
      await admin.query(statement);
    }
  } finally {
    await admin.end();
  }
}

export interface ScratchDatabase {
  readonly name: string;
  /** The database's URL for the app's role (DATABASE_URL's user and server). */
  readonly url: string;
  drop(): Promise<void>;
}

/** A new, empty database `tango_sync_bench_<label>_<unique>` owned by DATABASE_URL's role (as in production). */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
  const name = `tango_sync_bench_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const appUrl = new URL(process.env.DATABASE_URL ?? requireEnv('TEST_DATABASE_URL'));
  const owner = decodeURIComponent(appUrl.username) || 'postgres';
  await asAdmin([`CREATE DATABASE ${name} OWNER "${owner.replace(/"/g, '""')}"`]);
  appUrl.pathname = `/${name}`;
  return {
    name,
    url: appUrl.toString(),
    drop: () => asAdmin([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
  };
}

/** Applies every migration to `url` (what the worker does at start-up, for a bench that starts no worker). */
export async function migrateDatabase(
  url: string,
  poolSize = 2,
  statementTimeoutMs = 60_000,
): Promise<DataSource> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, poolSize, statementTimeoutMs, migrationsRun: false }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}

/** The worker `npm run bench:build` builds (`dist/src/main.js`), unless a bench is given another entry point. */
export function workerEntry(explicit?: string): string {
  return explicit ?? join(repositoryRoot(), 'dist', 'src', 'main.js');
}

export interface WorkerProcessOptions {
  /** The worker's compiled entry point (workerEntry()). */
  readonly entry: string;
  readonly port: number;
  /** The worker's settings on top of this process's environment (TANGO_BASE_URL defaults to NO_TANGO). */
  readonly env: Readonly<Record<string, string>>;
  readonly nodeArgs?: readonly string[];
  readonly stdio?: StdioOptions;
  readonly readyTimeoutMs?: number;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    return (await fetch(`${baseUrl}/health/ready`)).ok;
  } catch {
    return false; // not listening yet
  }
}

async function waitReady(child: ChildProcess, baseUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isReady(baseUrl)) {
      return;
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the worker exited with ${child.exitCode ?? child.signalCode} during start-up`);
    }
    await sleep(250);
  }
  throw new Error(`the worker did not become ready within ${Math.round(timeoutMs / 1000)} s`);
}

/** Starts the worker as a child process on 127.0.0.1:`port` and waits until it is ready. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], {
    env: {
      ...process.env,
      TANGO_BASE_URL: NO_TANGO,
      HTTP_HOST: '127.0.0.1',
      ...options.env,
      HTTP_PORT: String(options.port),
    },
    stdio: options.stdio ?? ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const removeExitHook = onProcessExit(() => child.kill('SIGKILL'));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
    }
    await exited;
    removeExitHook();
  };
  const baseUrl = `http://127.0.0.1:${options.port}`;
  try {
    await waitReady(child, baseUrl, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    removeExitHook();
    throw error;
  }
  return { child, baseUrl, stop };
}

/** Deletes the topics named `<prefix>.*` on `brokers` (what a bench's worker created). */
export async function deleteTopics(brokers: readonly string[], prefix: string): Promise<void> {
  const admin = new Kafka({
    clientId: 'tango-sync-bench',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${prefix}.`));
    if (topics.length > 0) {
      await admin.deleteTopics({ topics });
    }
  } finally {
    await admin.disconnect();
  }
}
