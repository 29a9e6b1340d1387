/**
 * bench/backfill: the managed backfill (issue 16) against the simulator with 300 ms per request and a burst limit
 * of 600 requests a minute, on 200,000 contracts and 20,000 entities, through the real CLI in child processes:
 * `backfill start contracts entities` is killed with SIGKILL once ~40% of the records are committed, then
 * `backfill run <job-id>` finishes the job. Prints the requests/s against the burst budget (over whole burst
 * windows once warm) and the 429s, records/s, the children's peak RSS (sampled every second from /proc), the
 * pages fetched twice because of the kill, and whether the mirror equals the simulator's ground truth.
 *
 *   npm run bench:backfill [-- --contracts 200000 --entities 20000 --concurrency 6 --latency-ms 300 --burst 600]
 *   npm run bench:backfill -- --small        # 20,000 contracts + 2,000 entities: about half a minute of requests
 *
 * The simulator runs in this process (its memory does not count); the CLI is a transpile-only build of the current
 * sources (bench/chaos/worker-build.ts) on a scratch database that is dropped at the end (--keep-db keeps it). The
 * children's output goes to bench/results/backfill-<timestamp>-*.log. A full run is about four minutes of requests.
 * Exits 1 when the mirror is not exact (or the job did not end done), 2 on an error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { type Family, startSimulator, type RunningSimulator } from '../../simulator';
import { type JsonObject } from '../../simulator/dataset/json';
import { onProcessExit, repositoryRoot } from '../../test/support/private-services';
import { buildWorkerWithSwc, type WorkerBuild } from '../chaos/worker-build';
import { scratchDatabase, sleep, type ScratchDatabase } from '../support/stack';

const { values: args } = parseArgs({
  options: {
    small: { type: 'boolean', default: false },
    contracts: { type: 'string' },
    entities: { type: 'string' },
    concurrency: { type: 'string', default: '6' },
    'latency-ms': { type: 'string', default: '300' },
    burst: { type: 'string', default: '600' },
    'burst-window-seconds': { type: 'string', default: '60' },
    /** Share of the records committed when the first process is killed. */
    'kill-at': { type: 'string', default: '0.4' },
    /** BACKFILL_LEASE_MS of the children (unset: the default). */
    'lease-ms': { type: 'string' },
    seed: { type: 'string', default: '16' },
    'keep-db': { type: 'boolean', default: false },
    /** Serve from the simulator as it is: every record generated again on every request (see memoiseRecords). */
    'raw-simulator': { type: 'boolean', default: false },
    /** Extra Node.js flags of the CLI processes, space-separated: e.g. --child-node-args="--trace-gc" (to their logs). */
    'child-node-args': { type: 'string', default: '' },
  },
});

const NO_RECORDS = {
  contracts: 0,
  idvs: 0,
  otas: 0,
  otidvs: 0,
  opportunities: 0,
  notices: 0,
  entities: 0,
  grants: 0,
  forecasts: 0,
};
const CONTRACTS = Number(args.contracts ?? (args.small ? 20_000 : 200_000));
const ENTITIES = Number(args.entities ?? (args.small ? 2_000 : 20_000));
const CONCURRENCY = Number(args.concurrency);
const LATENCY_MS = Number(args['latency-ms']);
const BURST = Number(args.burst);
const WINDOW_MS = Number(args['burst-window-seconds']) * 1000;
const KILL_AT = Number(args['kill-at']);
const LIST_ROUTES = ['GET /api/contracts/', 'GET /api/entities/'];
const MB = 1_048_576;

/** VmRSS and VmHWM of a process, in bytes (null once it is gone). */
function memoryOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

/** A CLI child process, its RSS sampled every second. */
interface CliRun {
  readonly child: ChildProcess;
  readonly startedAt: number;
  readonly exited: Promise<number | null>;
  /** [ms since start, RSS bytes] */
  readonly rss: [number, number][];
  /** The last VmHWM read (the peak RSS up to then). */
  hwm: number;
  endedAt: number | null;
}

