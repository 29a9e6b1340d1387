import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { emptyRefreshState, type RefreshKind, type RefreshState } from './refresh-plan';

interface RefreshRow {
  resource: ResourceFamily;
  poll_started_at: Date | null;
  poll_completed_at: Date | null;
  polled_since: string | null;
  full_started_at: Date | null;
  full_completed_at: Date | null;
  previous_full_started_at: Date | null;
  last_kind: RefreshKind | null;
  last_outcome: Record<string, unknown>;
  last_error: string | null;
  last_error_at: Date | null;
}

function stateOf(row: RefreshRow): RefreshState {
  return {
    resource: row.resource,
    pollStartedAt: row.poll_started_at,
    pollCompletedAt: row.poll_completed_at,
    polledSince: row.polled_since,
    fullStartedAt: row.full_started_at,
    fullCompletedAt: row.full_completed_at,
    previousFullStartedAt: row.previous_full_started_at,
    lastKind: row.last_kind,
    lastOutcome: row.last_outcome,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
  };
}

/** A finished walk or poll: what it read and wrote. */
export interface RefreshOutcome {
  readonly kind: RefreshKind;
  readonly startedAt: Date;
  readonly pages: number;
  readonly requests: number;
  readonly records: number;
  readonly changes: number;
  readonly deleted: number;
  /** Records a multi-page walk did not see, kept until the next walk confirms (see `goneAfterWalk`). */
  readonly pendingDeletions: number;
  /** Whether the walk read to the end of the list (a full walk that stopped at RESOURCE_MAX_PAGES did not). */
  readonly complete: boolean;
  readonly polledSince: string | null;
  readonly why: string | null;
}

/** `resource_refreshes` and the mirror reads a walk needs. */
@Injectable()
export class ResourceRefreshRepository {
  constructor(private readonly dataSource: DataSource) {}

  async states(resources: readonly ResourceFamily[]): Promise<Map<ResourceFamily, RefreshState>> {
    const rows = await this.dataSource.query<RefreshRow[]>(
      `SELECT resource, poll_started_at, poll_completed_at, polled_since::text AS polled_since, full_started_at,
              full_completed_at, previous_full_started_at, last_kind, last_outcome, last_error, last_error_at
         FROM resource_refreshes WHERE resource = ANY($1::text[])`,
      [resources],
    );
    const found = new Map(rows.map((row) => [row.resource, stateOf(row)]));
    return new Map(
      resources.map((resource) => [resource, found.get(resource) ?? emptyRefreshState(resource)]),
    );
  }

  async state(resource: ResourceFamily): Promise<RefreshState> {
    return (await this.states([resource])).get(resource) ?? emptyRefreshState(resource);
  }

  /** Records a succeeded walk or poll; a complete full walk moves the walk marks. */
  async saveSuccess(resource: ResourceFamily, outcome: RefreshOutcome): Promise<void> {
    const full = outcome.kind === 'full' && outcome.complete;
    const poll = outcome.kind === 'poll';
    await this.dataSource.query(
      `INSERT INTO resource_refreshes AS r (resource, poll_started_at, poll_completed_at, polled_since, full_started_at,
                                            full_completed_at, last_kind, last_outcome)
       VALUES ($1, CASE WHEN $3 THEN $4::timestamptz END, CASE WHEN $3 THEN clock_timestamp() END, $5::date,
               CASE WHEN $2 THEN $4::timestamptz END, CASE WHEN $2 THEN clock_timestamp() END, $6, $7::jsonb)
       ON CONFLICT (resource) DO UPDATE SET
         previous_full_started_at = CASE WHEN $2 THEN r.full_started_at ELSE r.previous_full_started_at END,
         full_started_at = CASE WHEN $2 THEN $4::timestamptz ELSE r.full_started_at END,
         full_completed_at = CASE WHEN $2 THEN clock_timestamp() ELSE r.full_completed_at END,
         poll_started_at = CASE WHEN $3 THEN $4::timestamptz ELSE r.poll_started_at END,
         poll_completed_at = CASE WHEN $3 THEN clock_timestamp() ELSE r.poll_completed_at END,
         polled_since = COALESCE($5::date, r.polled_since),
         last_kind = $6, last_outcome = $7::jsonb, last_error = NULL, last_error_at = NULL,
         updated_at = clock_timestamp()`,
      [resource, full, poll, outcome.startedAt, outcome.polledSince, outcome.kind, JSON.stringify(outcome)],
    );
  }

  async saveFailure(resource: ResourceFamily, kind: RefreshKind, error: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO resource_refreshes AS r (resource, last_kind, last_error, last_error_at)
       VALUES ($1, $2, $3, clock_timestamp())
       ON CONFLICT (resource) DO UPDATE SET last_kind = $2, last_error = $3, last_error_at = clock_timestamp(),
                                            updated_at = clock_timestamp()`,
      [resource, kind, error],
    );
  }

  /** Live records a walk that started at `startedAt` did not return (their fetch time is older). */
  async unseenSince(resource: ResourceFamily, startedAt: Date): Promise<{ id: string; fetchedAt: Date }[]> {
    const spec = FAMILIES[resource];
    const rows = await this.dataSource.query<{ id: string; fetched_at: Date }[]>(
      `SELECT ${spec.idField}::text AS id, fetched_at FROM ${spec.table}
        WHERE deleted_at IS NULL AND fetched_at < $1 ORDER BY ${spec.idField}`,
      [startedAt],
    );
    return rows.map((row) => ({ id: row.id, fetchedAt: row.fetched_at }));
  }

  /** Live records per resource (for /health and the plan). */
  async liveCounts(resources: readonly ResourceFamily[]): Promise<Map<ResourceFamily, number>> {
    const counts = new Map<ResourceFamily, number>();
    for (const resource of resources) {
      const spec = FAMILIES[resource];
      const [row] = await this.dataSource.query<{ live: string }[]>(
        `SELECT count(*)::bigint AS live FROM ${spec.table} WHERE deleted_at IS NULL`,
      );
      counts.set(resource, Number(row?.live ?? 0));
    }
    return counts;
  }
}
