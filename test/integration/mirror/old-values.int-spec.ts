import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { type JsonRecord } from '../../../src/common/json';
import { buildChangeEvent } from '../../../src/events/change-event.envelope';
import { MirrorRepository, type Provenance } from '../../../src/mirror/mirror.repository';
import { type RawChangeEventRow, toRow } from '../../../src/outbox/change-event-outbox';
import { openTestDataSource } from '../../support/test-data-source';

const provenance: Provenance = {
  deliveryIds: ['d-1'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['a-1'],
  reasons: ['modified'],
};

function contract(key: string, overrides: Partial<JsonRecord> = {}): JsonRecord {
  return {
    key,
    piid: 'W15QKN24C1234',
    obligated: 5306.85,
    description: 'PUMPS',
    recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA' },
    parent_award: { key: 'CONT_IDV_GS03F045DA_4732', piid: 'GS03F045DA' },
    ...overrides,
  };
}

/** The old values the outbox keeps (issue 25), written by the same statement as the mirror change. */
describe('change_events.previous_values against Postgres', () => {
  let dataSource: DataSource;
  let mirror: MirrorRepository;

  beforeAll(async () => {
    dataSource = await openTestDataSource(3);
    mirror = new MirrorRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  async function outboxRows(key: string): Promise<RawChangeEventRow[]> {
    return dataSource.query<RawChangeEventRow[]>(
      `SELECT id::text AS id, event_id::text AS event_id, resource, record_id, change_type, version, previous_hash,
              hash, changed_fields, record, previous_values, provenance, occurred_at, lane
         FROM change_events WHERE resource = 'contracts' AND record_id = $1 ORDER BY version`,
      [key],
    );
  }

  async function upsert(record: JsonRecord, at: string): Promise<void> {
    await mirror.upsert('contracts', [{ record, fetchedAt: new Date(at), provenance }]);
  }

  it('keeps the old values of exactly the changed fields of an update (none for a create)', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const first = contract(key);
    await upsert(first, '2026-11-01T00:00:00Z');
    const { parent_award: _removed, ...rest } = first;
    const second: JsonRecord = {
      ...rest,
      obligated: 123.45,
      recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA AVX' },
      modification_number: 'P00001',
    };
    await upsert(second, '2026-11-02T00:00:00Z');

    const [created, updated] = await outboxRows(key);
    expect(created?.previous_values).toBeNull();
    expect(updated?.changed_fields).toEqual([
      'modification_number',
      'obligated',
      'parent_award',
      'recipient',
    ]);
    // Not the whole old record: only the changed fields it had (modification_number is new, so absent).
    expect(updated?.previous_values).toEqual({
      obligated: 5306.85,
      parent_award: first.parent_award,
      recipient: first.recipient,
    });

    const event = buildChangeEvent(toRow(updated!));
    expect(event).toMatchObject({
      change: 'updated',
      changes: {
        obligated: { truncated: false, before: 5306.85, after: 123.45 },
        modification_number: { truncated: false, before: null, after: 'P00001' },
        parent_award: { truncated: false, before: first.parent_award, after: null },
        recipient: {
          truncated: false,
          before: first.recipient,
          after: second.recipient,
          patch: [{ op: 'replace', path: '/display_name', value: 'KYOCERA AVX' }],
        },
      },
    });
  });

  it('keeps an empty object for an enrichment (every changed field is new)', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await upsert(contract(key), '2026-11-01T00:00:00Z');
    await upsert(contract(key, { naics: { code: '333914' } }), '2026-11-02T00:00:00Z');
    const [, enriched] = await outboxRows(key);
    expect(enriched).toMatchObject({
      change_type: 'enriched',
      changed_fields: ['naics'],
      previous_values: {},
    });
  });

  it("writes a deletion's last record into its event row, and a revival's old values against it", async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const last = contract(key, { obligated: 99 });
    await upsert(contract(key), '2026-11-01T00:00:00Z');
    await upsert(last, '2026-11-02T00:00:00Z');
    await mirror.markDeleted('contracts', [key], new Date('2026-11-03T00:00:00Z'), provenance);
    await upsert(contract(key, { obligated: 100 }), '2026-11-04T00:00:00Z');

    const rows = await outboxRows(key);
    expect(rows.map((row) => row.change_type)).toEqual(['created', 'updated', 'deleted', 'updated']);
    const deleted = rows[2]!;
    expect(deleted.record).toBeNull();
    expect(deleted.previous_values).toEqual(last);
    expect(buildChangeEvent(toRow(deleted))).toMatchObject({
      change: 'deleted',
      data: null,
      changes: null,
      before: last,
      before_truncated: false,
    });
    expect(rows[3]).toMatchObject({ changed_fields: ['obligated'], previous_values: { obligated: 99 } });
  });
});