function startCli(
  entry: string,
  cliArgs: readonly string[],
  env: NodeJS.ProcessEnv,
  logPath: string,
): CliRun {
  const log = openSync(logPath, 'a');
  const nodeArgs = args['child-node-args'].split(' ').filter((arg) => arg !== '');
  const child = spawn(process.execPath, [...nodeArgs, entry, ...cliArgs], {
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const run: CliRun = {
    child,
    startedAt: Date.now(),
    exited: new Promise((resolve) => {
      child.once('exit', resolve);
    }),
    rss: [],
    hwm: 0,
    endedAt: null,
  };
  const sample = (): void => {
    const memory = memoryOf(child.pid ?? -1);
    if (memory !== null && memory.rss > 0) {
      run.rss.push([Date.now() - run.startedAt, memory.rss]);
      run.hwm = Math.max(run.hwm, memory.hwm);
    }
  };
  const sampler = setInterval(sample, 1_000);
  void run.exited.then(() => {
    clearInterval(sampler);
    run.endedAt = Date.now();
  });
  return run;
}

/**
 * The simulator generates a record again each time it reads one, and a date-filtered list of awards reads the
 * family from its start (to count the matches, once per filter, and to reach the first match): with 200,000
 * contracts that is about 1.5 s of this process's CPU per new filter (3 s for a window holding no contracts), so
 * the simulator, not the backfill, would set the pace. The records are generated once, up front, and kept (about
 * 600 MB here, none of it in the processes measured); nothing in this bench modifies a record, so what is served
 * is unchanged. --raw-simulator leaves the simulator as it is.
 */
function memoiseRecords(sim: RunningSimulator, sizes: Readonly<Partial<Record<Family, number>>>): void {
  const dataset = sim.control.dataset;
  const generate = dataset.get.bind(dataset);
  const kept = new Map<Family, (JsonObject | undefined)[]>();
  dataset.get = (family: Family, index: number): JsonObject | undefined => {
    let records = kept.get(family);
    if (records === undefined) {
      records = [];
      kept.set(family, records);
    }
    const record = records[index] ?? generate(family, index);
    records[index] = record;
    return record;
  };
  for (const [family, size] of Object.entries(sizes) as [Family, number][]) {
    for (let index = 0; index < size; index += 1) {
      dataset.get(family, index);
    }
  }
}

/** A counter of the simulator, sampled every 100 ms: [epoch ms, list requests, all /api/ requests]. */
type Sample = readonly [number, number, number];

function apiRequests(sim: RunningSimulator): { list: number; all: number } {
  const routes = sim.control.counters().requestsByRoute;
  let list = 0;
  let all = 0;
  for (const [route, count] of Object.entries(routes)) {
    if (route.includes(' /api/')) {
      all += count;
    }
    if (LIST_ROUTES.includes(route)) {
      list += count;
    }
  }
  return { list, all };
}

/** All /api/ requests served by time `t`, interpolated between samples. */
function requestsAt(samples: readonly Sample[], t: number): number {
  let before: Sample | undefined;
  for (const sample of samples) {
    if (sample[0] >= t) {
      if (before === undefined) {
        return sample[2];
      }
      const share = (t - before[0]) / Math.max(1, sample[0] - before[0]);
      return before[2] + share * (sample[2] - before[2]);
    }
    before = sample;
  }
  return before?.[2] ?? 0;
}

async function scalar(db: Client, sql: string, params: unknown[] = []): Promise<number> {
  const result = await db.query<{ value: string | number | null }>(sql, params);
  return Number(result.rows[0]?.value ?? 0);
}

/** Differences between the simulator's ground truth (id → content hash) and a mirror table. */
async function mirrorDiff(
  db: Client,
  truth: ReadonlyMap<string, string>,
  table: string,
  idColumn: string,
): Promise<{ missing: number; extra: number; differing: number }> {
  const rows = await db.query<{ id: string; hash: string }>(
    `SELECT ${idColumn}::text AS id, content_hash AS hash FROM ${table} WHERE deleted_at IS NULL`,
  );
  let extra = 0;
  let differing = 0;
  const seen = new Set<string>();
  for (const row of rows.rows) {
    seen.add(row.id);
    const expected = truth.get(row.id);
    if (expected === undefined) {
      extra += 1;
    } else if (expected !== row.hash) {
      differing += 1;
    }
  }
  const missing = [...truth.keys()].filter((id) => !seen.has(id)).length;
  return { missing, extra, differing };
}

const mb = (bytes: number): string => `${Math.round(bytes / MB)} MB`;
const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');

/** Mean RSS of the samples in [from, to) of a run's duration (shares 0..1). */
function meanRss(run: CliRun, from: number, to: number): number {
  const duration = (run.endedAt ?? Date.now()) - run.startedAt;
  const picked = run.rss.filter(([t]) => t >= from * duration && t < to * duration).map(([, rss]) => rss);
  return picked.length === 0 ? 0 : picked.reduce((sum, rss) => sum + rss, 0) / picked.length;
}

/** What one run holds: the CLI build, its environment, the simulator, the database and the children started. */
interface BackfillRun {
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logPrefix: string;
  readonly sim: RunningSimulator;
  readonly simStartedAt: number;
  readonly db: Client;
  readonly children: CliRun[];
  readonly samples: Sample[];
}

/** The job's first process, killed once KILL_AT of the records were committed. */
interface KilledStart {
  readonly first: CliRun;
  readonly killedAt: number;
  readonly recordsAtKill: number;
  readonly jobId: string;
}

const TOTAL_RECORDS = CONTRACTS + ENTITIES;

function committed(db: Client): Promise<number> {
  return scalar(db, 'SELECT COALESCE(sum(records), 0)::bigint AS value FROM backfill_segments');
}

function printHeader(logPrefix: string): void {
  console.log(
    `backfill bench: ${CONTRACTS.toLocaleString('en-US')} contracts + ${ENTITIES.toLocaleString('en-US')} entities, ` +
      `${LATENCY_MS} ms per request, burst ${BURST}/${WINDOW_MS / 1000} s, BACKFILL_CONCURRENCY=${CONCURRENCY}, ` +
      `SIGKILL at ${Math.round(KILL_AT * 100)}%, ${args['raw-simulator'] ? 'raw simulator' : 'simulator records memoised'} ` +
      `(logs: ${logPrefix}-*.log)`,
  );
}

async function startBackfillSimulator(): Promise<RunningSimulator> {
  const sim = await startSimulator({
    port: 0,
    seed: Number(args.seed),
    sizes: { ...NO_RECORDS, contracts: CONTRACTS, entities: ENTITIES },
    webhooks: { schedule: false },
    faults: { latencyMs: LATENCY_MS },
    rateLimits: {
      burstLimit: BURST,
      burstWindowSeconds: WINDOW_MS / 1000,
      dailyLimit: 10_000_000,
    },
  });
  if (!args['raw-simulator']) {
    memoiseRecords(sim, { contracts: CONTRACTS, entities: ENTITIES });
  }
  return sim;
}

function cliEnv(databaseUrl: string, sim: RunningSimulator): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TANGO_BASE_URL: sim.baseUrl,
    TANGO_API_KEY: 'sim-key',
    LOG_LEVEL: 'warn',
    BACKFILL_CONCURRENCY: String(CONCURRENCY),
    ...(args['lease-ms'] === undefined ? {} : { BACKFILL_LEASE_MS: args['lease-ms'] }),
  };
}

