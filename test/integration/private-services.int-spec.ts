/**
 * The private, breakable services of test/support/private-services.ts (used by the chaos harness): they start on
 * their own ports, survive what the harness does to them, and leave no process or directory behind.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import {
  kafkaAnswers,
  repositoryRoot,
  startPrivateKafka,
  startPrivatePostgres,
  type PrivateKafka,
  type PrivatePostgres,
} from '../support/private-services';

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The process exists and is not a zombie waiting for its reaper. */
function processExists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('private PostgreSQL', () => {
  let pg: PrivatePostgres;

  beforeAll(async () => {
    pg = await startPrivatePostgres({ database: 'private_check' });
  }, 120_000);

  afterAll(async () => {
    await pg.destroy();
  });

  it('serves the worker role on its own port of 127.0.0.1, never the shared 5432', async () => {
    expect(pg.port).not.toBe(5432);
    expect(pg.url).toMatch(
      new RegExp(`^postgres://tango_sync:[^@]+@127\\.0\\.0\\.1:${pg.port}/private_check$`),
    );
    await query(pg.url, 'CREATE TABLE kept (id int PRIMARY KEY)');
    await query(pg.url, 'INSERT INTO kept VALUES (1)');
    expect(await query(pg.url, 'SELECT current_user AS who')).toEqual([{ who: 'tango_sync' }]);
  });

  it('crashes (SIGKILL of every server process) and recovers committed rows at the next start', async () => {
    const pid = pg.pid();
    expect(pid).toBeDefined();
    await pg.crash();
    expect(pg.isRunning()).toBe(false);
    expect(processExists(pid ?? 0)).toBe(false);
    await expect(query(pg.url, 'SELECT 1')).rejects.toThrow();
    await pg.start();
    expect(await query(pg.url, 'SELECT id FROM kept')).toEqual([{ id: 1 }]);
  }, 120_000);

  it('restarts, immediately or not, on the same port', async () => {
    await pg.restart({ immediate: true });
    expect(await query(pg.url, 'SELECT id FROM kept')).toEqual([{ id: 1 }]);
    await pg.restart();
    expect(await query(pg.url, 'SELECT id FROM kept')).toEqual([{ id: 1 }]);
  }, 120_000);

  it('leaves nothing behind when the process that started it exits', () => {
    // A child process starts a server and exits without destroying it: the exit hook must.
    const script = [
      "const { startPrivatePostgres } = require('./test/support/private-services');",
      'startPrivatePostgres().then((pg) => {',
      '  process.stdout.write(JSON.stringify({ pid: pg.pid(), dataDir: pg.dataDir }));',
      '  process.exit(0);',
      '});',
    ].join('\n');
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: repositoryRoot(),
      env: { ...process.env, TS_NODE_PROJECT: join(repositoryRoot(), 'tsconfig.json') },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.status).toBe(0);
    const started = JSON.parse(child.stdout) as { pid: number; dataDir: string };
    expect(started.pid).toBeGreaterThan(0);
    expect(processExists(started.pid)).toBe(false);
    expect(existsSync(started.dataDir)).toBe(false);
  }, 150_000);
});

describe('private Kafka', () => {
  let kafka: PrivateKafka;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
  }, 180_000);

  afterAll(async () => {
    await kafka.destroy();
  });

  it('answers metadata on its own port, never the shared 9092', async () => {
    expect(kafka.port).not.toBe(9092);
    expect(kafka.brokers).toEqual([`127.0.0.1:${kafka.port}`]);
    const admin = new Kafka({
      clientId: 'private-check',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'kept', numPartitions: 1 }], waitForLeaders: true });
      expect(await admin.listTopics()).toContain('kept');
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('freezes (answers nothing) and resumes', async () => {
    kafka.freeze();
    expect(kafka.isFrozen()).toBe(true);
    expect(await kafkaAnswers(kafka.brokers, 1_500)).toBe(false);
    kafka.resume();
    expect(await kafkaAnswers(kafka.brokers, 5_000)).toBe(true);
  }, 60_000);

  it('restarts on the same port with its topics', async () => {
    const before = kafka.pid;
    await kafka.restart();
    expect(kafka.pid).not.toBe(before);
    const admin = new Kafka({
      clientId: 'private-check',
      brokers: kafka.brokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toContain('kept');
    } finally {
      await admin.disconnect();
    }
  }, 180_000);

  it('is gone, process and directory, after destroy()', async () => {
    const pid = kafka.pid ?? 0;
    expect(processExists(pid)).toBe(true);
    await kafka.destroy();
    expect(processExists(pid)).toBe(false);
    expect(existsSync(kafka.dataDir)).toBe(false);
  }, 60_000);
});
