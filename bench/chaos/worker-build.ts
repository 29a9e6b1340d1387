/**
 * A fast build of the worker from the current sources for tests that run it as a child process: every file under
 * src/ and migrations/ is transpiled with swc (the repository's .swcrc, as jest does: decorator metadata kept for
 * Nest's dependency injection) into a directory under bench/results/ (git-ignored, inside the repository so that
 * node_modules resolves), and the vendored Tango contract is copied next to its reader. No type check: that is
 * `npm run check`'s job. About a second, where `nest build` takes half a minute.
 */
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { transformFile } from '@swc/core';
import { onProcessExit, repositoryRoot } from '../../test/support/private-services';

export interface WorkerBuild {
  /** `<dir>/src/main.js` */
  readonly entry: string;
  readonly dir: string;
  remove(): void;
}

export interface WorkerBuildOptions {
  /** Also the benchmarks (bench/, but bench/results/) and test/support/ they import: `<dir>/bench/<name>/run.js`. */
  readonly withBenchmarks?: boolean;
}

function typescriptFiles(dir: string, skip: readonly string[] = []): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.includes(path)) {
        files.push(...typescriptFiles(path, skip));
      }
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      !entry.name.endsWith('.spec.ts')
    ) {
      files.push(path);
    }
  }
  return files;
}

function sourcesOf(root: string, options: WorkerBuildOptions): string[] {
  const sources = [...typescriptFiles(join(root, 'src')), ...typescriptFiles(join(root, 'migrations'))];
  if (options.withBenchmarks === true) {
    sources.push(
      ...typescriptFiles(join(root, 'bench'), [join(root, 'bench', 'results')]),
      ...typescriptFiles(join(root, 'test', 'support')),
      // The benchmarks start the local Tango simulator, a program of its own beside src/.
      ...typescriptFiles(join(root, 'simulator')),
    );
  }
  return sources;
}

/** Transpiles `sources` (under `root`) into `dir`, four files at a time. */
async function transpileAll(root: string, dir: string, sources: readonly string[]): Promise<void> {
  const queue = [...sources];
  const work = async (): Promise<void> => {
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      const output = await transformFile(file, {
        cwd: root,
        swcrc: true,
        filename: file,
        sourceMaps: 'inline',
      });
      const target = join(dir, relative(root, file)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, output.code);
    }
  };
  await Promise.all([work(), work(), work(), work()]);
}

export async function buildWorkerWithSwc(
  label = 'chaos',
  options: WorkerBuildOptions = {},
): Promise<WorkerBuild> {
  const root = repositoryRoot();
  const dir = join(root, 'bench', 'results', `${label}-worker-${process.pid}-${Date.now().toString(36)}`);
  try {
    await transpileAll(root, dir, sourcesOf(root, options));
    cpSync(join(root, 'src', 'tango-contract', 'vendor'), join(dir, 'src', 'tango-contract', 'vendor'), {
      recursive: true,
    });
    cpSync(join(root, 'src', 'console', 'static'), join(dir, 'src', 'console', 'static'), {
      recursive: true,
    });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const remove = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  const removeExitHook = onProcessExit(remove);
  return {
    entry: join(dir, 'src', 'main.js'),
    dir,
    remove() {
      removeExitHook();
      remove();
    },
  };
}