/** A CLI child of the run, with its exit code once it exited (undefined before). */
function startChild(
  run: BackfillRun,
  cliArgs: readonly string[],
  log: string,
): { cli: CliRun; exit: () => number | null | undefined } {
  const cli = startCli(run.entry, cliArgs, run.env, `${run.logPrefix}-${log}.log`);
  run.children.push(cli);
  let code: number | null | undefined;
  void cli.exited.then((exitCode) => {
    code = exitCode;
  });
  return { cli, exit: () => code };
}

/** Every `10 s`, one progress line. */
function progress(): (line: () => Promise<string>) => Promise<void> {
  let lastReport = Date.now();
  return async (line) => {
    if (Date.now() - lastReport >= 10_000) {
      lastReport = Date.now();
      console.log(await line());
    }
  };
}

/** 1. Starts the job in a first process and kills it once KILL_AT of the records are committed. */
async function startAndKill(run: BackfillRun): Promise<KilledStart> {
  const { cli: first, exit } = startChild(run, ['backfill', 'start', 'contracts', 'entities'], 'start');
  const report = progress();
  for (;;) {
    await sleep(250);
    const records = await committed(run.db);
    if (records >= KILL_AT * TOTAL_RECORDS) {
      break;
    }
    if (exit() !== undefined) {
      throw new Error(`the first process exited (${exit()}) before the kill: see ${run.logPrefix}-start.log`);
    }
    await report(() =>
      Promise.resolve(
        `  start: ${Math.round((Date.now() - first.startedAt) / 1000)} s, ${records.toLocaleString('en-US')} records committed, RSS ${mb(first.rss.at(-1)?.[1] ?? 0)}`,
      ),
    );
  }
  first.hwm = Math.max(first.hwm, memoryOf(first.child.pid ?? -1)?.hwm ?? 0);
  first.child.kill('SIGKILL');
  await first.exited;
  const killedAt = Date.now();
  return { first, killedAt, ...(await describeKill(run, first, killedAt)) };
}

