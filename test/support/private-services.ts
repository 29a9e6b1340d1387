/**
 * Private, disposable PostgreSQL and Kafka instances for tests and benchmarks that break their services (crash,
 * restart, freeze). The shared services of scripts/services.sh (127.0.0.1:5432 and :9092) serve every other test
 * and are never touched here.
 *
 * - `startPrivatePostgres()`: `initdb` (trust auth) into a fresh temporary directory, the server on 127.0.0.1 and
 *   a free port (a child of this process, so that a crashed postmaster is reaped at once), a login role and a
 *   database for the worker. As root, the cluster runs as the `postgres` OS user (PostgreSQL refuses root), as
 *   `start_private_pg` in scripts/services.sh does (`runuser -u postgres`).
 * - `startPrivateKafka()`: a single-node KRaft broker+controller from the Kafka 3.9.1 jars scripts/services.sh
 *   fetches into `.kafka/lib`, with its own data and log directories and ports; resolves once the broker answers a
 *   metadata request.
 *
 * Both clean up (processes and directories) on `destroy()` and when the process exits.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

const HOST = '127.0.0.1';

// ------------------------------------------------------------------------------------------------ cleanup on exit

const exitCleanups = new Set<() => void>();
let exitHooksInstalled = false;

function runExitCleanups(): void {
  for (const cleanup of [...exitCleanups]) {
    exitCleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // best effort: the process is going away
    }
  }
}

function onSignal(signal: NodeJS.Signals, code: number): void {
  const handler = (): void => {
    runExitCleanups();
    process.removeListener(signal, handler);
    // Another listener decides what the signal means; alone, keep the default meaning (exit).
    if (process.listenerCount(signal) === 0) {
      process.exit(code);
    }
  };
  process.on(signal, handler);
}

/**
 * Registers a synchronous cleanup run when the process exits (or gets SIGINT/SIGTERM/SIGHUP); returns its remover.
 * For anything a test or benchmark starts that must not outlive it (the private services, worker processes).
 */
export function onProcessExit(cleanup: () => void): () => void {
  if (!exitHooksInstalled) {
    exitHooksInstalled = true;
    process.on('exit', runExitCleanups);
    onSignal('SIGINT', 130);
    onSignal('SIGTERM', 143);
    onSignal('SIGHUP', 129);
  }
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

// ------------------------------------------------------------------------------------------------ helpers

/** The repository root (where package.json names tango-sync), from this file's location in sources or builds. */
export function repositoryRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && existsSync(join(dir, 'test-infra', 'kafka', 'pom.xml'))) {
      const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
      if (parsed.name === 'tango-sync') {
        return dir;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find the tango-sync repository root above ${__dirname}`);
    }
    dir = parent;
  }
}

/** A TCP port free on 127.0.0.1 right now (the kernel picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}${stdout}`.trim()),
          );
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** True while the process exists and is not a zombie (an exited daemon may wait long for its reaper). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) {
    return false;
  }
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** Direct children of a process, from /proc (every Linux kernel this runs on exposes the parent pid in stat). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) {
        children.push(Number(entry));
      }
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

// ------------------------------------------------------------------------------------------------ PostgreSQL

export interface PrivatePostgresOptions {
  /** Default: a free port. */
  readonly port?: number;
  /** The worker's login role (default `tango_sync`). */
  readonly user?: string;
  /** Its password (default: random). Trust auth accepts any, but the URL carries it as a real deployment's would. */
  readonly password?: string;
  /** The worker's database (default `tango_sync`). */
  readonly database?: string;
  /** `fsync` (default on, like scripts/services.sh). */
  readonly fsync?: boolean;
}

