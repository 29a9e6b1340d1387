import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { type DataSource } from 'typeorm';
import { contentHash } from '../../../src/mirror/content-hash';
import { type JsonRecord } from '../../../src/common/json';
import { MirrorRepository, type Provenance, UPSERT_SLICE } from '../../../src/mirror/mirror.repository';
import { openTestDataSource } from '../../support/test-data-source';

const provenance: Provenance = {
  deliveryIds: ['d-1'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['a-1'],
  reasons: ['new'],
};

function contract(key: string, overrides: Partial<JsonRecord> = {}): JsonRecord {
  return {
    key,
    piid: 'W15QKN24C1234',
    award_date: '2026-08-13',
    fiscal_year: 2026,
    obligated: 5306.85,
    total_contract_value: 7500000.0,
    naics_code: 333316,
    recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA' },
    awarding_office: { agency_code: '1540', department_code: 15 },
    parent_award: { key: 'CONT_IDV_GS03F045DA_4732', piid: 'GS03F045DA' },
    ...overrides,
  };
}

describe('MirrorRepository against Postgres', () => {
  let dataSource: DataSource;
  let mirror: MirrorRepository;

  beforeAll(async () => {
    dataSource = await openTestDataSource(3);
    mirror = new MirrorRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource.destroy();
  });

  async function row(key: string): Promise<Record<string, unknown> | undefined> {
    const rows = await dataSource.query<Record<string, unknown>[]>(
      `SELECT key, piid, award_date::text AS award_date, fiscal_year, obligated::text AS obligated, naics_code, recipient_uei,
              awarding_agency_code, awarding_department_code, parent_key, content_hash, version, fetched_at, deleted_at, record
         FROM contracts WHERE key = $1`,
      [key],
    );
    return rows[0];
  }

  async function events(key: string): Promise<Record<string, unknown>[]> {
    return dataSource.query(
      `SELECT change_type, version, previous_hash, hash, changed_fields, provenance, event_id::text AS event_id, lane
         FROM change_events WHERE resource = 'contracts' AND record_id = $1 ORDER BY version`,
      [key],
    );
  }

  it('creates a row with typed columns, the full record, hash and version 1, and a created event', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const record = contract(key);
    const outcome = await mirror.upsert('contracts', [
      { record, fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    expect(outcome).toEqual({
      changes: [{ recordId: key, changeType: 'created', version: 1 }],
      unchanged: 0,
      stale: 0,
      withoutId: 0,
    });
    expect(await row(key)).toMatchObject({
      piid: 'W15QKN24C1234',
      award_date: '2026-08-13',
      fiscal_year: 2026,
      obligated: '5306.85',
      naics_code: '333316',
      recipient_uei: 'ABCDEFGH1234',
      awarding_agency_code: '1540',
      awarding_department_code: '15',
      parent_key: 'CONT_IDV_GS03F045DA_4732',
      content_hash: contentHash(record),
      version: 1,
      deleted_at: null,
      record,
    });
    const [event] = await events(key);
    expect(event).toMatchObject({
      change_type: 'created',
      version: 1,
      previous_hash: null,
      hash: contentHash(record),
      provenance,
    });
    expect(event?.changed_fields).toEqual(Object.keys(record).sort());
    expect(event?.lane).toEqual(expect.any(Number));
  });

  it('skips unchanged content (no version, no event) but records the newer fetch time', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await mirror.upsert('contracts', [
      { record: contract(key), fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    const outcome = await mirror.upsert('contracts', [
      { record: contract(key), fetchedAt: new Date('2026-11-02T00:00:00Z'), provenance },
    ]);
    expect(outcome).toMatchObject({ changes: [], unchanged: 1 });
    expect(await row(key)).toMatchObject({ version: 1, fetched_at: new Date('2026-11-02T00:00:00Z') });
    expect(await events(key)).toHaveLength(1);
  });

  it('bumps the version by exactly one on a change and lists the changed top-level fields', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const first = contract(key);
    const second = contract(key, { obligated: 9999, description: 'new text' });
    await mirror.upsert('contracts', [
      { record: first, fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    const outcome = await mirror.upsert('contracts', [
      { record: second, fetchedAt: new Date('2026-11-02T00:00:00Z'), provenance },
    ]);
    expect(outcome.changes).toEqual([{ recordId: key, changeType: 'updated', version: 2 }]);
    const updated = (await events(key))[1];
    expect(updated).toMatchObject({
      change_type: 'updated',
      version: 2,
      previous_hash: contentHash(first),
      hash: contentHash(second),
    });
    expect(updated?.changed_fields).toEqual(['description', 'obligated']);
    expect(await row(key)).toMatchObject({ version: 2, obligated: '9999' });
  });

  it('calls a version that only adds what the previous one lacked enriched, and any other change updated', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const narrow = contract(key, { award_type: 'D', transactions: [{ modification_number: '0' }] });
    const upsertAt = (record: JsonRecord, minute: number) =>
      mirror.upsert('contracts', [
        { record, fetchedAt: new Date(`2026-11-01T00:${String(minute).padStart(2, '0')}:00Z`), provenance },
      ]);
    await upsertAt(narrow, 0);
    // The shape widened: new fields, a new child in an expand, a code now expanded.
    const whole = {
      ...narrow,
      naics: { code: '333316', description: 'Optical instruments' },
      recipient: { uei: 'ABCDEFGH1234', display_name: 'KYOCERA', cage_code: '1ABC2' },
      award_type: { code: 'D', description: 'Definitive contract' },
      transactions: [{ modification_number: '0', obligated: 10 }],
    };
    expect((await upsertAt(whole, 1)).changes).toEqual([
      { recordId: key, changeType: 'enriched', version: 2 },
    ]);
    // A list that grew, a value that changed: updates, even alongside new fields.
    const grown = {
      ...whole,
      transactions: [...whole.transactions, { modification_number: '1', obligated: 5 }],
    };
    expect((await upsertAt(grown, 2)).changes).toEqual([
      { recordId: key, changeType: 'updated', version: 3 },
    ]);
    const changed = { ...grown, obligated: 1, psc: { code: 'R425' } };
    expect((await upsertAt(changed, 3)).changes).toEqual([
      { recordId: key, changeType: 'updated', version: 4 },
    ]);
    const recorded = await events(key);
    expect(recorded.map((event) => event.change_type)).toEqual(['created', 'enriched', 'updated', 'updated']);
    expect(recorded[1]?.changed_fields).toEqual(['award_type', 'naics', 'recipient', 'transactions']);
    const history = await dataSource.query<{ change_type: string }[]>(
      `SELECT change_type FROM record_history WHERE resource = 'contracts' AND record_id = $1 ORDER BY version`,
      [key],
    );
    expect(history.map((entry) => entry.change_type)).toEqual(['created', 'enriched', 'updated', 'updated']);
  });

  it('never lets an older fetch overwrite a newer one, whichever commits last', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const newer = contract(key, { obligated: 2 });
    const older = contract(key, { obligated: 1 });
    await mirror.upsert('contracts', [
      { record: newer, fetchedAt: new Date('2026-11-02T00:00:00Z'), provenance },
    ]);
    const outcome = await mirror.upsert('contracts', [
      { record: older, fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    expect(outcome).toMatchObject({ changes: [], stale: 1 });
    expect(await row(key)).toMatchObject({ obligated: '2', version: 1 });
    // Two transactions racing: each commits; only the newer fetch's content survives.
    const raced = `CONT_AWD_${randomUUID()}`;
    await Promise.all([
      mirror.upsert('contracts', [
        {
          record: contract(raced, { obligated: 20 }),
          fetchedAt: new Date('2026-11-04T00:00:00Z'),
          provenance,
        },
      ]),
      mirror.upsert('contracts', [
        {
          record: contract(raced, { obligated: 10 }),
          fetchedAt: new Date('2026-11-03T00:00:00Z'),
          provenance,
        },
      ]),
    ]);
    expect(await row(raced)).toMatchObject({ obligated: '20' });
  });

  it("gates on Tango's modified time where the family has one", async () => {
    const id = Math.floor(Math.random() * 1e9);
    const forecast = (modified: string, title: string): JsonRecord => ({
      id,
      source_system: 'HHS',
      external_id: 'x',
      title,
      modified,
    });
    await mirror.upsert('forecasts', [
      {
        record: forecast('2026-03-05T00:00:00Z', 'newer'),
        fetchedAt: new Date('2026-11-01T00:00:00Z'),
        provenance,
      },
    ]);
    const outcome = await mirror.upsert('forecasts', [
      {
        record: forecast('2026-03-04T00:00:00Z', 'older'),
        fetchedAt: new Date('2026-11-02T00:00:00Z'),
        provenance,
      },
    ]);
    expect(outcome.stale).toBe(1);
    const rows = await dataSource.query<{ title: string }[]>('SELECT title FROM forecasts WHERE id = $1', [
      id,
    ]);
    expect(rows[0]?.title).toBe('newer');
  });

  it('tombstones a deleted record with a deleted event, and revives it when it comes back', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await mirror.upsert('contracts', [
      { record: contract(key), fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    const deleted = await mirror.markDeleted(
      'contracts',
      [key],
      new Date('2026-11-02T00:00:00Z'),
      provenance,
    );
    expect(deleted).toEqual([{ recordId: key, changeType: 'deleted', version: 2 }]);
    expect(
      await mirror.markDeleted('contracts', [key], new Date('2026-11-03T00:00:00Z'), provenance),
    ).toEqual([]);
    expect(await row(key)).toMatchObject({ version: 2, deleted_at: new Date('2026-11-02T00:00:00Z') });
    const revived = await mirror.upsert('contracts', [
      { record: contract(key), fetchedAt: new Date('2026-11-04T00:00:00Z'), provenance },
    ]);
    expect(revived.changes).toEqual([{ recordId: key, changeType: 'updated', version: 3 }]);
    expect((await events(key)).map((event) => event.change_type)).toEqual(['created', 'deleted', 'updated']);
  });

  it('gives each event a stable id derived from record and version, and keeps per-record lanes', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await mirror.upsert('contracts', [
      { record: contract(key), fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    await mirror.upsert('contracts', [
      { record: contract(key, { obligated: 3 }), fetchedAt: new Date('2026-11-02T00:00:00Z'), provenance },
    ]);
    const [first, second] = await events(key);
    expect(first?.event_id).not.toBe(second?.event_id);
    expect(first?.lane).toBe(second?.lane);
  });

  it('writes a sweep larger than one statement slice in one transaction, each record once', async () => {
    const count = UPSERT_SLICE * 2 + 17;
    const keys = Array.from({ length: count }, () => `CONT_AWD_${randomUUID()}`);
    const fetchedAt = new Date();
    const first = await dataSource.transaction((manager) =>
      mirror.upsert(
        'contracts',
        keys.map((key) => ({ record: contract(key), fetchedAt, provenance })),
        manager,
      ),
    );
    expect(first.changes).toHaveLength(count);
    expect(new Set(first.changes.map((change) => change.recordId))).toEqual(new Set(keys));
    expect(first.changes.every((change) => change.changeType === 'created' && change.version === 1)).toBe(
      true,
    );
    // Half change, half do not: the outcome adds up across slices.
    const second = await mirror.upsert(
      'contracts',
      keys.map((key, index) => ({
        record: contract(key, index % 2 === 0 ? { obligated: 1 } : {}),
        fetchedAt: new Date(fetchedAt.getTime() + 1_000),
        provenance,
      })),
    );
    expect(second.changes).toHaveLength(Math.ceil(count / 2));
    expect(second.unchanged).toBe(Math.floor(count / 2));
    const [stored] = await dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM contracts WHERE key = ANY($1)',
      [keys],
    );
    expect(stored?.n).toBe(count);
  });

  it('counts records without an id and never writes them', async () => {
    const outcome = await mirror.upsert('contracts', [
      { record: { piid: 'X' }, fetchedAt: new Date(), provenance },
    ]);
    expect(outcome).toEqual({ changes: [], unchanged: 0, stale: 0, withoutId: 1 });
  });

  it('keeps a record whose typed fields are unusable, with those columns null', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const odd = contract(key, { award_date: 'sometime', obligated: 'lots', fiscal_year: 2026.5 });
    const outcome = await mirror.upsert('contracts', [{ record: odd, fetchedAt: new Date(), provenance }]);
    expect(outcome.changes).toHaveLength(1);
    expect(await row(key)).toMatchObject({
      award_date: null,
      obligated: null,
      fiscal_year: null,
      record: odd,
    });
  });

  it('keeps the mirrored value of a field a reduced shape could not ask for, reporting no change', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    await mirror.upsert('contracts', [
      { record: contract(key), fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    const { parent_award: _dropped, ...withoutParent } = contract(key);
    const outcome = await mirror.upsert('contracts', [
      {
        record: withoutParent,
        fetchedAt: new Date('2026-11-02T00:00:00Z'),
        provenance,
        missingFields: ['parent_award'],
      },
    ]);
    expect(outcome.changes).toEqual([]);
    expect(outcome.unchanged).toBe(1);
    expect((await row(key))?.parent_key).toBe('CONT_IDV_GS03F045DA_4732');
    // A real change still is one, with the carried field kept.
    const changed = await mirror.upsert('contracts', [
      {
        record: { ...withoutParent, obligated: 9 },
        fetchedAt: new Date('2026-11-03T00:00:00Z'),
        provenance,
        missingFields: ['parent_award'],
      },
    ]);
    expect(changed.changes).toEqual([{ recordId: key, changeType: 'updated', version: 2 }]);
    expect((await events(key)).at(-1)?.changed_fields).toEqual(['obligated']);
  });

  it('reads an unshaped answer against the mirrored record: bare codes and thinner objects are no change', async () => {
    const key = `CONT_AWD_${randomUUID()}`;
    const shaped = contract(key, { set_aside: { code: 'SBA', description: 'Small Business Set-Aside' } });
    await mirror.upsert('contracts', [
      { record: shaped, fetchedAt: new Date('2026-11-01T00:00:00Z'), provenance },
    ]);
    const { parent_award: _absent, ...unshaped } = contract(key, {
      set_aside: 'SBA',
      recipient: { display_name: 'KYOCERA' },
    });
    const outcome = await mirror.upsert('contracts', [
      {
        record: unshaped,
        fetchedAt: new Date('2026-11-02T00:00:00Z'),
        provenance,
        missingFields: ['parent_award'],
        unshaped: true,
      },
    ]);
    expect(outcome.changes).toEqual([]);
    expect((await row(key))?.record).toEqual(shaped);
    const recoded = await mirror.upsert('contracts', [
      {
        record: { ...unshaped, set_aside: 'NONE' },
        fetchedAt: new Date('2026-11-03T00:00:00Z'),
        provenance,
        missingFields: ['parent_award'],
        unshaped: true,
      },
    ]);
    expect(recoded.changes).toHaveLength(1);
    expect((await events(key)).at(-1)?.changed_fields).toEqual(['set_aside']);
  });
});