async function describeKill(
  run: BackfillRun,
  first: CliRun,
  killedAt: number,
): Promise<{ recordsAtKill: number; jobId: string }> {
  const recordsAtKill = await committed(run.db);
  const pagesAtKill = await scalar(
    run.db,
    'SELECT COALESCE(sum(pages), 0)::bigint AS value FROM backfill_segments',
  );
  const listAtKill = apiRequests(run.sim).list;
  const [job] = (
    await run.db.query<{ id: string; state: string }>('SELECT id::text AS id, state FROM backfill_jobs')
  ).rows;
  if (job === undefined) {
    throw new Error('no backfill job in backfill_jobs');
  }
  console.log(
    `  killed after ${((killedAt - first.startedAt) / 1000).toFixed(1)} s: ${recordsAtKill.toLocaleString('en-US')} records, ` +
      `${pagesAtKill} pages committed, ${listAtKill} list requests served; job ${job.id} ${job.state}`,
  );
  return { recordsAtKill, jobId: job.id };
}

/** 2. Resumes the job in a second process until it ends. */
async function resumeToEnd(run: BackfillRun, jobId: string): Promise<CliRun> {
  const { cli: second, exit } = startChild(run, ['backfill', 'run', jobId], 'run');
  const report = progress();
  while (exit() === undefined) {
    await sleep(250);
    await report(
      async () =>
        `  run: ${Math.round((Date.now() - second.startedAt) / 1000)} s, ${(await committed(run.db)).toLocaleString('en-US')} records committed, RSS ${mb(second.rss.at(-1)?.[1] ?? 0)}`,
    );
  }
  return second;
}

/** The job's state as `backfill status --json` prints it. */
async function jobState(run: BackfillRun, jobId: string): Promise<string | undefined> {
  const status = startCli(
    run.entry,
    ['--json', 'backfill', 'status', jobId],
    run.env,
    `${run.logPrefix}-status.log`,
  );
  await status.exited;
  const statusLine = readFileSync(`${run.logPrefix}-status.log`, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('['))
    .at(-1);
  return (JSON.parse(statusLine ?? '[]') as { state?: string }[])[0]?.state;
}

/** Where the pages went: all, first pages of split date segments, empty date windows, and the last split's time. */
async function pageFigures(
  db: Client,
): Promise<{ pages: number; splitPages: number; emptyPages: number; lastSplitSeconds: number }> {
  const pages = await scalar(db, 'SELECT COALESCE(sum(pages), 0)::bigint AS value FROM backfill_segments');
  // Where the pages beyond one per 100 records went: first pages of date segments split in two (their records
  // are read again by the halves), and date windows holding no record.
  const splitPages = await scalar(
    db,
    `SELECT COALESCE(sum(pages), 0)::bigint AS value FROM backfill_segments WHERE state = 'split'`,
  );
  const emptyPages = await scalar(
    db,
    `SELECT COALESCE(sum(pages), 0)::bigint AS value FROM backfill_segments WHERE state = 'done' AND records = 0`,
  );
  const lastSplitSeconds = await scalar(
    db,
    `SELECT EXTRACT(EPOCH FROM max(s.finished_at) - min(j.created_at))::float8 AS value
       FROM backfill_segments s JOIN backfill_jobs j ON j.id = s.job_id WHERE s.state = 'split'`,
  );
  return { pages, splitPages, emptyPages, lastSplitSeconds };
}