export interface PrivatePostgres {
  readonly port: number;
  /** `postgres://<user>:<password>@127.0.0.1:<port>/<database>` for the worker. */
  readonly url: string;
  /** The superuser `postgres` on the `postgres` database. */
  readonly adminUrl: string;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** The postmaster's pid while it runs. */
  pid(): number | undefined;
  isRunning(): boolean;
  start(): Promise<void>;
  /** Fast shutdown (`pg_ctl stop -m fast`). */
  stop(): Promise<void>;
  /** Stop then start on the same port; `immediate` skips the shutdown checkpoint (crash recovery at start). */
  restart(options?: { immediate?: boolean }): Promise<void>;
  /**
   * Crashes the server: `kill` (default) SIGKILLs the postmaster and every backend, as an OOM kill or a lost host
   * would; `immediate` is `pg_ctl stop -m immediate`. Either way the next `start()` runs crash recovery.
   */
  crash(options?: { mode?: 'kill' | 'immediate' }): Promise<void>;
  /** Creates another database owned by the worker's role and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (immediately) and removes its directory. */
  destroy(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<version>/bin`, where Debian's packages put the server binaries. */
export function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((entry) => existsSync(join(base, entry, 'bin', 'pg_ctl')))
        .sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b))
    : [];
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new Error(
      'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (bash scripts/services.sh up installs them)',
    );
  }
  return join(base, newest, 'bin');
}

interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

/** As root, the `postgres` OS user (created like scripts/services.sh does when missing); otherwise undefined. */
function postgresOsUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  let id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) {
    const created = spawnSync(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/bin/false', 'postgres'],
      {
        encoding: 'utf8',
      },
    );
    if (created.status !== 0) {
      throw new Error(`cannot create the postgres OS user: ${created.stderr}`);
    }
    id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  }
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** One private cluster's paths and settings, and its running state. */
interface PostgresCluster {
  readonly bin: string;
  readonly osUser: OsUser | undefined;
  readonly root: string;
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** The postmaster this process launched (through runuser as root) last. */
  postmaster: ChildProcess | undefined;
  destroyed: boolean;
}

/** `command args` as the `postgres` OS user when this process is root (PostgreSQL refuses to run as root). */
function asPostgres(cluster: PostgresCluster, command: string, args: readonly string[]): [string, string[]] {
  return cluster.osUser === undefined
    ? [join(cluster.bin, command), [...args]]
    : ['runuser', ['-u', 'postgres', '--', join(cluster.bin, command), ...args]];
}

/** A fresh temporary directory for the cluster (its data, its socket and its log), owned by `postgres` as root. */
function newCluster(): PostgresCluster {
  const bin = postgresBinDir();
  const osUser = postgresOsUser();
  const root = mkdtempSync(join(tmpdir(), 'tango-sync-pg-'));
  const socketDir = join(root, 'socket');
  mkdirSync(socketDir);
  if (osUser !== undefined) {
    chownSync(root, osUser.uid, osUser.gid);
    chownSync(socketDir, osUser.uid, osUser.gid);
  }
  return {
    bin,
    osUser,
    root,
    dataDir: join(root, 'data'),
    socketDir,
    logFile: join(root, 'server.log'),
    postmaster: undefined,
    destroyed: false,
  };
}

/** The postmaster's pid from postmaster.pid while it is alive. */
function postmasterPid(cluster: PostgresCluster): number | undefined {
  try {
    const pid = Number(readFileSync(join(cluster.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** SIGKILLs the postmaster and every backend; returns their pids (none when no server runs). */
function killCluster(cluster: PostgresCluster): number[] {
  const pid = postmasterPid(cluster);
  if (pid === undefined) {
    return [];
  }
  const children = childPids(pid);
  signal(pid, 'SIGKILL');
  children.forEach((child) => {
    signal(child, 'SIGKILL');
  });
  return [pid, ...children];
}

/** At exit: stop the server (immediately), kill what is left, remove the directory. */
function removeClusterAtExit(cluster: PostgresCluster): () => void {
  return onProcessExit(() => {
    if (postmasterPid(cluster) !== undefined) {
      const [command, args] = asPostgres(cluster, 'pg_ctl', [
        '-D',
        cluster.dataDir,
        '-m',
        'immediate',
        '-w',
        'stop',
      ]);
      spawnSync(command, args, { stdio: 'ignore', timeout: 10_000 });
      killCluster(cluster);
    }
    rmSync(cluster.root, { recursive: true, force: true });
  });
}

async function initCluster(cluster: PostgresCluster): Promise<void> {
  const [command, args] = asPostgres(cluster, 'initdb', [
    '-D',
    cluster.dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  await run(command, args);
}

/** Polls until the server answers `SELECT 1` (through crash recovery), failing when it exits or after 2 minutes. */
async function waitAcceptingConnections(
  cluster: PostgresCluster,
  child: ChildProcess,
  adminUrl: string,
  port: number,
): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch {
      // not listening yet, or still in crash recovery ("the database system is starting up")
    } finally {
      await client.end().catch(() => undefined);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(cluster.logFile, 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`the private PostgreSQL server exited during start-up:\n${tail}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the private PostgreSQL server did not accept connections on ${HOST}:${port}`);
    }
    await sleep(100);
  }
}

/**
 * Starts the server unless it runs. The postmaster runs as this process's child (through runuser as root), not
 * daemonised by pg_ctl: a crashed postmaster is then reaped at once, where an orphan may stay a zombie that blocks
 * the next start (PostgreSQL sees its pid in postmaster.pid and refuses to run).
 */
async function startCluster(cluster: PostgresCluster, port: number, fsync: boolean): Promise<void> {
  if (cluster.destroyed) {
    throw new Error('this private PostgreSQL was destroyed');
  }
  if (postmasterPid(cluster) !== undefined) {
    return;
  }
  const [command, args] = asPostgres(cluster, 'postgres', [
    '-D',
    cluster.dataDir,
    '-h',
    HOST,
    '-p',
    String(port),
    '-k',
    cluster.socketDir,
    '-c',
    `fsync=${fsync ? 'on' : 'off'}`,
    '-c',
    'max_connections=200',
    '-c',
    'shared_buffers=64MB',
  ]);
  const out = openSync(cluster.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  cluster.postmaster = child;
  await waitAcceptingConnections(cluster, child, `postgres://postgres@${HOST}:${port}/postgres`, port);
}

async function pgCtlStop(cluster: PostgresCluster, mode: 'fast' | 'immediate'): Promise<void> {
  if (postmasterPid(cluster) === undefined) {
    return;
  }
  const [command, args] = asPostgres(cluster, 'pg_ctl', [
    '-D',
    cluster.dataDir,
    '-m',
    mode,
    '-w',
    '-t',
    '60',
    'stop',
  ]);
  await run(command, args, 90_000);
}

async function crashCluster(cluster: PostgresCluster, mode: 'kill' | 'immediate'): Promise<void> {
  if (mode === 'immediate') {
    await pgCtlStop(cluster, 'immediate');
    return;
  }
  const killed = killCluster(cluster);
  if (killed.length === 0) {
    return;
  }
  // Gone for good: the backends exited and the postmaster was reaped (runuser, or this process, is its parent).
  const deadline = Date.now() + 10_000;
  const launcher = cluster.postmaster;
  const launched = (): boolean => launcher?.exitCode === null && launcher.signalCode === null;
  while ((launched() || killed.some((each) => alive(each))) && Date.now() < deadline) {
    await sleep(20);
  }
}

async function withAdminClient(adminUrl: string, work: (client: Client) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

/** The handle of a started cluster with the worker's role and database in it. */
function postgresHandle(
  cluster: PostgresCluster,
  settings: { port: number; user: string; password: string; database: string; fsync: boolean },
  removeExitHook: () => void,
): PrivatePostgres {
  const { port, user, password, database, fsync } = settings;
  const adminUrl = `postgres://postgres@${HOST}:${port}/postgres`;
  const urlFor = (name: string): string =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}/${encodeURIComponent(name)}`;
  const start = (): Promise<void> => startCluster(cluster, port, fsync);
  return {
    port,
    url: urlFor(database),
    adminUrl,
    user,
    password,
    database,
    dataDir: cluster.dataDir,
    logFile: cluster.logFile,
    pid: () => postmasterPid(cluster),
    isRunning: () => postmasterPid(cluster) !== undefined,
    start,
    stop: () => pgCtlStop(cluster, 'fast'),
    async restart(restartOptions = {}) {
      await pgCtlStop(cluster, restartOptions.immediate === true ? 'immediate' : 'fast');
      await start();
    },
    crash: (crashOptions = {}) => crashCluster(cluster, crashOptions.mode ?? 'kill'),
    async createDatabase(name) {
      await withAdminClient(adminUrl, async (admin) => {
        await admin.query(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(user)}`);
      });
      return urlFor(name);
    },
    async destroy() {
      if (cluster.destroyed) {
        return;
      }
      cluster.destroyed = true;
      try {
        await pgCtlStop(cluster, 'immediate').catch(() => undefined);
        killCluster(cluster);
      } finally {
        removeExitHook();
        rmSync(cluster.root, { recursive: true, force: true });
      }
    },
  };
}

