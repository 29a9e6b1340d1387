import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type ResourceFamily } from '../common/tango/resource-family';
import { FAMILIES } from '../common/tango/families';
import { notifyOutbox, OUTBOX_CHANNELS } from '../outbox/channels';
import {
  type BlockedLane,
  ChangeEventOutbox,
  type ChangeEventDecoder,
  insertChangeEventsSql,
  type LaneClaimResult,
} from '../outbox/change-event-outbox';
import { buildChangeEvent, ChangeEventRowError } from './change-event.envelope';
import { type ChangeEvent } from './change-event.schema';

export interface ClaimedChangeEvent {
  readonly rowId: string;
  readonly lane: number;
  readonly resource: ResourceFamily;
  readonly event: ChangeEvent;
}

export type ClaimResult = LaneClaimResult<ChangeEventRowError>;
export type { BlockedLane };

export interface SnapshotBatch {
  /** Mirror rows read in this batch (live ones only). */
  readonly selected: number;
  /** Snapshot events written (fewer than selected when this replay id already wrote some). */
  readonly inserted: number;
  /** Keyset cursor for the next batch; null when the batch was empty. */
  readonly lastId: string | null;
}

/** Outbox rows become CloudEvents envelopes; a row that is not a valid event stops its lane. */
const ENVELOPE_DECODER: ChangeEventDecoder<ClaimedChangeEvent, ChangeEventRowError> = {
  decode: (row) => {
    const event = buildChangeEvent(row);
    return { rowId: row.id, lane: row.lane, resource: event.resource, event };
  },
  isRowError: (error): error is ChangeEventRowError => error instanceof ChangeEventRowError,
};

/** Change events' use of their outbox: envelopes for the relay, snapshot rows for replays. */
@Injectable()
export class ChangeEventRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: ChangeEventOutbox,
  ) {}

  /** Publishes the next batch of pending events as envelopes (see ChangeEventOutbox.claimAndPublish). */
  claimAndPublish(
    limit: number,
    leaseMs: number,
    publish: (events: readonly ClaimedChangeEvent[]) => Promise<void>,
  ): Promise<ClaimResult> {
    return this.outbox.claimAndPublish(limit, leaseMs, ENVELOPE_DECODER, publish);
  }

  /**
   * Writes `snapshot` events for up to `limit` live (not deleted) mirror rows of a family after the keyset cursor,
   * optionally only those changed since a time, and notifies the relay. The mirror rows are read FOR SHARE: a
   * concurrent upsert of the same record either commits first (the snapshot then carries its new version, and
   * comes after its event) or waits for this transaction (its event then comes after the snapshot), so a snapshot
   * never overtakes a newer change of its record. The event id is md5(family:id:version:snapshot:replayId), so a
   * re-run with the same replay id adds nothing twice.
   */
  async insertSnapshotBatch(
    family: ResourceFamily,
    options: { afterId: string | null; since: Date | null; limit: number; replayId: string },
  ): Promise<SnapshotBatch> {
    const spec = FAMILIES[family];
    const provenance = {
      deliveryIds: [],
      eventTypes: [],
      alertIds: [],
      reasons: ['snapshot'],
      snapshot: true,
      replayId: options.replayId,
    };
    return this.dataSource.transaction(async (manager) => {
      const [result] = await manager.query<{ selected: number; inserted: number; last_id: string | null }[]>(
        `WITH picked AS (
           SELECT m.${spec.idField}::text AS id, m.${spec.idField} AS sort_key, m.version, m.content_hash, m.record
             FROM ${spec.table} m
            WHERE m.deleted_at IS NULL
              AND ($1::text IS NULL OR m.${spec.idField} > $1::${spec.idType})
              AND ($2::timestamptz IS NULL OR m.changed_at >= $2::timestamptz)
            ORDER BY m.${spec.idField}
            LIMIT $3
            FOR SHARE
         ),
         inserted AS (
           ${insertChangeEventsSql(
             'picked p',
             {
               eventId: `md5($4 || ':' || p.id || ':' || p.version || ':snapshot:' || $5)::uuid`,
               resource: '$4',
               recordId: 'p.id',
               changeType: `'snapshot'`,
               version: 'p.version',
               previousHash: 'NULL',
               hash: 'p.content_hash',
               changedFields: `'{}'`,
               record: 'p.record',
               provenance: '$6::jsonb',
             },
             { orderBy: 'p.sort_key', returning: true },
           )}
         )
         SELECT (SELECT count(*)::int FROM picked) AS selected,
                (SELECT count(*)::int FROM inserted) AS inserted,
                (SELECT p.id FROM picked p ORDER BY p.sort_key DESC LIMIT 1) AS last_id`,
        [options.afterId, options.since, options.limit, family, options.replayId, JSON.stringify(provenance)],
      );
      const batch: SnapshotBatch = {
        selected: result?.selected ?? 0,
        inserted: result?.inserted ?? 0,
        lastId: result?.last_id ?? null,
      };
      await notifyOutbox(manager, OUTBOX_CHANNELS.changeEvents, batch.inserted);
      return batch;
    });
  }

  /** Tombstoned rows a replay skips (changed since `since`, when given). */
  async countDeleted(family: ResourceFamily, since: Date | null): Promise<number> {
    const spec = FAMILIES[family];
    const [row] = await this.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM ${spec.table}
        WHERE deleted_at IS NOT NULL AND ($1::timestamptz IS NULL OR changed_at >= $1::timestamptz)`,
      [since],
    );
    return row?.count ?? 0;
  }
}