interface BurstWindows {
  /** Requests served per whole warm window. */
  readonly windows: number[];
  /** Every window's share of the budget, the partial ones in parentheses. */
  readonly allWindows: string[];
  readonly firstRequestAt: number;
  readonly lastRequestAt: number;
}

/**
 * Requests per whole burst window of the simulator: the one the backfill started in is left out (not warm), as is
 * the one it ended in (partial).
 */
function burstWindows(run: BackfillRun, first: CliRun, second: CliRun, all: number): BurstWindows {
  const { samples, simStartedAt } = run;
  const firstRequestAt = samples.find(([, , requests]) => requests > 0)?.[0] ?? first.startedAt;
  const lastRequestAt =
    samples.find(([, , requests]) => requests >= all)?.[0] ?? second.endedAt ?? Date.now();
  const windows: number[] = [];
  const firstWindow = Math.floor((firstRequestAt - simStartedAt) / WINDOW_MS);
  const lastWindow = Math.floor((lastRequestAt - simStartedAt) / WINDOW_MS);
  const allWindows: string[] = [];
  for (let index = firstWindow; index <= lastWindow; index += 1) {
    const start = simStartedAt + index * WINDOW_MS;
    const served = requestsAt(samples, start + WINDOW_MS) - requestsAt(samples, start);
    const share = `${Math.round((served / BURST) * 100)}%`;
    if (index > firstWindow && index < lastWindow) {
      windows.push(served);
      allWindows.push(share);
    } else {
      allWindows.push(`(${share})`);
    }
  }
  return { windows, allWindows, firstRequestAt, lastRequestAt };
}

type MirrorDiff = Awaited<ReturnType<typeof mirrorDiff>>;

/** Everything the figure block and the JSON line print. */
interface BackfillFigures {
  readonly killed: KilledStart;
  readonly second: CliRun;
  readonly state: string | undefined;
  readonly pages: Awaited<ReturnType<typeof pageFigures>>;
  readonly records: number;
  readonly list: number;
  readonly all: number;
  readonly tooMany: number;
  readonly rateLimited: number;
  readonly bursts: BurstWindows;
  readonly contractsDiff: MirrorDiff;
  readonly entitiesDiff: MirrorDiff;
}

async function collectFigures(
  run: BackfillRun,
  killed: KilledStart,
  second: CliRun,
): Promise<BackfillFigures> {
  const state = await jobState(run, killed.jobId);
  const pages = await pageFigures(run.db);
  const records = await committed(run.db);
  const counters = run.sim.control.counters();
  const { list, all } = apiRequests(run.sim);
  return {
    killed,
    second,
    state,
    pages,
    records,
    list,
    all,
    tooMany: counters.responsesByStatus['429'] ?? 0,
    rateLimited: counters.rateLimited,
    bursts: burstWindows(run, killed.first, second, all),
    contractsDiff: await mirrorDiff(run.db, run.sim.control.groundTruth('contracts'), 'contracts', 'key'),
    entitiesDiff: await mirrorDiff(run.db, run.sim.control.groundTruth('entities'), 'entities', 'uei'),
  };
}

/** Seconds of the run: first to last request, wall clock of both processes, and the second process's. */
function durations(f: BackfillFigures): { backfill: number; wall: number; second: number } {
  return {
    backfill: (f.bursts.lastRequestAt - f.bursts.firstRequestAt) / 1000,
    wall: ((f.second.endedAt ?? Date.now()) - f.killed.first.startedAt) / 1000,
    second: ((f.second.endedAt ?? Date.now()) - f.second.startedAt) / 1000,
  };
}

function isExact(f: BackfillFigures): boolean {
  return [f.contractsDiff, f.entitiesDiff].every(
    (diff) => diff.missing === 0 && diff.extra === 0 && diff.differing === 0,
  );
}