export async function startPrivatePostgres(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
  const cluster = newCluster();
  const removeExitHook = removeClusterAtExit(cluster);
  try {
    const settings = {
      port: options.port ?? (await freePort()),
      user: options.user ?? 'tango_sync',
      password: options.password ?? `pg-${randomBytes(12).toString('hex')}`,
      database: options.database ?? 'tango_sync',
      fsync: options.fsync ?? true,
    };
    await initCluster(cluster);
    await startCluster(cluster, settings.port, settings.fsync);
    const handle = postgresHandle(cluster, settings, removeExitHook);
    await withAdminClient(handle.adminUrl, async (admin) => {
      await admin.query(
        `CREATE ROLE ${quoteIdent(settings.user)} LOGIN PASSWORD ${quoteLiteral(settings.password)}`,
      );
    });
    await handle.createDatabase(settings.database);
    return handle;
  } catch (error) {
    cluster.destroyed = true;
    killCluster(cluster);
    removeExitHook();
    rmSync(cluster.root, { recursive: true, force: true });
    throw error;
  }
}

// ------------------------------------------------------------------------------------------------ Kafka

export interface PrivateKafkaOptions {
  /** The broker's port (default: a free one). */
  readonly port?: number;
  /** The KRaft controller's port (default: a free one). */
  readonly controllerPort?: number;
  /** JVM heap ceiling (default `512m`). */
  readonly maxHeap?: string;
  /** How long `start()` waits for a metadata answer (default 90 s). */
  readonly readyTimeoutMs?: number;
}

