import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type MirroredCount } from './freshness-plan';

/** What the run-time probe of a list parameter the contract does not list found. */
export interface FilterProbe {
  readonly resource: ResourceFamily;
  readonly param: string;
  readonly honoured: boolean;
  readonly detail: string;
  readonly probedAt: Date;
  /** The day (`YYYY-MM-DD`) the last modified-since poll read through, or null before the first. */
  readonly polledThrough: string | null;
}

/** Verification state of one family: live records and the least recently verified one's `fetched_at`. */
export interface VerificationState extends MirroredCount {
  readonly oldestVerifiedAt: Date | null;
}

/**
 * What freshness decisions read: Tango's live event-type catalog (`tango_event_types`, refreshed at start and on
 * every alert poll), the alert types Tango actually delivered, the mirror's verification state (a record's
 * `fetched_at` is when Tango last confirmed it), and the filter probes.
 */
@Injectable()
export class FreshnessRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Event types Tango's catalog lists now. */
  async listedEventTypes(): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ event_type: string }[]>(
      'SELECT event_type FROM tango_event_types WHERE delisted_at IS NULL',
    );
    return new Set(rows.map((row) => row.event_type));
  }

  /** Of these alert event types, those Tango delivered (a recognized event of that type is stored). */
  async deliveredEventTypes(eventTypes: readonly string[]): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ event_type: string }[]>(
      `SELECT t.event_type FROM unnest($1::text[]) AS t(event_type)
        WHERE EXISTS (SELECT 1 FROM webhook_events e WHERE e.event_type = t.event_type AND e.status = 'recognized')`,
      [eventTypes],
    );
    return new Set(rows.map((row) => row.event_type));
  }

  /** Every family's live records and least recently verified one (through `<table>_verified_order`). */
  async verificationStates(families: readonly ResourceFamily[]): Promise<VerificationState[]> {
    const states: VerificationState[] = [];
    for (const family of families) {
      const table = FAMILIES[family].table;
      const [row] = await this.dataSource.query<{ mirrored: string; oldest: Date | null }[]>(
        `SELECT count(*)::bigint AS mirrored,
                (SELECT fetched_at FROM ${table} WHERE deleted_at IS NULL ORDER BY fetched_at LIMIT 1) AS oldest
           FROM ${table} WHERE deleted_at IS NULL`,
      );
      states.push({ family, mirrored: Number(row?.mirrored ?? 0), oldestVerifiedAt: row?.oldest ?? null });
    }
    return states;
  }

  /** The ids of a family's `size` least recently verified live records, oldest first. */
  async leastRecentlyVerified(family: ResourceFamily, size: number): Promise<string[]> {
    const spec = FAMILIES[family];
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT ${spec.idField}::text AS id FROM ${spec.table} WHERE deleted_at IS NULL
        ORDER BY fetched_at, ${spec.idField} LIMIT $1`,
      [size],
    );
    return rows.map((row) => row.id);
  }

  async saveProbe(probe: Omit<FilterProbe, 'probedAt' | 'polledThrough'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO tango_filter_probes (resource, param, honoured, detail) VALUES ($1, $2, $3, $4)
       ON CONFLICT (resource, param) DO UPDATE
         SET honoured = EXCLUDED.honoured, detail = EXCLUDED.detail, probed_at = clock_timestamp()`,
      [probe.resource, probe.param, probe.honoured, probe.detail],
    );
  }

  async probes(): Promise<FilterProbe[]> {
    const rows = await this.dataSource.query<
      {
        resource: ResourceFamily;
        param: string;
        honoured: boolean;
        detail: string;
        probed_at: Date;
        polled_through: string | null;
      }[]
    >(
      `SELECT resource, param, honoured, detail, probed_at, polled_through::text AS polled_through
         FROM tango_filter_probes ORDER BY resource, param`,
    );
    return rows.map((row) => ({
      resource: row.resource,
      param: row.param,
      honoured: row.honoured,
      detail: row.detail,
      probedAt: row.probed_at,
      polledThrough: row.polled_through,
    }));
  }

  /** Records the day a modified-since poll read through, so the next poll (on any replica, after any restart) starts there. */
  async savePolledThrough(resource: ResourceFamily, param: string, day: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE tango_filter_probes SET polled_through = $3::date WHERE resource = $1 AND param = $2`,
      [resource, param, day],
    );
  }
}