function figureRows(f: BackfillFigures): [string, string, string][] {
  const { windows, allWindows } = f.bursts;
  const { pages, splitPages, emptyPages, lastSplitSeconds } = f.pages;
  const seconds = durations(f);
  const warmMean = windows.length === 0 ? 0 : windows.reduce((sum, n) => sum + n, 0) / windows.length;
  const budgetPerSecond = BURST / (WINDOW_MS / 1000);
  const minimumPages = Math.ceil(CONTRACTS / 100) + Math.ceil(ENTITIES / 100);
  const fetchedTwice = f.list - pages;
  const first = f.killed.first;
  const peak = Math.max(first.hwm, f.second.hwm);
  const drift = meanRss(f.second, 0.75, 1.01) - meanRss(f.second, 0.25, 0.5);
  const exact = isExact(f);
  const { contractsDiff, entitiesDiff } = f;
  return [
    [
      'budget used once warm',
      windows.length === 0
        ? `n/a (no whole burst window after the first: run longer)`
        : `${((warmMean / BURST) * 100).toFixed(1)}% = ${(warmMean / (WINDOW_MS / 1000)).toFixed(2)} req/s of ${budgetPerSecond} (${windows.length} whole windows; all: ${allWindows.join(' ')})`,
      `goal >= 90% ${windows.length === 0 ? '' : verdict(warmMean >= 0.9 * BURST)}`,
    ],
    [
      'requests/s overall',
      `${(f.all / seconds.backfill).toFixed(2)} req/s (${f.all} requests in ${seconds.backfill.toFixed(0)} s, first to last, kill and restart included)`,
      `budget ${budgetPerSecond} req/s`,
    ],
    [
      'HTTP 429',
      `${f.tooMany} (rateLimited ${f.rateLimited})`,
      `goal 0 ${verdict(f.tooMany === 0 && f.rateLimited === 0)}`,
    ],
    [
      'records/s',
      `${Math.round(TOTAL_RECORDS / seconds.wall)} distinct (${TOTAL_RECORDS.toLocaleString('en-US')} in ${seconds.wall.toFixed(0)} s wall, both processes); ` +
        `${Math.round(f.records / seconds.wall)} committed (${f.records.toLocaleString('en-US')}, some read twice)`,
      `ceiling ${budgetPerSecond * 100}/s at 100 records a request`,
    ],
    [
      'pages committed',
      `${pages} for ${minimumPages} pages of records: ${splitPages} first pages of split date segments, ${emptyPages} empty date windows, ` +
        `${pages - minimumPages - splitPages - emptyPages} partial last pages and shared boundary days; last split ${lastSplitSeconds.toFixed(0)} s after the start`,
      'information',
    ],
    [
      'peak RSS (VmHWM)',
      `${mb(peak)} (start ${mb(first.hwm)}, run ${mb(f.second.hwm)}); run RSS last quarter vs second quarter ${drift >= 0 ? '+' : ''}${mb(drift)} over ${seconds.second.toFixed(0)} s`,
      `goal < 300 MB, flat ${verdict(peak < 300 * MB)}`,
    ],
    [
      'pages fetched twice',
      `${fetchedTwice} (${f.list} list requests served, ${pages} pages committed; killed at ${f.killed.recordsAtKill.toLocaleString('en-US')} records)`,
      `goal <= ${CONCURRENCY} (segments in flight) ${verdict(fetchedTwice >= 0 && fetchedTwice <= CONCURRENCY)}`,
    ],
    [
      'job state',
      `${f.state ?? 'unknown'} (backfill status --json)`,
      `goal done ${verdict(f.state === 'done')}`,
    ],
    [
      'mirror exact',
      `${exact ? 'yes' : 'NO'} (contracts missing/extra/differing ${contractsDiff.missing}/${contractsDiff.extra}/${contractsDiff.differing}, entities ${entitiesDiff.missing}/${entitiesDiff.extra}/${entitiesDiff.differing})`,
      `goal exact ${verdict(exact)}`,
    ],
  ];
}

