import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { RetentionRepository } from '../../../src/retention/retention.repository';
import { RetentionService } from '../../../src/retention/retention.service';
import { type RetentionSettings } from '../../../src/retention/retention-settings';
import { ScratchDatabase } from '../../support/scratch-database';

const DAYS: RetentionSettings['days'] = {
  changeEvents: 7,
  deliveries: 14,
  unprocessedDeliveries: 90,
  fetchTargets: 2,
  fetchFailures: 30,
  rejections: 30,
  alertObservations: 30,
  history: 0,
};

/** Retention on its own migrated database: it prunes whole tables, so no other suite's rows may be there. */
describe('retention against Postgres', () => {
  let db: { dataSource: DataSource; close: () => Promise<void> };
  let dataSource: DataSource;
  let metrics: MetricsService;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await ScratchDatabase.migrated('retention');
    dataSource = db.dataSource;
  }, 60_000);

  afterAll(async () => {
    await db.close();
  });

  function service(days: Partial<RetentionSettings['days']> = {}): RetentionService {
    metrics = new MetricsService();
    return new RetentionService(
      new RetentionRepository(dataSource),
      { intervalMs: 0, batchSize: 2, batchPauseMs: 0, days: { ...DAYS, ...days } },
      metrics,
    );
  }

  const ago = (days: number): string => `clock_timestamp() - interval '${days} days'`;

  let deliveryCount = 0;
  async function delivery(
    ageDays: number,
    options: { status?: string; family?: string; alertId?: string; idsDropped?: number } = {},
  ): Promise<string> {
    deliveryCount += 1;
    const [row] = await dataSource.query<{ id: string }[]>(
      `INSERT INTO webhook_deliveries (delivery_key, body_sha256, raw_body, format, status, event_count, target_count,
                                       verified_by, received_at)
       VALUES ($1, 'sha', '\\x7b7d', 'alerts', $2, 1, 1, 'test', ${ago(ageDays)}) RETURNING id::text AS id`,
      [`key-${deliveryCount}`, options.status ?? 'processed'],
    );
    const id = row?.id ?? '';
    await dataSource.query(
      `INSERT INTO webhook_events (delivery_pk, event_index, status, alert_id, resource, target_count, ids_dropped)
       VALUES ($1, 0, 'recognized', $2, $3, 1, $4)`,
      [id, options.alertId ?? null, options.family ?? null, options.idsDropped ?? 0],
    );
    if (options.family !== undefined) {
      await dataSource.query('INSERT INTO webhook_event_families (family, delivery_pk) VALUES ($1, $2)', [
        options.family,
        id,
      ]);
    }
    return id;
  }

  async function exists(table: string, where: string, params: unknown[]): Promise<boolean> {
    const rows = await dataSource.query<unknown[]>(`SELECT 1 FROM ${table} WHERE ${where}`, params);
    return rows.length > 0;
  }

  const deliveryKept = (id: string): Promise<boolean> => exists('webhook_deliveries', 'id = $1', [id]);

  it('prunes old webhook deliveries with their events, except those still needed', async () => {
    // Counted for alert A1 up to `counted`; `uncounted` is above the latest observation.
    const counted = await delivery(20, { family: 'contracts', alertId: 'A1' });
    await dataSource.query(
      `INSERT INTO alert_observations (alert_id, query_type, status, match_count, delivered_through_pk)
       VALUES ('A1', 'contract', 'active', 1, $1)`,
      [counted],
    );
    const old = await delivery(20, { family: 'contracts' });
    const onlyGrants = await delivery(20, { family: 'grants' });
    const unrecognized = await delivery(20, { status: 'unrecognized' });
    const malformedVeryOld = await delivery(100, { status: 'malformed' });
    const uncounted = await delivery(20, { family: 'contracts', alertId: 'A1' });
    const overLimits = await delivery(20, { family: 'contracts', idsDropped: 500 });
    const namedByPendingTarget = await delivery(20, { family: 'contracts' });
    await dataSource.query(
      `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason, first_delivery_pk, last_delivery_pk)
       VALUES ('contracts', 'CONT_X', 'key', 'record', 'new', $1, $1)`,
      [namedByPendingTarget],
    );
    const young = await delivery(1, { family: 'contracts', alertId: 'A1' });

    const outcome = await service().run();

    expect(outcome.webhook_deliveries).toBe(3);
    for (const id of [counted, old, malformedVeryOld]) {
      expect({ id, kept: await deliveryKept(id) }).toEqual({ id, kept: false });
      expect(await exists('webhook_events', 'delivery_pk = $1', [id])).toBe(false);
      expect(await exists('webhook_event_families', 'delivery_pk = $1', [id])).toBe(false);
    }
    for (const id of [onlyGrants, unrecognized, uncounted, overLimits, namedByPendingTarget, young]) {
      expect({ id, kept: await deliveryKept(id) }).toEqual({ id, kept: true });
    }
    // The newest delivery per family is still what delivery_state shows.
    const state = await dataSource.query<{ scope_key: string }[]>(
      `SELECT scope_key FROM delivery_state WHERE scope = 'resource' ORDER BY scope_key`,
    );
    expect(state.map((row) => row.scope_key)).toEqual(['contracts', 'grants']);
  });

  it('keeps deliveries received inside an open gap until the gap closes', async () => {
    await dataSource.query(`DELETE FROM fetch_targets`);
    const inGap = await delivery(20, { family: 'contracts' });
    await delivery(1, { family: 'contracts' });
    const [gap] = await dataSource.query<{ id: string }[]>(
      `INSERT INTO sync_gaps (scope, scope_key, resource, cause, range_start, range_end)
       VALUES ('resource', 'contracts', 'contracts', 'test', ${ago(25)}, ${ago(19)}) RETURNING id::text AS id`,
    );
    await service().run();
    expect(await deliveryKept(inGap)).toBe(true);
    await dataSource.query('UPDATE sync_gaps SET closed_at = clock_timestamp() WHERE id = $1', [gap?.id]);
    await service().run();
    expect(await deliveryKept(inGap)).toBe(false);
  });

  it('prunes published outbox rows, resolved failures, gap-counted rejections and old observations only', async () => {
    const changeEvent = async (status: string, publishedDaysAgo: number | null): Promise<string> => {
      const [row] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO change_events (event_id, resource, record_id, change_type, version, lane, status, published_at)
         VALUES (gen_random_uuid(), 'contracts', 'C', 'updated', 1, 0, $1,
                 ${publishedDaysAgo === null ? 'NULL' : ago(publishedDaysAgo)})
         RETURNING id::text AS id`,
        [status],
      );
      return row?.id ?? '';
    };
    const publishedOld = await changeEvent('published', 10);
    const publishedYoung = await changeEvent('published', 1);
    const pendingOld = await changeEvent('pending', null);
    await dataSource.query(`UPDATE change_events SET occurred_at = ${ago(10)} WHERE id = $1`, [pendingOld]);

    const target = async (
      status: string,
      publishedDaysAgo: number | null,
      recordId: string,
    ): Promise<string> => {
      const [row] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO fetch_targets (resource, record_id, id_kind, kind, reason, status, published_at, first_hinted_at)
         VALUES ('contracts', $2, 'key', 'record', 'new', $1,
                 ${publishedDaysAgo === null ? 'NULL' : ago(publishedDaysAgo)}, ${ago(5)})
         RETURNING id::text AS id`,
        [status, recordId],
      );
      return row?.id ?? '';
    };
    const targetPublishedOld = await target('published', 3, 'T1');
    const targetPending = await target('pending', null, 'T2');

    await dataSource.query(
      `INSERT INTO fetch_failures (resource, record_id, id_kind, kind, resolved_at, dead_lettered_at)
       VALUES ('contracts', 'resolved-old', 'key', 'error', ${ago(40)}, NULL),
              ('contracts', 'dead-old', 'key', 'error', NULL, ${ago(40)})`,
    );

    const rejection = async (): Promise<string> => {
      const [row] = await dataSource.query<{ id: string }[]>(
        `INSERT INTO webhook_rejections (occurred_at, http_status, code) VALUES (${ago(40)}, 401, 'SIGNATURE')
         RETURNING id::text AS id`,
      );
      return row?.id ?? '';
    };
    const rejectionCounted = await rejection();
    const rejectionNotCounted = await rejection();
    await dataSource.query(
      `INSERT INTO sync_gaps (scope, scope_key, cause, range_start, range_end, detail, closed_at)
       VALUES ('webhook', 'webhook', 'webhook_rejected', ${ago(41)}, ${ago(39)}, $1, clock_timestamp())`,
      [JSON.stringify({ lastRejectionId: Number(rejectionCounted) })],
    );

    await dataSource.query(
      `INSERT INTO alert_observations (alert_id, query_type, status, match_count, observed_at)
       VALUES ('B1', 'contract', 'active', 1, ${ago(40)}), ('B1', 'contract', 'active', 2, ${ago(35)}),
              ('B1', 'contract', 'active', 3, ${ago(1)}), ('B2', 'contract', 'active', 1, ${ago(40)})`,
    );

    const outcome = await service().run();

    expect(outcome).toMatchObject({
      change_events: 1,
      fetch_targets: 1,
      fetch_failures: 1,
      webhook_rejections: 1,
      alert_observations: 2,
    });
    expect(outcome.record_history).toBeUndefined();
    expect(await exists('change_events', 'id = $1', [publishedOld])).toBe(false);
    expect(await exists('change_events', 'id = $1', [publishedYoung])).toBe(true);
    expect(await exists('change_events', 'id = $1', [pendingOld])).toBe(true);
    expect(await exists('fetch_targets', 'id = $1', [targetPublishedOld])).toBe(false);
    expect(await exists('fetch_targets', 'id = $1', [targetPending])).toBe(true);
    expect(await exists('fetch_failures', `record_id = 'resolved-old'`, [])).toBe(false);
    expect(await exists('fetch_failures', `record_id = 'dead-old'`, [])).toBe(true);
    expect(await exists('webhook_rejections', 'id = $1', [rejectionCounted])).toBe(false);
    expect(await exists('webhook_rejections', 'id = $1', [rejectionNotCounted])).toBe(true);
    const observations = await dataSource.query<{ alert_id: string; match_count: string }[]>(
      `SELECT alert_id, match_count::text AS match_count FROM alert_observations
        WHERE alert_id IN ('B1', 'B2') ORDER BY alert_id, match_count`,
    );
    expect(observations).toEqual([
      { alert_id: 'B1', match_count: '3' },
      { alert_id: 'B2', match_count: '1' },
    ]);
    const pruned = await metrics.registry.getSingleMetricAsString('tango_sync_retention_pruned_rows_total');
    expect(pruned).toMatch(/table="change_events"[^\n]* [1-9]/);
  });

  it('prunes history only when asked, keeping the version valid at the cutoff (rebased to a whole record) and later ones', async () => {
    const version = async (
      recordId: string,
      v: number,
      daysAgo: number,
      patch: object,
      removed: string[] = [],
    ): Promise<void> => {
      await dataSource.query(
        `INSERT INTO record_history (resource, record_id, version, event_id, change_type, valid_from, is_full, patch,
                                     removed_fields)
         VALUES ('contracts', $1, $2, gen_random_uuid(), $3, ${ago(daysAgo)}, $4, $5::jsonb, $6)`,
        [recordId, v, v === 1 ? 'created' : 'updated', v === 1, JSON.stringify(patch), removed],
      );
    };
    await version('R', 1, 30, { a: 1, b: 1, c: 1 });
    await version('R', 2, 20, { a: 2 }, ['c']);
    await version('R', 3, 5, { b: 3 });
    await version('S', 1, 30, { s: 1 });
    const versions = async (): Promise<string[]> =>
      (
        await dataSource.query<{ key: string }[]>(
          `SELECT record_id || ':' || version AS key FROM record_history WHERE record_id IN ('R', 'S') ORDER BY 1`,
        )
      ).map((row) => row.key);
    const timeline = async (): Promise<unknown[]> =>
      dataSource.query(
        `SELECT version, record FROM record_timeline WHERE resource = 'contracts' AND record_id = 'R' ORDER BY version`,
      );

    await service().run();
    expect(await versions()).toEqual(['R:1', 'R:2', 'R:3', 'S:1']);
    expect(await timeline()).toEqual([
      { version: 1, record: { a: 1, b: 1, c: 1 } },
      { version: 2, record: { a: 2, b: 1 } },
      { version: 3, record: { a: 2, b: 3 } },
    ]);

    const outcome = await service({ history: 10 }).run();
    expect(outcome.record_history).toBe(1);
    expect(await versions()).toEqual(['R:2', 'R:3', 'S:1']);
    // The kept versions read as before: version 2 now holds the whole record.
    expect(await timeline()).toEqual([
      { version: 2, record: { a: 2, b: 1 } },
      { version: 3, record: { a: 2, b: 3 } },
    ]);
    const [rebased] = await dataSource.query<{ is_full: boolean }[]>(
      `SELECT is_full FROM record_history WHERE record_id = 'R' AND version = 2`,
    );
    expect(rebased?.is_full).toBe(true);
  });
});
