/**
 * Simulator benchmark: starts the standalone simulator as a child process with 1,000 and then 1,000,000
 * contracts, streams the ground truth and walks list pages, reads the child's RSS, then measures detail
 * requests per second with undici on loopback. Bounded work; stops by itself.
 *
 *   npm run bench:simulator [-- --requests 20000 --concurrency 32]
 *   npm run bench:simulator -- --small   # 1,000 and 20,000 contracts, 2,000 requests (test/e2e/benchmarks.e2e-spec.ts)
 *
 * The simulator is transpiled (no type check) into bench/results/simulator-build/ so the child runs plain
 * JavaScript, as `node dist/simulator/main.js` would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { Pool, request } from 'undici';
import { FULL_SHAPES } from '../../simulator/dataset/full-shapes';
import { repositoryRoot } from '../../test/support/private-services';

const ROOT = repositoryRoot();
const BUILD = join(ROOT, 'bench', 'results', 'simulator-build');
const API_KEY = 'bench-key';
const RSS_BUDGET_MB = 50;
const DETAIL_TARGET = 2000;

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) ? value : fallback;
}

/** The simulator and the neutral contract module it reads (with its vendored JSON). */
function transpileSimulator(): string {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  const files = [join(ROOT, 'simulator'), join(ROOT, 'src', 'tango-contract')].flatMap(walk);
  for (const file of files) {
    if (!file.endsWith('.ts')) {
      if (file.endsWith('.json')) {
        const target = join(BUILD, relative(ROOT, file));
        mkdirSync(dirname(target), { recursive: true });
        copyFileSync(file, target);
      }
      continue;
    }
    const output = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
      fileName: file,
    });
    const target = join(BUILD, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output.outputText);
  }
  return join(BUILD, 'simulator', 'main.js');
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (key: string): number =>
    Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: read('VmRSS'), peak: read('VmHWM') };
}

async function startChild(
  main: string,
  contracts: number,
): Promise<{ child: ChildProcess; baseUrl: string }> {
  const child = spawn(
    process.execPath,
    [
      main,
      '--port',
      '0',
      '--contracts',
      String(contracts),
      '--api-key',
      API_KEY,
      '--burst-limit',
      '100000000',
      '--daily-limit',
      '1000000000',
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`simulator exited with ${code}`));
    });
    lines.on('line', (line) => {
      const match = /"baseUrl":"([^"]+)"/.exec(line);
      if (match?.[1] !== undefined) {
        resolve(match[1]);
      }
    });
  });
  return { child, baseUrl };
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
  if (child.exitCode === null) {
    child.kill('SIGKILL');
  }
}

/** Streams `/_sim/state` for contracts, counting bytes and records without keeping them. */
async function streamGroundTruth(
  baseUrl: string,
): Promise<{ bytes: number; records: number; seconds: number }> {
  const started = Date.now();
  const response = await request(`${baseUrl}/_sim/state?family=contracts&format=ndjson`);
  let bytes = 0;
  let records = 0;
  for await (const chunk of response.body) {
    const buffer = chunk as Buffer;
    bytes += buffer.length;
    for (const byte of buffer) {
      if (byte === 10) {
        records += 1;
      }
    }
  }
  return { bytes, records: records - 1, seconds: (Date.now() - started) / 1000 };
}

/** Walks `pages` keyset pages of 100 and returns the keys seen. */
async function walkPages(baseUrl: string, pages: number): Promise<string[]> {
  const keys: string[] = [];
  let path: string | null = '/api/contracts/?limit=100&shape=key';
  for (let page = 0; page < pages && path !== null; page += 1) {
    const response = await request(`${baseUrl}${path}`, { headers: { 'x-api-key': API_KEY } });
    const body = (await response.body.json()) as { next: string | null; results: { key: string }[] };
    keys.push(...body.results.map((record) => record.key));
    path = body.next === null ? null : new URL(body.next).pathname + new URL(body.next).search;
  }
  return keys;
}

async function detailRate(
  baseUrl: string,
  keys: readonly string[],
  total: number,
  concurrency: number,
): Promise<{ perSecond: number; errors: number }> {
  const pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1 });
  let next = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const key = keys[next % keys.length]!;
      next += 1;
      const response = await pool.request({
        path: `/api/contracts/${key}/`,
        method: 'GET',
        headers: { 'x-api-key': API_KEY },
      });
      await response.body.text();
      if (response.statusCode !== 200) {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return { perSecond: total / seconds, errors };
}

