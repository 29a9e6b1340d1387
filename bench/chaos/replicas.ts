/**
 * Worker replicas as child processes, supervised as an orchestrator would: a replica that exits on its own is
 * started again after a short, growing back-off; one the harness SIGKILLs is started again by the harness. Each
 * replica appends stdout and stderr to its own log file across restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { onProcessExit } from '../../test/support/private-services';

export interface ReplicaEvent {
  readonly at: number;
  readonly replica: number;
  readonly kind: 'spawn' | 'live' | 'ready' | 'killed' | 'exit' | 'stopped';
  /** Exit code or signal, time to live/ready, … */
  readonly detail?: string;
}

export interface ReplicaSpec {
  readonly index: number;
  readonly port: number;
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

export class Replica {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private supervising = false;
  private deliberate = false;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(
    private readonly spec: ReplicaSpec,
    private readonly events: ReplicaEvent[],
  ) {}

  get index(): number {
    return this.spec.index;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  get running(): boolean {
    return this.child?.exitCode === null && this.child.signalCode === null;
  }

  /** Unplanned exits so far (the process ended without being killed or stopped by the harness). */
  get unplannedExits(): number {
    return this.events.filter((event) => event.replica === this.spec.index && event.kind === 'exit').length;
  }

  /** Starts the process (and keeps it running: unplanned exits are restarted). */
  start(): void {
    this.supervising = true;
    this.spawnOnce();
  }

  /** Waits until `/health/ready` answers 200 (Postgres and Kafka reachable from the replica). */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.running && (await answers(`${this.url}/health/ready`, 1_000))) {
        return true;
      }
      await sleep(200);
    }
    return false;
  }

  /** SIGKILL, as an OOM kill or a lost node would; not restarted until `start()`. */
  async kill(): Promise<void> {
    this.supervising = false;
    clearTimeout(this.restartTimer);
    if (!this.running) {
      return;
    }
    this.deliberate = true;
    this.events.push({ at: Date.now(), replica: this.spec.index, kind: 'killed', detail: 'SIGKILL' });
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (graceful shutdown), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    this.supervising = false;
    clearTimeout(this.restartTimer);
    if (!this.running) {
      return;
    }
    this.deliberate = true;
    this.events.push({ at: Date.now(), replica: this.spec.index, kind: 'stopped', detail: 'SIGTERM' });
    const child = this.child;
    child?.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  private spawnOnce(): void {
    if (this.running) {
      return;
    }
    this.deliberate = false;
    this.generation += 1;
    const generation = this.generation;
    const out = openSync(this.spec.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.spec.entry], {
        env: { ...this.spec.env, HTTP_PORT: String(this.spec.port) },
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    this.child = child;
    // A harness that dies (an error, Ctrl-C) must not leave workers behind, retrying against services that are gone.
    const removeExitHook = onProcessExit(() => {
      child.kill('SIGKILL');
    });
    const spawnedAt = Date.now();
    this.events.push({
      at: spawnedAt,
      replica: this.spec.index,
      kind: 'spawn',
      detail: `pid ${child.pid ?? '?'}`,
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        removeExitHook();
        if (!this.deliberate) {
          this.crashes += 1;
          this.events.push({
            at: Date.now(),
            replica: this.spec.index,
            kind: 'exit',
            detail: `unplanned exit ${signal ?? `code ${String(code)}`} after ${Date.now() - spawnedAt} ms`,
          });
          if (this.supervising) {
            const delay = Math.min(8_000, 500 * 2 ** Math.min(4, this.crashes - 1));
            this.restartTimer = setTimeout(() => {
              if (this.supervising) {
                this.spawnOnce();
              }
            }, delay);
          }
        }
        resolve();
      });
    });
    void this.watchBoot(generation, spawnedAt);
  }

  /** Records when this process first answered `/health/live` and `/health/ready`. */
  private async watchBoot(generation: number, spawnedAt: number): Promise<void> {
    let live = false;
    while (this.generation === generation && this.running && Date.now() - spawnedAt < 300_000) {
      if (!live && (await answers(`${this.url}/health/live`, 1_000))) {
        live = true;
        this.events.push({
          at: Date.now(),
          replica: this.spec.index,
          kind: 'live',
          detail: `${Date.now() - spawnedAt} ms after spawn`,
        });
      }
      if (live && (await answers(`${this.url}/health/ready`, 1_000))) {
        this.crashes = 0;
        this.events.push({
          at: Date.now(),
          replica: this.spec.index,
          kind: 'ready',
          detail: `${Date.now() - spawnedAt} ms after spawn`,
        });
        return;
      }
      await sleep(100);
    }
  }
}