function printFigures(f: BackfillFigures): void {
  console.log('');
  console.log(
    `=== backfill: ${CONTRACTS.toLocaleString('en-US')} contracts + ${ENTITIES.toLocaleString('en-US')} entities, ${LATENCY_MS} ms/request, burst ${BURST}/${WINDOW_MS / 1000} s, concurrency ${CONCURRENCY}`,
  );
  const figures = figureRows(f);
  const width = Math.max(...figures.map(([name]) => name.length));
  for (const [name, value, goal] of figures) {
    console.log(`${name.padEnd(width)}  ${value}   [${goal.trim()}]`);
  }
  const seconds = durations(f);
  const { pages, splitPages, emptyPages, lastSplitSeconds } = f.pages;
  console.log(
    JSON.stringify({
      contracts: CONTRACTS,
      entities: ENTITIES,
      concurrency: CONCURRENCY,
      windows: f.bursts.windows,
      allWindows: f.bursts.allWindows,
      lastSplitSeconds,
      requests: f.all,
      listRequests: f.list,
      pages,
      records: f.records,
      pagesBreakdown: {
        minimum: Math.ceil(CONTRACTS / 100) + Math.ceil(ENTITIES / 100),
        split: splitPages,
        empty: emptyPages,
      },
      fetchedTwice: f.list - pages,
      tooMany: f.tooMany,
      peakRssBytes: { start: f.killed.first.hwm, run: f.second.hwm },
      seconds: {
        backfill: seconds.backfill,
        wall: seconds.wall,
        startRun: (f.killed.killedAt - f.killed.first.startedAt) / 1000,
      },
      mirror: { contracts: f.contractsDiff, entities: f.entitiesDiff },
      state: f.state ?? null,
    }),
  );
}

/** migrate up, the killed start, the resumed run, the figures; the exit code (0: exact mirror, job done). */
async function backfillAndJudge(run: BackfillRun): Promise<number> {
  const migrate = startCli(run.entry, ['migrate', 'up'], run.env, `${run.logPrefix}-migrate.log`);
  if ((await migrate.exited) !== 0) {
    throw new Error(`migrate up failed: see ${run.logPrefix}-migrate.log`);
  }
  await run.db.connect();
  const killed = await startAndKill(run);
  const second = await resumeToEnd(run, killed.jobId);
  run.samples.push([Date.now(), apiRequests(run.sim).list, apiRequests(run.sim).all]);
  const figures = await collectFigures(run, killed, second);
  printFigures(figures);
  return isExact(figures) && figures.state === 'done' ? 0 : 1;
}

function killChildren(children: readonly CliRun[]): void {
  for (const run of children) {
    if (run.endedAt === null) {
      run.child.kill('SIGKILL');
    }
  }
}

/** Runs the bench on its database and simulator (started and stopped by main). */
async function runOn(
  database: ScratchDatabase,
  build: WorkerBuild,
  logPrefix: string,
  children: CliRun[],
): Promise<number> {
  const simStartedAt = Date.now();
  const sim = await startBackfillSimulator();
  const run: BackfillRun = {
    entry: join(build.dir, 'src', 'cli', 'main.js'),
    env: cliEnv(database.url, sim),
    logPrefix,
    sim,
    simStartedAt,
    db: new Client({ connectionString: database.url }),
    children,
    samples: [],
  };
  const sampler = setInterval(() => {
    const { list, all } = apiRequests(sim);
    run.samples.push([Date.now(), list, all]);
  }, 100);
  try {
    return await backfillAndJudge(run);
  } finally {
    clearInterval(sampler);
    killChildren(children);
    await run.db.end().catch(() => undefined);
    await sim.close();
  }
}

async function main(): Promise<void> {
  const resultsDir = join(repositoryRoot(), 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const logPrefix = join(resultsDir, `backfill-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  printHeader(logPrefix);
  const build: WorkerBuild = await buildWorkerWithSwc('backfill');
  const database = await scratchDatabase('backfill');
  const children: CliRun[] = [];
  // Ctrl-C: no CLI process outlives the bench (the build directory has its own hook).
  const removeExitHook = onProcessExit(() => {
    killChildren(children);
  });
  try {
    process.exitCode = await runOn(database, build, logPrefix, children);
  } finally {
    removeExitHook();
    if (args['keep-db']) {
      console.log(`(--keep-db: database ${database.name} left in place)`);
    } else {
      await database.drop();
    }
    build.remove();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