/** Id-list pages as the worker fetches them: 100 keys per request with the full contracts shape. */
async function idListRate(
  baseUrl: string,
  keys: readonly string[],
  pages: number,
  concurrency: number,
): Promise<{ perSecond: number; errors: number }> {
  const pool = new Pool(baseUrl, { connections: concurrency, pipelining: 1 });
  const shape = encodeURIComponent(FULL_SHAPES.contracts);
  let next = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < pages) {
      const offset = (next * 100) % Math.max(1, keys.length - 100);
      next += 1;
      const ids = keys.slice(offset, offset + 100).join('|');
      const response = await pool.request({
        path: `/api/contracts/?limit=100&shape=${shape}&key=${encodeURIComponent(ids)}`,
        method: 'GET',
        headers: { 'x-api-key': API_KEY },
      });
      await response.body.text();
      if (response.statusCode !== 200) {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return { perSecond: pages / seconds, errors };
}

interface Figures {
  contracts: number;
  rssStartMb: number;
  rssAfterMb: number;
  peakMb: number;
  groundTruthRecords: number;
  groundTruthSeconds: number;
  detailPerSecond: number;
  detailErrors: number;
  idListPagesPerSecond: number;
  idListErrors: number;
}

async function measure(
  main: string,
  contracts: number,
  requests: number,
  concurrency: number,
): Promise<Figures> {
  const { child, baseUrl } = await startChild(main, contracts);
  try {
    const pid = child.pid!;
    await walkPages(baseUrl, 2);
    const start = rssMb(pid);
    const truth = await streamGroundTruth(baseUrl);
    const keys = await walkPages(baseUrl, 200);
    await request(
      `${baseUrl}/api/contracts/?limit=100&cursor=${encodeURIComponent(Buffer.from(JSON.stringify(['2022-01-01', '7fff0000-0000-4000-8000-000000000000'])).toString('base64'))}`,
      {
        headers: { 'x-api-key': API_KEY },
      },
    ).then((response) => response.body.text());
    const after = rssMb(pid);
    await detailRate(baseUrl, keys, Math.min(2000, requests), concurrency);
    const rate = await detailRate(baseUrl, keys, requests, concurrency);
    const idList = await idListRate(baseUrl, keys, Math.max(50, Math.floor(requests / 100)), concurrency);
    return {
      contracts,
      rssStartMb: start.rss,
      rssAfterMb: after.rss,
      peakMb: rssMb(pid).peak,
      groundTruthRecords: truth.records,
      groundTruthSeconds: truth.seconds,
      detailPerSecond: rate.perSecond,
      detailErrors: rate.errors,
      idListPagesPerSecond: idList.perSecond,
      idListErrors: idList.errors,
    };
  } finally {
    await stopChild(child);
  }
}

const SMALL = process.argv.includes('--small');
/** The larger dataset's contracts (the smaller one has 1,000). */
const LARGE_CONTRACTS = SMALL ? 20_000 : 1_000_000;

async function main(): Promise<void> {
  const requests = flag('requests', SMALL ? 2_000 : 20_000);
  const concurrency = flag('concurrency', 32);
  const entry = transpileSimulator();
  const small = await measure(entry, 1_000, requests, concurrency);
  const large = await measure(entry, LARGE_CONTRACTS, requests, concurrency);
  const rows = [small, large].map((f) => ({
    contracts: f.contracts,
    'rss after start (MB)': f.rssStartMb.toFixed(1),
    'rss after ground truth + pages (MB)': f.rssAfterMb.toFixed(1),
    'peak rss (MB)': f.peakMb.toFixed(1),
    'ground-truth records': f.groundTruthRecords,
    'ground-truth seconds': f.groundTruthSeconds.toFixed(1),
    'detail req/s': Math.round(f.detailPerSecond),
    'detail errors': f.detailErrors,
    'id-list pages/s (100 keys, full shape)': Math.round(f.idListPagesPerSecond),
    'id-list errors': f.idListErrors,
  }));
  console.table(rows);
  const growth = large.rssAfterMb - small.rssAfterMb;
  const peakGrowth = large.peakMb - small.peakMb;
  console.log(
    `RSS growth 1,000 -> ${LARGE_CONTRACTS.toLocaleString('en-US')} contracts: ${growth.toFixed(1)} MB (peak ${peakGrowth.toFixed(1)} MB; budget ${RSS_BUDGET_MB} MB): ${growth <= RSS_BUDGET_MB ? 'OK' : 'OVER'}`,
  );
  console.log(
    `Detail requests/s at ${LARGE_CONTRACTS.toLocaleString('en-US')} contracts: ${Math.round(large.detailPerSecond)} (target ${DETAIL_TARGET}): ${large.detailPerSecond >= DETAIL_TARGET ? 'OK' : 'UNDER'}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
