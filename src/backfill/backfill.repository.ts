import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';

export interface BackfillCheckpoint {
  readonly family: ResourceFamily;
  readonly windowKey: string;
  /** The query of the next page to read (null once complete or before the first page). */
  readonly nextQuery: Readonly<Record<string, string>> | null;
  readonly pages: number;
  readonly records: number;
  readonly changes: number;
  readonly completedAt: Date | null;
}

/** SQL of the backfill checkpoints (one row per family and window). */
@Injectable()
export class BackfillRepository {
  constructor(private readonly dataSource: DataSource) {}

  async load(family: ResourceFamily, windowKey: string): Promise<BackfillCheckpoint | null> {
    const rows = await this.dataSource.query<
      {
        next_query: Record<string, string> | null;
        pages: number;
        records: string;
        changes: string;
        completed_at: Date | null;
      }[]
    >(
      `SELECT next_query, pages, records::text AS records, changes::text AS changes, completed_at
         FROM backfill_checkpoints WHERE family = $1 AND window_key = $2`,
      [family, windowKey],
    );
    const row = rows[0];
    return row === undefined
      ? null
      : {
          family,
          windowKey,
          nextQuery: row.next_query,
          pages: row.pages,
          records: Number(row.records),
          changes: Number(row.changes),
          completedAt: row.completed_at,
        };
  }

  /** Forgets a window's progress (a fresh run). */
  async reset(family: ResourceFamily, windowKey: string): Promise<void> {
    await this.dataSource.query('DELETE FROM backfill_checkpoints WHERE family = $1 AND window_key = $2', [
      family,
      windowKey,
    ]);
  }

  /** Records one committed page (call inside the page's transaction). */
  async advance(
    checkpoint: {
      family: ResourceFamily;
      windowKey: string;
      since: string | null;
      nextQuery: Readonly<Record<string, string>> | null;
      records: number;
      changes: number;
    },
    manager: EntityManager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO backfill_checkpoints (family, window_key, since, next_query, pages, records, changes, completed_at)
       VALUES ($1, $2, $3::date, $4::jsonb, 1, $5, $6, CASE WHEN $4::jsonb IS NULL THEN clock_timestamp() END)
       ON CONFLICT (family, window_key) DO UPDATE
         SET next_query = EXCLUDED.next_query, pages = backfill_checkpoints.pages + 1,
             records = backfill_checkpoints.records + EXCLUDED.records,
             changes = backfill_checkpoints.changes + EXCLUDED.changes,
             updated_at = clock_timestamp(), completed_at = EXCLUDED.completed_at`,
      [
        checkpoint.family,
        checkpoint.windowKey,
        checkpoint.since,
        checkpoint.nextQuery === null ? null : JSON.stringify(checkpoint.nextQuery),
        checkpoint.records,
        checkpoint.changes,
      ],
    );
  }
}
