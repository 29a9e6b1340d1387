import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import {
  type FetchedRecord,
  type MirrorChange,
  MirrorRepository,
  type Provenance,
  type UpsertOutcome,
} from './mirror.repository';

/** Records Tango confirmed gone (404s), to tombstone. */
export interface Tombstones {
  readonly ids: readonly string[];
  /** When the confirming request was sent: records fetched after it are left alone. */
  readonly confirmedAt: Date;
  readonly provenance: Provenance;
}

/** What one family's part of a commit writes to the mirror. */
export interface FamilyWrite {
  readonly family: ResourceFamily;
  readonly upserts: readonly FetchedRecord[];
  readonly tombstones?: Tombstones;
  /** The family's fetch state (`sync_state`): whether this work counts as a successful fetch, and its error. */
  readonly fetchState: { readonly succeeded: boolean; readonly error: string | null };
}

export interface FamilyWriteResult {
  readonly family: ResourceFamily;
  readonly upserted: UpsertOutcome;
  readonly deleted: readonly MirrorChange[];
}

/** What a commit wrote, and what its caller's bookkeeping returned. */
export interface MirrorCommit<T> {
  readonly results: readonly FamilyWriteResult[];
  /** Changes (created, updated, deleted) over all families. */
  readonly changes: number;
  readonly bookkeeping: T;
}

/**
 * The one writer of the mirror. Every path that brings records in (the fetcher, reconciliation sweeps, backfill
 * segments) commits through it: for each family, the upserts and tombstones (mirror rows, their history and their
 * change events, in the same statements) and the family's fetch state; then, in the same transaction, the caller's
 * own bookkeeping (failures and retries, a gap closed, a segment's checkpoint), given what was written. The
 * bookkeeping may throw to roll everything back. No network call happens inside.
 */
@Injectable()
export class MirrorWriter {
  constructor(
    private readonly dataSource: DataSource,
    private readonly mirror: MirrorRepository,
  ) {}

  commit<T>(
    writes: readonly FamilyWrite[],
    bookkeeping: (manager: EntityManager, results: readonly FamilyWriteResult[]) => Promise<T>,
  ): Promise<MirrorCommit<T>> {
    return this.dataSource.transaction(async (manager) => {
      const results: FamilyWriteResult[] = [];
      for (const write of writes) {
        results.push(await this.writeFamily(write, manager));
      }
      const changes = results.reduce(
        (sum, result) => sum + result.upserted.changes.length + result.deleted.length,
        0,
      );
      return { results, changes, bookkeeping: await bookkeeping(manager, results) };
    });
  }

  private async writeFamily(write: FamilyWrite, manager: EntityManager): Promise<FamilyWriteResult> {
    const upserted = await this.mirror.upsert(write.family, write.upserts, manager);
    const deleted =
      write.tombstones === undefined
        ? []
        : await this.mirror.markDeleted(
            write.family,
            write.tombstones.ids,
            write.tombstones.confirmedAt,
            write.tombstones.provenance,
            manager,
          );
    await this.mirror.touchFetchState(
      write.family,
      {
        succeeded: write.fetchState.succeeded,
        changes: upserted.changes.length + deleted.length,
        error: write.fetchState.error,
      },
      manager,
    );
    return { family: write.family, upserted, deleted };
  }
}
