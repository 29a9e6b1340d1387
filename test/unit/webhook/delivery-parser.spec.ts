import fc from 'fast-check';
import { classifyEventType } from '../../../src/common/tango/families';
import { DESCRIBED_FAMILIES } from '../../../src/common/tango/resource-family';
import { type FetchTarget, type ParsedDelivery, parseDelivery } from '../../../src/webhook/delivery-parser';

function parse(body: unknown, headerDeliveryId?: string): ParsedDelivery {
  return parseDelivery(Buffer.from(JSON.stringify(body)), headerDeliveryId);
}

function targetsOf(
  delivery: ParsedDelivery,
): { resource: string; recordId: string; idKind: string; reason: string; kind: string }[] {
  return delivery.events
    .flatMap((event) => event.targets)
    .map((target: FetchTarget) => ({
      resource: target.resource,
      recordId: target.recordId,
      idKind: target.idKind,
      reason: target.reason,
      kind: target.kind,
    }));
}

const opportunityAlert = {
  timestamp: '2026-07-06T14:03:11Z',
  delivery_id: '3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e',
  events: [
    {
      event_type: 'alerts.opportunity.match',
      created_at: '2026-07-06T14:03:10.221Z',
      alert_id: 'e4c4a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
      query_type: 'opportunity',
      filters: { agency: '7500', naics: '541512', active: true },
      matches: {
        new_count: 2,
        modified_count: 0,
        new: [
          { opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555', title: 'IT Support' },
          { opportunity_id: 'b2c3d4e5-6666-7777-8888-99990000aaaa', title: 'Cloud' },
        ],
        modified: [],
        new_ids: ['a1b2c3d4-0000-1111-2222-333344445555', 'b2c3d4e5-6666-7777-8888-99990000aaaa'],
        modified_ids: [],
      },
      checked_at: '2026-07-06T14:03:10.000Z',
    },
  ],
};

describe('parseDelivery: current alerts envelope', () => {
  it('reads the documented opportunity alert (tango-api.md §3.3)', () => {
    const parsed = parse(opportunityAlert);
    expect(parsed).toMatchObject({
      format: 'alerts',
      status: 'processed',
      deliveryId: '3f1c9a7e-2b4d-4a1f-8c6e-9d0a1b2c3d4e',
      tangoTimestamp: '2026-07-06T14:03:11.000Z',
      problems: [],
    });
    expect(parsed.events[0]).toMatchObject({
      alertId: 'e4c4a1b2-3c4d-5e6f-7a8b-9c0d1e2f3a4b',
      queryType: 'opportunity',
      resource: 'opportunities',
      checkedAt: '2026-07-06T14:03:10.000Z',
      status: 'recognized',
    });
    expect(targetsOf(parsed)).toEqual([
      {
        resource: 'opportunities',
        recordId: 'a1b2c3d4-0000-1111-2222-333344445555',
        idKind: 'uuid',
        reason: 'alerts.opportunity.match:new',
        kind: 'record',
      },
      {
        resource: 'opportunities',
        recordId: 'b2c3d4e5-6666-7777-8888-99990000aaaa',
        idKind: 'uuid',
        reason: 'alerts.opportunity.match:new',
        kind: 'record',
      },
    ]);
  });

  it('takes new and modified ids of a contract alert', () => {
    const parsed = parse({
      delivery_id: 'd1',
      events: [
        {
          event_type: 'alerts.contract.match',
          alert_id: 'a1',
          query_type: 'contract',
          matches: {
            new_count: 1,
            modified_count: 1,
            new_ids: ['CONT_AWD_15B0AT26F41000011_1540_36W79720D0001_3600'],
            modified_ids: ['CONT_AWD_15B31026F00000090_1540_GS03F045DA_4732'],
          },
        },
      ],
    });
    expect(targetsOf(parsed).map((t) => [t.recordId, t.reason, t.idKind])).toEqual([
      ['CONT_AWD_15B0AT26F41000011_1540_36W79720D0001_3600', 'alerts.contract.match:new', 'key'],
      ['CONT_AWD_15B31026F00000090_1540_GS03F045DA_4732', 'alerts.contract.match:modified', 'key'],
    ]);
  });

  it.each([
    ['entity', 'entities', { uei: 'zm3pa9vdx2w1', legal_business_name: 'x' }, 'ZM3PA9VDX2W1', 'uei'],
    ['grant', 'grants', { grant_id: 361394, title: 'x' }, '361394', 'integer'],
    ['forecast', 'forecasts', { id: 13930, title: 'x' }, '13930', 'integer'],
    ['idv', 'idvs', { key: 'CONT_IDV_83310126AC060_8300' }, 'CONT_IDV_83310126AC060_8300', 'key'],
    [
      'ota',
      'otas',
      { key: 'OT_AWD_140D042690006_1406_-NONE-_-NONE-' },
      'OT_AWD_140D042690006_1406_-NONE-_-NONE-',
      'key',
    ],
    ['otidv', 'otidvs', { key: 'OT_IDV_HR00112590164_9700' }, 'OT_IDV_HR00112590164_9700', 'key'],
  ])(
    'takes %s ids from match summaries when there are no id lists',
    (queryType, resource, summary, recordId, idKind) => {
      const parsed = parse({
        events: [
          {
            event_type: `alerts.${queryType}.match`,
            alert_id: 'a',
            matches: { new_count: 1, new: [summary] },
          },
        ],
      });
      expect(parsed.status).toBe('processed');
      expect(targetsOf(parsed)).toEqual([
        { resource, recordId, idKind, reason: `alerts.${queryType}.match:new`, kind: 'record' },
      ]);
    },
  );

  it('turns a counts-only match into a sweep of the alert', () => {
    const parsed = parse({
      events: [
        {
          event_type: 'alerts.contract.match',
          alert_id: 'alert-7',
          query_type: 'contract',
          filters: { naics: '541512' },
          matches: { new_count: 3, modified_count: 1 },
          checked_at: '2026-08-14T03:05:00Z',
        },
      ],
    });
    const target = parsed.events[0]?.targets[0];
    expect(target).toEqual({
      kind: 'sweep',
      resource: 'contracts',
      recordId: 'alert:alert-7',
      idKind: 'alert',
      reason: 'alerts.contract.match:sweep',
      sweep: {
        alertId: 'alert-7',
        queryType: 'contract',
        filters: { naics: '541512' },
        checkedAt: '2026-08-14T03:05:00.000Z',
        newCount: 3,
        modifiedCount: 1,
      },
    });
  });

  it('fetches the ids it has and sweeps when the counts say some are missing', () => {
    const parsed = parse({
      events: [{ event_type: 'alerts.grant.match', alert_id: 'g', matches: { new_count: 2, new_ids: [5] } }],
    });
    expect(targetsOf(parsed).map((t) => `${t.kind}:${t.recordId}`)).toEqual(['record:5', 'sweep:alert:g']);
  });

  it('does nothing for a match with zero counts and no ids', () => {
    const parsed = parse({
      events: [{ event_type: 'alerts.entity.match', matches: { new_count: 0, modified_count: 0 } }],
    });
    expect(parsed.status).toBe('processed');
    expect(targetsOf(parsed)).toEqual([]);
  });

  it('accepts a plural query type and one taken from the event type alone', () => {
    const plural = parse({
      events: [
        {
          event_type: 'alerts.opportunities.match',
          query_type: 'opportunities',
          matches: { new_ids: ['A1B2C3D4-0000-1111-2222-333344445555'] },
        },
      ],
    });
    expect(targetsOf(plural)).toEqual([
      expect.objectContaining({
        resource: 'opportunities',
        recordId: 'a1b2c3d4-0000-1111-2222-333344445555',
      }),
    ]);
    const implied = parse({ events: [{ event_type: 'alerts.grant.match', matches: { new_ids: ['7'] } }] });
    expect(implied.events[0]?.queryType).toBe('grant');
  });

  it('stores alert types of families it does not mirror as not mirrored, without losing the rest of the delivery', () => {
    const nineOnly = new Set(DESCRIBED_FAMILIES);
    const parse = (body: unknown): ParsedDelivery =>
      parseDelivery(Buffer.from(JSON.stringify(body)), undefined, undefined, nineOnly);
    const parsed = parse({
      events: [
        { event_type: 'alerts.exclusion.match', matches: { new_count: 1 } },
        { event_type: 'alerts.entity.match', matches: { new_ids: ['ABC123'] } },
      ],
    });
    expect(parsed.status).toBe('processed');
    expect(parsed.events.map((e) => e.status)).toEqual(['not_mirrored', 'recognized']);
    expect(targetsOf(parsed)).toEqual([
      expect.objectContaining({ resource: 'entities', recordId: 'ABC123' }),
    ]);
    for (const type of ['alerts.exclusion.match', 'alerts.dibbs_rfq.match', 'alerts.dibbs_rfp.match']) {
      const only = parse({
        events: [{ event_type: type, query_type: type.split('.')[1], matches: { new_count: 2 } }],
      });
      expect([only.status, only.events[0]?.status]).toEqual(['not_mirrored', 'not_mirrored']);
      expect(only.events[0]?.problems).toEqual([expect.stringContaining('TANGO_RESOURCES does not turn on')]);
    }
    const unknown = parse({
      events: [{ event_type: 'alerts.contract_appeal.match', matches: { new_count: 1 } }],
    });
    expect(unknown.events[0]?.problems).toEqual(['alert query type "contract_appeal" is not mirrored']);
  });

  it('brings in an alert of a resource without a route by id by its poll, until the named ids are seen', () => {
    const parsed = parse({
      events: [
        {
          event_type: 'alerts.exclusion.match',
          alert_id: 'a-9',
          checked_at: '2026-12-01T10:00:00Z',
          matches: { new: [{ exclusion_key: 'EX-1' }, { exclusion_key: 'EX-2' }], modified_ids: ['EX-3'] },
        },
      ],
    });
    expect(parsed.status).toBe('processed');
    expect(parsed.events[0]?.resource).toBe('exclusions');
    expect(parsed.events.flatMap((event) => event.targets)).toEqual([
      expect.objectContaining({
        kind: 'sweep',
        resource: 'exclusions',
        recordId: 'alert:a-9',
        sweep: expect.objectContaining({
          ids: ['EX-1', 'EX-2', 'EX-3'],
          checkedAt: '2026-12-01T10:00:00.000Z',
        }),
      }),
    ]);
  });

  it('keeps event types it does not know as unrecognized, for reprocessing once it does', () => {
    const parsed = parse({ events: [{ event_type: 'contracts.awarded', key: 'CONT_AWD_X' }] });
    expect([parsed.status, parsed.events[0]?.status]).toEqual(['unrecognized', 'unrecognized']);
  });

  it('classifies the event types Tango lists: mirrored, covered elsewhere, or unknown', () => {
    expect(classifyEventType('alerts.contract.match')).toBe('mirrored');
    expect(classifyEventType('alerts.otidv.match')).toBe('mirrored');
    expect(classifyEventType('alerts.exclusion.match')).toBe('mirrored');
    expect(classifyEventType('alerts.dibbs_rfq.match')).toBe('mirrored');
    expect(classifyEventType('alerts.contract_appeal.match')).toBe('not_mirrored');
    expect(classifyEventType('opportunities.new_notice')).toBe('mirrored');
    expect(classifyEventType('protests.filed')).toBe('unknown');
  });

  it('counts a legacy opportunities.new_notice as a delivery for notices too', () => {
    const parsed = parse({
      events: [
        { event_type: 'opportunities.new_notice', opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555' },
      ],
    });
    expect(parsed.events[0]?.deliveredFor).toEqual(['opportunities', 'notices']);
  });

  it('reports ids that do not fit their family instead of guessing, and keeps the good ones', () => {
    const parsed = parse({
      events: [
        {
          event_type: 'alerts.opportunity.match',
          matches: { new_ids: ['not-a-uuid', 'a1b2c3d4-0000-1111-2222-333344445555', { x: 1 }] },
        },
      ],
    });
    expect(targetsOf(parsed)).toHaveLength(1);
    expect(parsed.events[0]?.problems).toEqual([
      'opportunities: id "not-a-uuid" is not a UUID',
      'opportunities: id {"x":1} is not a string or number',
    ]);
  });

  it('accepts a single event at the top level, with the delivery id from the header', () => {
    const parsed = parse(
      { event_type: 'alerts.contract.match', alert_id: 'x', matches: { new_ids: ['CONT_AWD_1_2_3_4'] } },
      'hdr-123',
    );
    expect(parsed.format).toBe('single_event');
    expect(parsed.deliveryId).toBe('hdr-123');
    expect(targetsOf(parsed)).toHaveLength(1);
  });

  it('accepts the {event_type, data} variant', () => {
    const parsed = parse({
      event_type: 'alerts.contract.match',
      data: { alert_id: 'x', matches: { new_ids: ['CONT_AWD_1_2_3_4'] } },
    });
    expect(parsed.events[0]?.alertId).toBe('x');
    expect(targetsOf(parsed)).toHaveLength(1);
  });

  it('prefers the body delivery id over the header', () => {
    expect(parse({ delivery_id: 'body-id', events: [] }, 'header-id').deliveryId).toBe('body-id');
  });
});

describe('parseDelivery: legacy subject-based envelope', () => {
  it('reads the partner guide payload (§6): OTA transaction and award coalesce on one key, transaction ids kept', () => {
    const event = {
      event_type: 'awards.new_transaction',
      created_at: '2024-01-15T10:29:12.123Z',
      change: 'new_transaction',
      award_key: 'OT_AWD_FA24012490094_9700_-NONE-_-NONE-',
      award_type: 'ota',
      recipient_id: 'UEI123ABC',
      transaction_ids: ['OT_9700_-NONE-_FA24012490094_0_-NONE-_-NONE-'],
    };
    const parsed = parse({
      timestamp: '2024-01-15T10:30:00Z',
      events: [
        event,
        {
          event_type: 'awards.new_award',
          award_key: 'OT_AWD_FA24012490094_9700_-NONE-_-NONE-',
          award_type: 'ota',
        },
      ],
    });
    expect(parsed).toMatchObject({ format: 'legacy', status: 'processed', deliveryId: null });
    expect(targetsOf(parsed).map((t) => [t.resource, t.recordId, t.reason])).toEqual([
      ['otas', 'OT_AWD_FA24012490094_9700_-NONE-_-NONE-', 'awards.new_transaction'],
      ['otas', 'OT_AWD_FA24012490094_9700_-NONE-_-NONE-', 'awards.new_award'],
    ]);
    expect(parsed.events[0]?.payload).toEqual(event);
  });

  it('chooses the award family by award_type first (bare PIIDs), then by key prefix', () => {
    const bare = parse({
      events: [
        {
          event_type: 'awards.new_award',
          award_type: 'contract',
          award_key: 'W15QKN24C1234',
          recipient_id: 'UEI123ABC',
        },
      ],
    });
    expect(targetsOf(bare)).toEqual([
      {
        resource: 'contracts',
        recordId: 'W15QKN24C1234',
        idKind: 'piid',
        reason: 'awards.new_award',
        kind: 'record',
      },
    ]);
    const byPrefix = parse({
      events: [{ event_type: 'awards.new_award', award_key: 'CONT_IDV_GS03F045DA_4732' }],
    });
    expect(targetsOf(byPrefix)).toEqual([expect.objectContaining({ resource: 'idvs', idKind: 'key' })]);
  });

  it('refuses to guess when the award family cannot be told or contradicts the key', () => {
    const unknown = parse({ events: [{ event_type: 'awards.new_award', award_key: 'W15QKN24C1234' }] });
    expect(unknown.status).toBe('malformed');
    expect(unknown.events[0]?.problems).toContain(
      'cannot tell the award family: no known `award_type` and no key prefix',
    );
    const contradiction = parse({
      events: [{ event_type: 'awards.new_award', award_type: 'idv', award_key: 'CONT_AWD_1_2_3_4' }],
    });
    expect(targetsOf(contradiction)).toEqual([]);
    expect(contradiction.status).toBe('malformed');
    expect(contradiction.events[0]?.problems).toEqual([
      'idvs: id "CONT_AWD_1_2_3_4" has the key prefix of contracts',
      'event names no record to fetch',
    ]);
  });

  it('reads entities, grants, opportunities and notices', () => {
    const parsed = parse({
      events: [
        { event_type: 'entities.updated', uei: 'ABC123' },
        { event_type: 'entities.new_entity', change: 'new_entity', uei: 'UEI123ABC' },
        { event_type: 'grants.new_grant', grant_id: '361394' },
        {
          event_type: 'opportunities.new_opportunity',
          opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555',
        },
        {
          event_type: 'opportunities.new_notice',
          opportunity_id: 'a1b2c3d4-0000-1111-2222-333344445555',
          notice_id: 'd5e7d516-698c-4b08-9d2d-f245e36627d6',
        },
        {
          event_type: 'opportunities.updated',
          subject_type: 'opportunity',
          subject_id: 'b2c3d4e5-6666-7777-8888-99990000aaaa',
        },
      ],
    });
    expect(parsed.status).toBe('processed');
    expect(targetsOf(parsed).map((t) => `${t.resource}:${t.recordId}`)).toEqual([
      'entities:ABC123',
      'entities:UEI123ABC',
      'grants:361394',
      'opportunities:a1b2c3d4-0000-1111-2222-333344445555',
      'opportunities:a1b2c3d4-0000-1111-2222-333344445555',
      'notices:d5e7d516-698c-4b08-9d2d-f245e36627d6',
      'opportunities:b2c3d4e5-6666-7777-8888-99990000aaaa',
    ]);
  });

  it('reads forecasts by integer id or by <source_system>:<external_id> subject', () => {
    const parsed = parse({
      events: [
        { event_type: 'forecasts.updated', subject_type: 'forecast', subject_id: 'HHS:abc-123' },
        { event_type: 'forecasts.new_forecast', id: 19690 },
        { event_type: 'forecasts.updated', source_system: 'DHS', external_id: 73271 },
      ],
    });
    expect(targetsOf(parsed).map((t) => [t.recordId, t.idKind])).toEqual([
      ['HHS:abc-123', 'forecast_subject'],
      ['19690', 'integer'],
      ['DHS:73271', 'forecast_subject'],
    ]);
  });

  it('stores unknown event types as unrecognized', () => {
    const parsed = parse({ events: [{ event_type: 'vehicles.updated', id: 1 }] });
    expect(parsed.status).toBe('unrecognized');
    expect(parsed.events[0]?.problems).toEqual(['event type "vehicles.updated" is not known']);
  });
});

describe('parseDelivery: bad input', () => {
  it.each([
    ['not JSON', Buffer.from('{"events": [')],
    ['a JSON array', Buffer.from('[1,2]')],
    ['a JSON string', Buffer.from('"hello"')],
    ['events not an array', Buffer.from('{"events": {"a": 1}}')],
    ['no events and no event type', Buffer.from('{"hello": "world"}')],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0x7b])],
  ])('marks %s as malformed', (_label, body) => {
    const parsed = parseDelivery(body);
    expect(parsed.status).toBe('malformed');
    expect(parsed.events).toEqual([]);
    expect(parsed.problems.length).toBeGreaterThan(0);
  });

  it('marks an event without event_type as malformed but keeps the others', () => {
    const parsed = parse({ events: [{ uei: 'X' }, 'text', { event_type: 'entities.updated', uei: 'ABC' }] });
    expect(parsed.status).toBe('malformed');
    expect(parsed.events.map((e) => e.status)).toEqual(['malformed', 'malformed', 'recognized']);
    expect(targetsOf(parsed)).toHaveLength(1);
  });

  it('reports a timestamp it cannot read without dropping the delivery', () => {
    const parsed = parse({
      timestamp: 'yesterday',
      events: [{ event_type: 'entities.updated', uei: 'ABC' }],
    });
    expect(parsed.tangoTimestamp).toBeNull();
    expect(parsed.problems).toEqual(['`timestamp` is not an ISO timestamp']);
    expect(parsed.status).toBe('processed');
  });

  it('never throws, whatever JSON arrives (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.string(), { nil: undefined }), (value, header) => {
        const parsed = parseDelivery(Buffer.from(JSON.stringify(value)), header);
        expect(['processed', 'unrecognized', 'malformed']).toContain(parsed.status);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on envelopes with arbitrary events (property)', () => {
    const eventArbitrary = fc.record(
      {
        event_type: fc.oneof(
          fc.constantFrom(
            'alerts.contract.match',
            'alerts.opportunity.match',
            'awards.new_award',
            'forecasts.updated',
            'entities.updated',
          ),
          fc.string(),
        ),
        matches: fc.jsonValue(),
        award_key: fc.jsonValue(),
        award_type: fc.jsonValue(),
        uei: fc.jsonValue(),
        id: fc.jsonValue(),
        checked_at: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(eventArbitrary, { maxLength: 10 }), fc.jsonValue(), (events, deliveryId) => {
        const parsed = parseDelivery(Buffer.from(JSON.stringify({ delivery_id: deliveryId, events })));
        expect(parsed.events).toHaveLength(events.length);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        expect(() => parseDelivery(Buffer.from(bytes))).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseDelivery: fan-out limits', () => {
  const body = (events: unknown[]): Buffer =>
    Buffer.from(JSON.stringify({ delivery_id: 'd-limits', events }));
  const alert = (ids: string[]): unknown => ({
    event_type: 'alerts.contract.match',
    alert_id: 'a-1',
    query_type: 'contract',
    matches: { new_count: ids.length, modified_count: 0, new_ids: ids, modified_ids: [] },
  });
  const keys = (count: number, prefix: string): string[] =>
    Array.from({ length: count }, (_, n) => `CONT_AWD_${prefix}${n}_9700_-NONE-_-NONE-`);

  it('keeps at most the per-event limit of targets and counts the rest on the event', () => {
    const parsed = parseDelivery(body([alert(keys(20_000, 'A'))]), undefined, {
      perEvent: 1_000,
      perDelivery: 5_000,
    });
    expect(parsed.events[0]?.targets).toHaveLength(1_000);
    expect(parsed.events[0]?.idsDropped).toBe(19_000);
    expect(parsed.events[0]?.problems.join()).toMatch(
      /19000 of 20000 targets over the limit of 1000 per event/,
    );
    expect(parsed.status).toBe('processed');
  });

  it('shares the per-delivery limit across events, in order', () => {
    const parsed = parseDelivery(
      body([alert(keys(3, 'A')), alert(keys(3, 'B')), alert(keys(3, 'C'))]),
      undefined,
      {
        perEvent: 10,
        perDelivery: 5,
      },
    );
    expect(parsed.events.map((event) => [event.targets.length, event.idsDropped])).toEqual([
      [3, 0],
      [2, 1],
      [0, 3],
    ]);
    expect(parsed.events[2]?.problems.join()).toMatch(/limit of 5 per delivery/);
  });

  it('changes nothing without limits', () => {
    const parsed = parseDelivery(body([alert(keys(2_000, 'A'))]));
    expect(parsed.events[0]?.targets).toHaveLength(2_000);
    expect(parsed.events[0]?.idsDropped).toBe(0);
  });
});
