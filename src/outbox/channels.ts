import { type EntityManager } from 'typeorm';

/**
 * The NOTIFY channels of the two outboxes: every writer of an outbox table notifies its channel in the same
 * transaction (Postgres delivers the notification at commit), and the table's relay listens on it.
 */
export const OUTBOX_CHANNELS = {
  /** `fetch_targets`: records to fetch from Tango. */
  fetchTargets: 'fetch_targets',
  /** `change_events`: mirror changes to publish. */
  changeEvents: 'change_events',
} as const;

export type OutboxChannel = (typeof OUTBOX_CHANNELS)[keyof typeof OUTBOX_CHANNELS];

/** Wakes the channel's relays once the caller's transaction commits (nothing when no row was written). */
export async function notifyOutbox(
  manager: Pick<EntityManager, 'query'>,
  channel: OutboxChannel,
  rows: number,
): Promise<void> {
  if (rows > 0) {
    await manager.query('SELECT pg_notify($1, $2)', [channel, String(rows)]);
  }
}
