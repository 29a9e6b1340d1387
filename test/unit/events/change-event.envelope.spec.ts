import { RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import {
  buildChangeEvent,
  changeEventHeaders,
  changeEventMessage,
  ChangeEventRowError,
  envelopeProvenance,
} from '../../../src/events/change-event.envelope';
import { CHANGE_EVENT_SCHEMAS } from '../../../src/events/change-event.schema';
import { HASH_A, HASH_B, rowsOfEveryChange, sampleRow } from './support/event-fixtures';

describe('change-event envelope', () => {
  it('builds a CloudEvents-style envelope from an outbox row', () => {
    const event = buildChangeEvent(sampleRow());
    expect(event).toEqual({
      specversion: '1.0',
      id: '0b4e7c1e-9d2f-4a51-8d3e-5f7a6b8c9d01',
      source: 'tango-sync/contracts',
      type: 'com.makegov.tango.contracts.updated',
      subject: 'CONT_AWD_W15QKN24C1234_9700_-NONE-_-NONE-',
      time: '2026-11-01T12:34:56.789Z',
      datacontenttype: 'application/json',
      resource: 'contracts',
      change: 'updated',
      snapshot: false,
      version: 3,
      previous_hash: HASH_A,
      hash: HASH_B,
      changed_fields: ['obligated', 'description'],
      provenance: {
        delivery_ids: ['d-1'],
        event_types: ['alerts.contract.match'],
        alert_ids: ['a-1'],
        reasons: ['changed'],
        replay_id: null,
      },
      data: { key: 'CONT_AWD_W15QKN24C1234_9700_-NONE-_-NONE-', obligated: 5306.85, description: 'PUMPS' },
      changes: {
        obligated: { truncated: false, before: 4000, after: 5306.85 },
        description: { truncated: false, before: 'VALVES', after: 'PUMPS' },
      },
    });
  });

  it('gives deletes a null record and hash, and marks only replayed events as snapshots', () => {
    const [created, updated, enriched, deleted, snapshot] = rowsOfEveryChange('grants').map((row) =>
      buildChangeEvent(row),
    );
    expect(created).toMatchObject({
      change: 'created',
      type: 'com.makegov.tango.grants.created',
      snapshot: false,
    });
    expect(updated).toMatchObject({ change: 'updated', snapshot: false });
    expect(enriched).toMatchObject({
      change: 'enriched',
      type: 'com.makegov.tango.grants.enriched',
      snapshot: false,
      changed_fields: ['naics'],
    });
    expect(deleted).toMatchObject({
      change: 'deleted',
      data: null,
      hash: null,
      previous_hash: HASH_B,
      changes: null,
      before: { key: 'grants-1', obligated: 5306.85, description: 'PUMPS' },
      before_truncated: false,
    });
    expect(created).toMatchObject({ changes: null });
    expect(snapshot).toMatchObject({ changes: null });
    expect(created).not.toHaveProperty('before');
    expect(snapshot).toMatchObject({
      change: 'snapshot',
      type: 'com.makegov.tango.grants.snapshot',
      snapshot: true,
      provenance: { reasons: ['snapshot'], replay_id: 'r-1' },
    });
  });

  it('keeps the event id of the row, so every re-publish carries the same id', () => {
    const row = sampleRow();
    expect(buildChangeEvent(row).id).toBe(row.eventId);
    expect(buildChangeEvent(row)).toEqual(buildChangeEvent(row));
  });

  it('maps the stored provenance to snake_case and tolerates missing or malformed members', () => {
    expect(envelopeProvenance({})).toEqual({
      delivery_ids: [],
      event_types: [],
      alert_ids: [],
      reasons: [],
      replay_id: null,
    });
    expect(envelopeProvenance(null).reasons).toEqual([]);
    expect(envelopeProvenance({ deliveryIds: ['d', 7, null], replayId: 5 })).toMatchObject({
      delivery_ids: ['d'],
      replay_id: null,
    });
  });

  it.each([
    ['an unknown resource', { resource: 'contract_appeals' }, /unknown resource/],
    ['an unknown change type', { changeType: 'touched' }, /unknown change type/],
    ['a delete that carries a record', { changeType: 'deleted', hash: null }, /data/],
    ['an update without a record', { record: null }, /data/],
    ['an update without a hash', { hash: null }, /hash/],
    ['a hash that is not SHA-256 hex', { hash: 'not-a-hash' }, /hash/],
    ['a version below 1', { version: 0 }, /version/],
    ['an event id that is not a UUID', { eventId: 'evt-1' }, /id/],
    ['an empty record id', { recordId: '' }, /subject/],
  ])('refuses a row with %s instead of emitting an invalid event', (_what, overrides, problem) => {
    const build = (): unknown => buildChangeEvent(sampleRow(overrides));
    expect(build).toThrow(ChangeEventRowError);
    expect(build).toThrow(problem);
  });

  it('builds a valid event of every change type for every family', () => {
    for (const family of RESOURCE_FAMILIES) {
      for (const row of rowsOfEveryChange(family)) {
        const event = buildChangeEvent(row);
        expect(event.resource).toBe(family);
        expect(event.source).toBe(`tango-sync/${family}`);
        expect(CHANGE_EVENT_SCHEMAS[family].safeParse(event).success).toBe(true);
      }
    }
  });

  it('is rejected by another family schema (resource, source and type are per topic)', () => {
    const event = buildChangeEvent(sampleRow());
    expect(CHANGE_EVENT_SCHEMAS.idvs.safeParse(event).success).toBe(false);
  });
});

describe('change-event Kafka message', () => {
  it('is keyed by the record id and carries the CloudEvents and routing headers', () => {
    const event = buildChangeEvent(sampleRow());
    const message = changeEventMessage(event);
    expect(message.key).toBe(event.subject);
    expect(JSON.parse(String(message.value))).toEqual(event);
    expect(message.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: event.id,
      ce_type: 'com.makegov.tango.contracts.updated',
      ce_source: 'tango-sync/contracts',
      ce_subject: event.subject,
      ce_time: '2026-11-01T12:34:56.789Z',
      'content-type': 'application/json',
      'tango-sync-resource': 'contracts',
      'tango-sync-change': 'updated',
      'tango-sync-version': '3',
    });
  });

  it('puts the same values in the headers as in the body for every change type', () => {
    for (const event of rowsOfEveryChange('opportunities').map((row) => buildChangeEvent(row))) {
      const headers = changeEventHeaders(event);
      expect(headers.ce_id).toBe(event.id);
      expect(headers.ce_type).toBe(event.type);
      expect(headers['tango-sync-change']).toBe(event.change);
      expect(Number(headers['tango-sync-version'])).toBe(event.version);
    }
  });
});