export interface PrivateKafka {
  /** `['127.0.0.1:<port>']` */
  readonly brokers: string[];
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  /** stdout and stderr of every broker start, appended. */
  readonly logFile: string;
  /** The broker JVM's pid while it runs. */
  readonly pid: number | undefined;
  isRunning(): boolean;
  isFrozen(): boolean;
  /** SIGSTOP: the broker keeps its sockets but answers nothing, as a long GC pause or a hung host would. */
  freeze(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGTERM (a controlled shutdown), SIGKILL after 30 s. */
  stop(): Promise<void>;
  /** Starts the broker again on the same ports and data (topics and committed offsets survive). */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** SIGKILL, then removes the directories. */
  destroy(): Promise<void>;
}

/** `.kafka/lib` with the broker jars, fetched by scripts/services.sh when missing. */
export async function ensureKafkaJars(root: string = repositoryRoot()): Promise<string> {
  const lib = join(root, '.kafka', 'lib');
  if (!existsSync(join(lib, '.ok-kafka39'))) {
    await run('bash', [join(root, 'scripts', 'services.sh'), 'kafka-jars'], 900_000);
  }
  if (!existsSync(join(lib, '.ok-kafka39'))) {
    throw new Error(`the Kafka jars are not in ${lib}`);
  }
  return lib;
}

/** True when a broker at `brokers` answers a metadata request (describeCluster and listTopics). */
export async function kafkaAnswers(brokers: readonly string[], timeoutMs = 2_000): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'tango-sync-private-kafka-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 1_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, timeoutMs + 500);
  });
  const probe = (async (): Promise<boolean> => {
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.listTopics();
      return true;
    } catch {
      return false;
    }
  })();
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

/** One private broker's files, ports and running state. */
interface KafkaNode {
  readonly options: PrivateKafkaOptions;
  readonly root: string;
  readonly lib: string;
  readonly home: string;
  readonly dataDir: string;
  readonly logDir: string;
  readonly logFile: string;
  readonly properties: string;
  readonly log4j: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  frozen: boolean;
  destroyed: boolean;
}

function newKafkaNode(root: string, lib: string, options: PrivateKafkaOptions): KafkaNode {
  const home = mkdtempSync(join(tmpdir(), 'tango-sync-kafka-'));
  const logDir = join(home, 'logs');
  const node: KafkaNode = {
    options,
    root,
    lib,
    home,
    dataDir: join(home, 'data'),
    logDir,
    logFile: join(logDir, 'kafka.out'),
    properties: join(home, 'server.properties'),
    log4j: `-Dlog4j.configuration=file:${join(root, 'test-infra', 'kafka', 'log4j.properties')}`,
    child: undefined,
    exited: Promise.resolve(),
    frozen: false,
    destroyed: false,
  };
  mkdirSync(node.dataDir);
  mkdirSync(logDir);
  return node;
}

function brokerAlive(node: KafkaNode): boolean {
  return node.child?.exitCode === null && node.child.signalCode === null;
}

/** SIGCONT (a frozen JVM ignores SIGKILL until then) and SIGKILL. */
function killBroker(node: KafkaNode): void {
  signal(node.child?.pid, 'SIGCONT');
  signal(node.child?.pid, 'SIGKILL');
}

/** The broker's server.properties on its ports, and its storage formatted with a random KRaft cluster id. */
async function formatKafkaStorage(node: KafkaNode, port: number, controllerPort: number): Promise<void> {
  writeFileSync(
    node.properties,
    readFileSync(join(node.root, 'test-infra', 'kafka', 'server.properties'), 'utf8')
      .replaceAll('@DATA_DIR@', node.dataDir)
      .replaceAll('@PORT@', String(port))
      .replaceAll('@CONTROLLER_PORT@', String(controllerPort)),
  );
  // A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (what `random-uuid` prints).
  const clusterId = randomBytes(16).toString('base64url');
  await run('java', [
    '-Xmx256m',
    '-XX:TieredStopAtLevel=1',
    '-cp',
    `${node.lib}/*`,
    node.log4j,
    'kafka.tools.StorageTool',
    'format',
    // One argument with '=': a random id may start with '-', which the tool would otherwise take for an option.
    `--cluster-id=${clusterId}`,
    '-c',
    node.properties,
  ]);
}

