import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type ComparedRecord, type FoldDifference, MirrorFoldRepository } from './mirror-fold.repository';

/** Records compared per statement. */
const BATCH = 500;

/** A record whose mirror row and history disagree. */
export interface HistoryMismatch {
  readonly resource: ResourceFamily;
  readonly id: string;
  readonly difference: FoldDifference;
}

/** One run of the invariant check: what it compared, what differed, and where the next run goes on. */
export interface InvariantRun {
  readonly checked: number;
  readonly mismatches: readonly HistoryMismatch[];
  /** Per resource, the last id compared (the next run starts after it; '' starts over). */
  readonly cursors: Readonly<Partial<Record<ResourceFamily, string>>>;
}

export interface RebuildOutcome {
  readonly resource: ResourceFamily;
  readonly compared: number;
  readonly equal: number;
  readonly differences: Readonly<Partial<Record<FoldDifference, number>>>;
  /** Up to 20 differing ids, for the operator. */
  readonly examples: readonly HistoryMismatch[];
  /** Rows rewritten from their history (with `swap`). */
  readonly rewritten: number;
}

const countBy = (rows: readonly ComparedRecord[]): Partial<Record<FoldDifference, number>> => {
  const counts: Partial<Record<FoldDifference, number>> = {};
  for (const row of rows) {
    if (row.difference !== null) {
      counts[row.difference] = (counts[row.difference] ?? 0) + 1;
    }
  }
  return counts;
};

/**
 * The log is the source of truth: `record_history` folds to every mirror row. `checkSample` compares a rotating
 * sample of each resource (a scheduled, replica-safe job reports what differs on /health and as a metric);
 * `rebuild` compares a whole resource, and with `swap` rewrites every differing row from its history in one
 * transaction (rows only the mirror holds are reported, never deleted: the log cannot rebuild them).
 */
@Injectable()
export class MirrorRebuildService {
  constructor(
    private readonly folds: MirrorFoldRepository,
    private readonly dataSource: DataSource,
  ) {}

  async checkSample(
    resources: readonly ResourceFamily[],
    perResource: number,
    cursors: Readonly<Partial<Record<ResourceFamily, string>>>,
  ): Promise<InvariantRun> {
    const mismatches: HistoryMismatch[] = [];
    const next: Partial<Record<ResourceFamily, string>> = {};
    let checked = 0;
    for (const resource of resources) {
      const ids = await this.folds.idsAfter(resource, cursors[resource] ?? '', perResource);
      const compared = await this.folds.compare(resource, ids);
      checked += compared.length;
      for (const row of compared) {
        if (row.difference !== null) {
          mismatches.push({ resource, id: row.id, difference: row.difference });
        }
      }
      // A short page reached the end: the next run starts over.
      next[resource] = ids.length < perResource ? '' : (ids.at(-1) ?? '');
    }
    return { checked, mismatches, cursors: next };
  }

  async rebuild(resource: ResourceFamily, options: { readonly swap: boolean }): Promise<RebuildOutcome> {
    let after = '';
    let compared = 0;
    const all: ComparedRecord[] = [];
    let rewritten = 0;
    for (;;) {
      const ids = await this.folds.idsAfter(resource, after, BATCH);
      if (ids.length === 0) {
        break;
      }
      const rows = await this.folds.compare(resource, ids);
      compared += rows.length;
      const differing = rows.filter((row) => row.difference !== null);
      all.push(...differing);
      const rebuildable = differing
        .filter((row) => row.difference !== 'missing_in_history')
        .map((row) => row.id);
      if (options.swap && rebuildable.length > 0) {
        rewritten += await this.dataSource.transaction(async (manager) =>
          this.folds.rewrite(resource, await this.folds.folded(resource, rebuildable, manager), manager),
        );
      }
      after = ids.at(-1) ?? after;
    }
    return {
      resource,
      compared,
      equal: compared - all.length,
      differences: countBy(all),
      examples: all
        .slice(0, 20)
        .map((row) => ({ resource, id: row.id, difference: row.difference ?? 'record' })),
      rewritten,
    };
  }
}
