/**
 * Every benchmark under bench/ runs to its end in its small configuration and prints its figures, so that none can
 * rot unseen (bench:chaos has its own spec, chaos.e2e-spec.ts). Each runs as `npm run bench:<name>` would run it,
 * a child process, from a transpile-only build of the current sources (bench/chaos/worker-build.ts) instead of
 * `npm run bench:build`; its scratch databases live on the test server and are dropped by the bench itself.
 * Figures are checked for presence and sanity (counts, exactness), never for speed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { buildWorkerWithSwc, type WorkerBuild } from '../../bench/chaos/worker-build';
import { freePort } from '../support/private-services';
import { requireEnv } from '../support/test-config';

interface BenchRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

let build: WorkerBuild | undefined;

beforeAll(async () => {
  build = await buildWorkerWithSwc('benchmarks-e2e', { withBenchmarks: true });
}, 120_000);

afterAll(() => {
  build?.remove();
});

/** Runs `bench/<name>/run.ts` (built) with `args` against the test services; stdout and stderr kept. */
function runBench(name: string, args: readonly string[]): Promise<BenchRun> {
  if (build === undefined) {
    throw new Error('the build did not complete (see the error of beforeAll)');
  }
  const child = spawn(process.execPath, [join(build.dir, 'bench', name, 'run.js'), ...args], {
    env: {
      ...process.env,
      DATABASE_URL: requireEnv('TEST_DATABASE_URL'),
      TEST_DATABASE_ADMIN_URL: requireEnv('TEST_DATABASE_ADMIN_URL'),
      KAFKA_BROKERS: requireEnv('TEST_KAFKA_BROKERS'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) {
        process.stdout.write(`bench/${name} exited with ${code}:\n${stdout}\n${stderr}\n`);
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** The last line of stdout that parses as JSON (the figures line the benches print last). */
function lastJson(run: BenchRun): unknown {
  const lines = run.stdout.split('\n').filter((line) => /^[[{]/.test(line.trim()));
  const last = lines.at(-1);
  if (last === undefined) {
    throw new Error(`no JSON figures line in:\n${run.stdout}\n${run.stderr}`);
  }
  return JSON.parse(last);
}

/** The first capture of `pattern` in stdout as a number (NaN when absent). */
function figure(run: BenchRun, pattern: RegExp): number {
  const match = pattern.exec(run.stdout);
  return Number(match?.[1]?.replace(/,/g, '') ?? Number.NaN);
}

describe('benchmarks in their small configuration', () => {
  it('bench:ingest: the worker and the bare pg baseline both store every delivery', async () => {
    const run = await runBench('ingest', [
      '--small',
      '--port',
      String(await freePort()),
      '--worker-entry',
      join(build!.dir, 'src', 'main.js'),
    ]);
    expect(run.code).toBe(0);
    const figures = lastJson(run) as {
      deliveries: number;
      worker: { rate: number; p50: number };
      barePg: { rate: number; p50: number };
      ratio: number;
    };
    expect(figures.deliveries).toBe(300);
    expect(figures.worker.rate).toBeGreaterThan(0);
    expect(figures.barePg.rate).toBeGreaterThan(0);
    expect(figures.worker.p50).toBeGreaterThan(0);
    expect(Number.isFinite(figures.ratio)).toBe(true);
    expect(run.stdout).toMatch(/worker ingest statements: \d+/);
  }, 120_000);

  it('bench:pipeline: the burst is mirrored with id lists, and every change reaches Kafka', async () => {
    const run = await runBench('pipeline', [
      '--small',
      '--port',
      String(await freePort()),
      '--worker-entry',
      join(build!.dir, 'src', 'main.js'),
    ]);
    expect(run.code).toBe(0);
    const [unlimited, limited, latency] = lastJson(run) as [
      Record<string, unknown> & {
        mirrored: number;
        records: number;
        perFamily: Record<string, { perRecord: number }>;
      },
      Record<string, unknown> & { mirrored: number; records: number },
      { deliveries: number; idsPerDelivery: number; events: number; missing: number; p50Ms: number },
    ];
    expect([unlimited.mirrored, limited.mirrored]).toEqual([unlimited.records, limited.records]);
    expect(unlimited.status429).toBe(0);
    // Id-list families: a request per 100 records at best; entities: one request each.
    expect(unlimited.perFamily.contracts?.perRecord).toBeLessThanOrEqual(0.05);
    expect(unlimited.perFamily.entities?.perRecord).toBe(1);
    expect(latency.missing).toBe(0);
    expect(latency.events).toBe(latency.deliveries * latency.idsPerDelivery);
    expect(latency.p50Ms).toBeGreaterThan(0);
  }, 180_000);

  it('bench:history: every version is stored, then retention prunes the whole outbox', async () => {
    const run = await runBench('history', ['--small']);
    expect(run.code).toBe(0);
    expect(figure(run, /upserts\s+(\d+) records in/)).toBe(900);
    expect(figure(run, /history rows\s+(\d+) versions/)).toBe(900);
    expect(figure(run, /contracts_as_of\(now\) (\d+) records/)).toBe(300);
    expect(figure(run, /retention\s+(\d+) outbox rows/)).toBe(900);
    expect(figure(run, /patches are ([\d.]+)x smaller/)).toBeGreaterThan(0);
  }, 120_000);

  it('bench:backfill: killed and resumed, the job ends done with an exact mirror', async () => {
    const run = await runBench('backfill', [
      '--small',
      '--contracts',
      '2000',
      '--entities',
      '200',
      '--latency-ms',
      '20',
      // The killed process's segments are taken over when their lease ends: the shortest lease allowed.
      '--lease-ms',
      '3000',
    ]);
    expect(run.code).toBe(0);
    const figures = lastJson(run) as {
      state: string;
      records: number;
      pages: number;
      mirror: Record<string, { missing: number; extra: number; differing: number }>;
    };
    expect(figures.state).toBe('done');
    expect(figures.records).toBeGreaterThanOrEqual(2200);
    expect(figures.pages).toBeGreaterThanOrEqual(22);
    expect(figures.mirror).toEqual({
      contracts: { missing: 0, extra: 0, differing: 0 },
      entities: { missing: 0, extra: 0, differing: 0 },
    });
    expect(run.stdout).toMatch(/killed after [\d.]+ s: [\d,]+ records/);
  }, 180_000);

  it('bench:simulator: both datasets are served, ground truth and detail requests counted', async () => {
    const run = await runBench('simulator', ['--small']);
    expect(run.code).toBe(0);
    expect(figure(run, /RSS growth 1,000 -> 20,000 contracts: (-?[\d.]+) MB/)).not.toBeNaN();
    expect(figure(run, /Detail requests\/s at 20,000 contracts: (\d+)/)).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/│ 1000\s+│[^\n]*│ 1000\s+│/);
    expect(run.stdout).toMatch(/│ 20000\s+│[^\n]*│ 20000\s+│/);
  }, 120_000);

  it('bench:console: the seeded worker answers the page and the page becomes interactive', async () => {
    const run = await runBench('console', ['--small']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('=== console first paint: 9 families, 50 recent deliveries ===');
    expect(figure(run, /webhook_deliveries (\d+)/)).toBe(50);
    expect(figure(run, /overview API p95 {2}warm ([\d.]+) ms/)).toBeGreaterThan(0);
    expect(figure(run, /page interactive {2}p50 (\d+) ms/)).toBeGreaterThan(0);
  }, 120_000);

  it('bench:whole-records: every family, both shapes, storage per record', async () => {
    const run = await runBench('whole-records', ['--small']);
    expect(run.code).toBe(0);
    const figures = z
      .object({
        families: z.array(
          z.object({
            family: z.string(),
            paths: z.object({ handPicked: z.number(), whole: z.number() }),
            bytesPerRecord: z.object({ handPicked: z.number(), whole: z.number() }),
            storedBytesPerRecord: z.object({ recordBytes: z.number(), rowBytes: z.number() }),
            records: z.number(),
          }),
        ),
        reverification: z.object({ requests: z.number(), cycleSeconds: z.number() }),
      })
      .parse(lastJson(run));
    // 1,000,000 contracts at 100 ids a request; the cycle is at least the requests at 300 ms each.
    expect(figures.reverification.requests).toBe(10_000);
    expect(figures.reverification.cycleSeconds).toBeGreaterThanOrEqual(3_000);
    expect(figures.families).toHaveLength(9);
    for (const family of figures.families) {
      expect(family.paths.whole).toBeGreaterThan(family.paths.handPicked);
      expect(family.bytesPerRecord.whole).toBeGreaterThanOrEqual(family.bytesPerRecord.handPicked);
      expect(family.records).toBeGreaterThan(0);
      expect(family.storedBytesPerRecord.recordBytes).toBeGreaterThan(0);
    }
  }, 300_000);

  it('bench:resources: every contract resource of the default set walked, its disk and its cost a day', async () => {
    const run = await runBench('resources', ['--small']);
    expect(run.code).toBe(0);
    const figures = z
      .object({
        resources: z.array(
          z.object({
            resource: z.string(),
            records: z.number(),
            walk: z.object({ requests: z.number(), pages: z.number(), ms: z.number() }),
            secondWalkChanges: z.number(),
            bytesPerRecord: z.number(),
            requestsPerDay: z.number(),
          }),
        ),
        requestsPerDay: z.number(),
        megabytes: z.number(),
      })
      .parse(lastJson(run));
    expect(figures.resources).toHaveLength(12);
    for (const resource of figures.resources) {
      expect(resource.records).toBe(30);
      expect(resource.walk.requests).toBe(1);
      expect(resource.secondWalkChanges).toBe(0);
      expect(resource.bytesPerRecord).toBeGreaterThan(0);
      expect(resource.requestsPerDay).toBeGreaterThanOrEqual(1);
    }
    expect(figures.requestsPerDay).toBeGreaterThan(12);
  }, 300_000);
});