/** Launches the broker JVM, its output appended to the log file. */
function spawnBroker(node: KafkaNode): void {
  const out = openSync(node.logFile, 'a');
  try {
    node.child = spawn(
      'java',
      [
        '-Xms128m',
        `-Xmx${node.options.maxHeap ?? '512m'}`,
        '-server',
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-Djava.awt.headless=true',
        node.log4j,
        `-Dkafka.logs.dir=${node.logDir}`,
        '-cp',
        `${node.lib}/*`,
        'kafka.Kafka',
        node.properties,
      ],
      { stdio: ['ignore', out, out] },
    );
  } finally {
    closeSync(out);
  }
  node.frozen = false;
  const started = node.child;
  node.exited = new Promise((resolve) => {
    started.once('exit', () => {
      resolve();
    });
  });
}

/** Starts the broker unless it runs, and waits until it answers a metadata request. */
async function startBroker(node: KafkaNode, brokers: readonly string[]): Promise<void> {
  if (node.destroyed) {
    throw new Error('this private Kafka was destroyed');
  }
  if (!brokerAlive(node)) {
    spawnBroker(node);
  }
  const deadline = Date.now() + (node.options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (await kafkaAnswers(brokers, 2_000)) {
      return;
    }
    if (!brokerAlive(node)) {
      const tail = readFileSync(node.logFile, 'utf8').split('\n').slice(-30).join('\n');
      throw new Error(`the private Kafka broker exited during start-up:\n${tail}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`the private Kafka broker did not answer a metadata request on ${brokers.join(',')}`);
    }
    await sleep(250);
  }
}

/** SIGTERM (a controlled shutdown), SIGKILL after 30 s. */
async function stopBroker(node: KafkaNode): Promise<void> {
  if (!brokerAlive(node)) {
    return;
  }
  const pid = node.child?.pid;
  signal(pid, 'SIGCONT');
  node.frozen = false;
  signal(pid, 'SIGTERM');
  const killer = setTimeout(() => {
    signal(pid, 'SIGKILL');
  }, 30_000);
  try {
    await node.exited;
  } finally {
    clearTimeout(killer);
  }
}

function kafkaHandle(
  node: KafkaNode,
  ports: { port: number; controllerPort: number },
  removeExitHook: () => void,
): PrivateKafka {
  const brokers = [`${HOST}:${ports.port}`];
  const start = (): Promise<void> => startBroker(node, brokers);
  const stop = (): Promise<void> => stopBroker(node);
  return {
    brokers,
    port: ports.port,
    controllerPort: ports.controllerPort,
    dataDir: node.dataDir,
    logFile: node.logFile,
    get pid() {
      return brokerAlive(node) ? node.child?.pid : undefined;
    },
    isRunning: () => brokerAlive(node),
    isFrozen: () => node.frozen && brokerAlive(node),
    freeze() {
      if (brokerAlive(node)) {
        signal(node.child?.pid, 'SIGSTOP');
        node.frozen = true;
      }
    },
    resume() {
      signal(node.child?.pid, 'SIGCONT');
      node.frozen = false;
    },
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async destroy() {
      if (node.destroyed) {
        return;
      }
      node.destroyed = true;
      try {
        if (brokerAlive(node)) {
          killBroker(node);
          await node.exited;
        }
      } finally {
        removeExitHook();
        rmSync(node.home, { recursive: true, force: true });
      }
    },
  };
}

export async function startPrivateKafka(options: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
  const root = repositoryRoot();
  const lib = await ensureKafkaJars(root);
  const node = newKafkaNode(root, lib, options);
  const removeExitHook = onProcessExit(() => {
    killBroker(node);
    rmSync(node.home, { recursive: true, force: true });
  });
  try {
    const port = options.port ?? (await freePort());
    let controllerPort = options.controllerPort ?? (await freePort());
    while (controllerPort === port) {
      controllerPort = await freePort();
    }
    await formatKafkaStorage(node, port, controllerPort);
    const handle = kafkaHandle(node, { port, controllerPort }, removeExitHook);
    await handle.start();
    return handle;
  } catch (error) {
    node.destroyed = true;
    killBroker(node);
    removeExitHook();
    rmSync(node.home, { recursive: true, force: true });
    throw error;
  }
}
