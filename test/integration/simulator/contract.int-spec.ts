import { createHmac } from 'node:crypto';
import { tangoContract } from '../../../src/tango-contract/tango-contract';
import { contentHash } from '../../../simulator/canonical-hash';
import { FULL_SHAPES } from '../../../simulator/dataset/full-shapes';
import { type RunningSimulator, startSimulator } from '../../../simulator/index';
import { FAMILIES, type Family } from '../../../simulator/options';
import { simulatorForSuite, simulatorSizes } from '../../support/simulator-suite';
import { type ListBody, Receiver, type Row, getJson, sendJson, text } from './sim-test-helpers';

interface StateBody {
  counters: {
    ignoredListParams: Record<string, Record<string, number>>;
    unfilteredListRequests: Record<string, number>;
  };
  families: Record<string, { count: number; records: Record<string, string> }>;
}

describe('simulator: Tango’s contract', () => {
  let sim: RunningSimulator;
  simulatorForSuite(
    startSimulator,
    {
      sizes: simulatorSizes(
        { contracts: 120, idvs: 40, otas: 20, otidvs: 12, notices: 60, entities: 40 },
        30,
      ),
    },
    (started) => {
      sim = started;
    },
  );

  beforeEach(() => {
    sim.control.resetCounters();
    sim.control.restoreContract();
  });

  describe('shapes', () => {
    it.each(FAMILIES)(
      'should answer the %s full shape with exactly the detail record, and hash it as the ground truth does',
      async (family: Family) => {
        const ids = sim.control.ids(family).slice(0, 3);
        const state = await getJson<StateBody>(sim.baseUrl, `/_sim/state?family=${family}`, {});
        for (const id of ids) {
          const detail = await getJson(sim.baseUrl, `/api/${family}/${encodeURIComponent(id)}/`);
          const shaped = await getJson(
            sim.baseUrl,
            `/api/${family}/${encodeURIComponent(id)}/?shape=${encodeURIComponent(FULL_SHAPES[family])}`,
          );
          expect(shaped.status).toBe(200);
          expect(shaped.body).toEqual(detail.body);
          expect(contentHash(shaped.body)).toBe(state.body.families[family]!.records[id]);
        }
      },
    );

    it('should validate shapes against the contract: every field Tango has passes, and records hold it', async () => {
      const accepted = await getJson<ListBody>(
        sim.baseUrl,
        '/api/contracts/?limit=2&shape=key,tradeoff_process(*)',
      );
      expect(accepted.status).toBe(200);
      expect(Object.keys(accepted.body.results[0]!)).toEqual(['key', 'tradeoff_process']);
      const refused = await getJson(
        sim.baseUrl,
        '/api/idvs/?shape=key,base_and_exercised_options_value,award_type',
      );
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({
        error: 'Invalid shape',
        issues: [
          { path: 'base_and_exercised_options_value', reason: 'unknown_field' },
          { path: 'award_type', reason: 'unknown_field' },
        ],
        available_fields: tangoContract().resource('idvs').availableFields(),
      });
      const child = await getJson(
        sim.baseUrl,
        '/api/otidvs/?shape=period_of_performance(last_date_to_order)',
      );
      expect(child.body.issues).toEqual([
        { path: 'period_of_performance.last_date_to_order', reason: 'unknown_field' },
      ]);
      const syntax = await getJson(sim.baseUrl, '/api/grants/?shape=grant_id,status(');
      expect(syntax.status).toBe(400);
      expect(syntax.body.issues).toEqual([{ path: 'grant_id,status(', reason: 'syntax_error' }]);
    });

    it('should answer the bare code for a code object asked as a plain field', async () => {
      const key = sim.control.ids('idvs')[0]!;
      const record = sim.control.getRecord('idvs', key)!;
      const plain = await getJson(
        sim.baseUrl,
        `/api/idvs/${key}/?shape=key,idv_type,multiple_or_single_award_idv`,
      );
      expect(plain.body).toEqual({
        key,
        idv_type: (record.idv_type as Row).code,
        multiple_or_single_award_idv: (record.multiple_or_single_award_idv as Row).code,
      });
      const expanded = await getJson(sim.baseUrl, `/api/idvs/${key}/?shape=idv_type(*)`);
      expect(expanded.body).toEqual({ idv_type: record.idv_type });
    });

    it('should take the Pro tier from the contract when lower tiers are simulated', async () => {
      sim.control.setRefuseProShapes(true);
      try {
        for (const family of FAMILIES) {
          const refused = (
            await getJson(sim.baseUrl, `/api/${family}/?shape=${sim.control.dataset.spec(family).idField}`)
          ).status;
          expect({ family, refused }).toEqual({
            family,
            refused: tangoContract().resource(family).shapeTierRequired === null ? 200 : 403,
          });
        }
        const body = (await getJson(sim.baseUrl, '/api/notices/?shape=notice_id')).body;
        expect(body.detail).toBe('Custom response shaping on notices requires the Pro tier.');
      } finally {
        sim.control.setRefuseProShapes(false);
      }
    });
  });

  describe('list parameters', () => {
    it('should ignore and count parameters the contract lacks, and count unfiltered requests', async () => {
      const all = await getJson<ListBody>(sim.baseUrl, '/api/forecasts/?external_id=50003&limit=5');
      expect(all.status).toBe(200);
      expect(all.body.count).toBe(30);
      await getJson(sim.baseUrl, '/api/forecasts/?external_id=50004&modifed_after=2026-01-01');
      await getJson(sim.baseUrl, '/api/contracts/?limit=3&shape=key');
      await getJson(sim.baseUrl, '/api/contracts/?cursor=&limit=3&count_type=exact');
      await getJson(sim.baseUrl, '/api/contracts/?naics=541512');
      await getJson(sim.baseUrl, '/api/entities/?ordering=uei&page=1');
      const notices = await getJson(sim.baseUrl, '/api/notices/?ordering=posted_date');
      expect(notices.status).toBe(400);
      const counters = sim.control.counters();
      expect(counters.ignoredListParams).toEqual({
        forecasts: { external_id: 2, modifed_after: 1 },
        contracts: { count_type: 1 },
        entities: { ordering: 1 },
      });
      expect(counters.unfilteredListRequests).toEqual({
        forecasts: 2,
        contracts: 2,
        entities: 1,
        notices: 1,
      });
      const state = await getJson<StateBody>(sim.baseUrl, '/_sim/state?family=grants', {});
      expect(state.body.counters.ignoredListParams).toEqual(counters.ignoredListParams);
      expect(state.body.counters.unfilteredListRequests).toEqual(counters.unfilteredListRequests);
    });

    it('should apply the contract filters it implements', async () => {
      const contract = sim.control.getRecord('contracts', sim.control.ids('contracts')[4]!)!;
      const byPiid = await getJson<ListBody>(sim.baseUrl, `/api/contracts/?piid=${text(contract.piid)}`);
      expect(byPiid.body.results.map((row) => row.key)).toEqual([contract.key]);
      const naics = text(contract.naics_code);
      const byNaics = await getJson<ListBody>(sim.baseUrl, `/api/contracts/?naics=${naics}&limit=100`);
      expect(byNaics.body.results.length).toBeGreaterThan(0);
      expect(byNaics.body.results.every((row) => text(row.naics_code) === naics)).toBe(true);
      const agency = text((contract.awarding_office as Row).agency_code);
      const byAgency = await getJson<ListBody>(
        sim.baseUrl,
        `/api/contracts/?awarding_agency=${agency}&limit=100`,
      );
      expect(
        byAgency.body.results.every((row) => text((row.awarding_office as Row).agency_code) === agency),
      ).toBe(true);

      const idv = sim.control.getRecord('idvs', sim.control.ids('idvs')[3]!)!;
      const lastDay = text((idv.period_of_performance as Row).last_date_to_order);
      const byLastDay = await getJson<ListBody>(
        sim.baseUrl,
        `/api/idvs/?last_date_to_order_gte=${lastDay}&last_date_to_order_lte=${lastDay}&shape=key`,
      );
      expect(byLastDay.body.results.map((row) => row.key)).toContain(idv.key);

      const entity = sim.control.getRecord('entities', sim.control.ids('entities')[2]!)!;
      const state = text((entity.physical_address as Row).state_or_province_code);
      const byState = await getJson<ListBody>(sim.baseUrl, `/api/entities/?state=${state}&limit=100`);
      expect(
        byState.body.results.every((row) => (row.physical_address as Row).state_or_province_code === state),
      ).toBe(true);
      const byName = await getJson<ListBody>(
        sim.baseUrl,
        `/api/entities/?name=${encodeURIComponent(text(entity.legal_business_name).toLowerCase())}&limit=100`,
      );
      expect(byName.body.results.map((row) => row.uei)).toContain(entity.uei);

      const byStatus = await getJson<ListBody>(
        sim.baseUrl,
        '/api/grants/?status=F&limit=100&shape=grant_id,status(*)',
      );
      expect(byStatus.body.results.every((row) => (row.status as Row).code === 'F')).toBe(true);
      const source = text(
        sim.control.getRecord('forecasts', sim.control.ids('forecasts')[0]!)!.source_system,
      );
      const bySource = await getJson<ListBody>(
        sim.baseUrl,
        `/api/forecasts/?source_system=${source}&limit=100`,
      );
      expect(bySource.body.results.every((row) => row.source_system === source)).toBe(true);
      expect(sim.control.counters().ignoredListParams).toEqual({});
    });
  });

  describe('run-time removal of a field', () => {
    it('should drop the field from shapes, records, available_fields and the ground truth (HTTP control)', async () => {
      const key = sim.control.ids('idvs')[1]!;
      const removed = await sendJson(
        sim.baseUrl,
        'DELETE',
        '/_sim/contract/idvs/fields/idv_type',
        undefined,
        false,
      );
      expect(removed.status).toBe(200);
      expect(removed.body).toEqual({ removed: { idvs: ['idv_type'] } });
      expect((await getJson(sim.baseUrl, '/_sim/contract', {})).body).toEqual({
        api_version: '4.25.1',
        removed: { idvs: ['idv_type'] },
      });
      const shaped = await getJson(
        sim.baseUrl,
        `/api/idvs/${key}/?shape=${encodeURIComponent(FULL_SHAPES.idvs)}`,
      );
      expect(shaped.status).toBe(400);
      expect(shaped.body.issues).toEqual([{ path: 'idv_type', reason: 'unknown_field' }]);
      expect(shaped.body.available_fields).not.toHaveProperty('idv_type');
      const detail = await getJson(sim.baseUrl, `/api/idvs/${key}/`);
      expect(detail.body).not.toHaveProperty('idv_type');
      const listed = await getJson<ListBody>(sim.baseUrl, `/api/idvs/?key=${key}`);
      expect(listed.body.results[0]).not.toHaveProperty('idv_type');
      const state = await getJson<StateBody>(sim.baseUrl, '/_sim/state?family=idvs', {});
      expect(state.body.families.idvs!.records[key]).toBe(contentHash(detail.body));

      const restored = await sendJson(
        sim.baseUrl,
        'PUT',
        '/_sim/contract/idvs/fields/idv_type',
        undefined,
        false,
      );
      expect(restored.body).toEqual({ restored: true, removed: {} });
      expect((await getJson(sim.baseUrl, `/api/idvs/${key}/`)).body).toHaveProperty('idv_type');
      expect(
        (await sendJson(sim.baseUrl, 'DELETE', '/_sim/contract/idvs/fields/not_a_field', undefined, false))
          .status,
      ).toBe(404);
    });

    it('should offer the same on the in-process control object', () => {
      const id = sim.control.ids('grants')[0]!;
      expect(sim.control.removeContractField('grants', 'synopsis')).toEqual({ grants: ['synopsis'] });
      expect(sim.control.getRecord('grants', id)).not.toHaveProperty('synopsis');
      expect(sim.control.groundTruth('grants').get(id)).toBe(
        contentHash(sim.control.getRecord('grants', id)),
      );
      expect(sim.control.restoreContractField('grants', 'synopsis')).toBe(true);
      expect(sim.control.contractRemovals()).toEqual({});
    });
  });
});

describe('simulator: webhook event types and arbitrary events', () => {
  let sim: RunningSimulator;
  let receiver: Receiver;

  beforeEach(async () => {
    receiver = await new Receiver().start();
    sim = await startSimulator({
      sizes: { contracts: 20, entities: 10, opportunities: 5, notices: 5, grants: 5, forecasts: 5 },
      timeScale: 1000,
      webhooks: { schedule: false, retryBaseDelaySeconds: 1 },
    });
  });

  afterEach(async () => {
    await sim.close();
    await receiver.close();
  });

  it('should list Tango’s event types today, and ones added at run time', async () => {
    const types = await getJson<{ event_types: Row[] }>(sim.baseUrl, '/api/webhooks/event-types/');
    // The catalog Tango's SDKs print: no idv, ota or otidv alert types (those are the recipe catalog's).
    expect(types.body.event_types.map((type) => type.event_type)).toEqual([
      'alerts.opportunity.match',
      'alerts.contract.match',
      'alerts.entity.match',
      'alerts.grant.match',
      'alerts.forecast.match',
      'alerts.exclusion.match',
      'alerts.dibbs_rfq.match',
      'alerts.dibbs_rfp.match',
      'alerts.sled_opportunity.match',
    ]);
    expect(types.body.event_types[0]).toEqual({
      event_type: 'alerts.opportunity.match',
      description: expect.any(String),
      schema_version: 1,
    });
    const added = await sendJson(
      sim.baseUrl,
      'POST',
      '/_sim/event-types',
      { event_type: 'alerts.protest.match', description: 'New protest' },
      false,
    );
    expect(added.status).toBe(201);
    const after = await getJson<{ event_types: Row[] }>(sim.baseUrl, '/api/webhooks/event-types/');
    expect(after.body.event_types.at(-1)).toEqual({
      event_type: 'alerts.protest.match',
      description: 'New protest',
      schema_version: 1,
    });
    const endpoint = (
      await sendJson(sim.baseUrl, 'POST', '/api/webhooks/endpoints/', {
        name: 'w',
        callback_url: receiver.url,
      })
    ).body;
    const protest = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
      name: 'protests',
      query_type: 'protest',
      filters: { agency: 'GSA' },
      endpoint: endpoint.id,
    });
    expect(protest.status).toBe(201);
    const unknown = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
      name: 'nope',
      query_type: 'vehicles',
      filters: { a: 1 },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.query_type).toEqual([expect.stringContaining('"vehicles" is not a valid choice')]);
  });

  it('should refuse an idv, ota or otidv alert under the SDK catalog, and list and deliver them under the recipe one', async () => {
    for (const queryType of ['idv', 'ota', 'otidv', 'notice']) {
      const refused = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
        name: queryType,
        query_type: queryType,
        filters: { a: 1 },
      });
      expect(refused.status).toBe(400);
      expect(refused.body.query_type).toEqual([
        expect.stringContaining(`"${queryType}" is not a valid choice`),
      ]);
    }
    expect(
      sim.control.registerWebhook({ url: receiver.url, secret: 'x' }).alerts.map((a) => a.query_type),
    ).toEqual(['contract', 'opportunity', 'entity', 'grant', 'forecast']);
    const recipe = await startSimulator({ port: 0, eventCatalog: 'recipe', webhooks: { schedule: false } });
    try {
      const types = await getJson<{ event_types: Row[] }>(recipe.baseUrl, '/api/webhooks/event-types/');
      expect(types.body.event_types.map((type) => type.event_type)).toEqual(
        expect.arrayContaining(['alerts.idv.match', 'alerts.ota.match', 'alerts.otidv.match']),
      );
      const registered = recipe.control.registerWebhook({
        url: receiver.url,
        secret: 'x',
        queryTypes: ['idv'],
      });
      expect(registered.alerts.map((alert) => alert.query_type)).toEqual(['idv']);
    } finally {
      await recipe.close();
    }
  });

  it('should send a signed delivery of an exclusion alert and of an arbitrary event type', async () => {
    sim.control.registerWebhook({ url: receiver.url, secret: 'x', queryTypes: ['contract'] });
    const sent = await sendJson(
      sim.baseUrl,
      'POST',
      '/_sim/webhooks/send',
      { event_type: 'alerts.exclusion.match' },
      false,
    );
    expect(sent.status).toBe(200);
    await sim.control.sendEvent({ eventType: 'entities.deactivated', fields: { uei: 'ABC' } });
    await sim.control.sendEvent({ queryType: 'contract', countsOnly: true });
    expect(receiver.deliveries).toHaveLength(3);
    for (const delivery of receiver.deliveries) {
      expect(delivery.signature).toBe(
        `sha256=${createHmac('sha256', 'x').update(delivery.raw).digest('hex')}`,
      );
    }
    const [exclusion, arbitrary, countsOnly] = receiver.deliveries.map(
      (delivery) => delivery.body.events[0]!,
    );
    expect(exclusion).toMatchObject({
      event_type: 'alerts.exclusion.match',
      query_type: 'exclusion',
      matches: { new_count: 1, modified_count: 0, new_ids: [expect.any(String)] },
    });
    expect(arbitrary).toMatchObject({ event_type: 'entities.deactivated', uei: 'ABC' });
    expect(countsOnly).toMatchObject({
      event_type: 'alerts.contract.match',
      matches: { new_count: 1, modified_count: 0 },
    });
    expect(Object.keys(countsOnly!.matches as Row)).toEqual(['new_count', 'modified_count']);
  });

  it('should keep alert definitions with filter keys Tango lacks, and match as the list with those filters does', async () => {
    const { endpoint } = sim.control.registerWebhook({ url: receiver.url, secret: 's', queryTypes: [] });
    const contract = sim.control.getRecord('contracts', sim.control.ids('contracts')[3]!)!;
    const naics = text(contract.naics_code);
    const alert = await sendJson(sim.baseUrl, 'POST', '/api/webhooks/alerts/', {
      name: 'naics',
      query_type: 'contract',
      filters: { naics, not_a_tango_filter: 'x' },
      endpoint: endpoint.id,
    });
    expect(alert.status).toBe(201);
    const fetched = await getJson(sim.baseUrl, `/api/webhooks/alerts/${text(alert.body.alert_id)}/`);
    expect(fetched.body).toMatchObject({
      query_type: 'contract',
      filters: { naics, not_a_tango_filter: 'x' },
    });
    const countsOnly = sim.control.createAlert({
      name: 'counts',
      query_type: 'contract',
      filters: { naics },
      endpoint: endpoint.id,
      counts_only: true,
    });
    const ids = sim.control.ids('contracts');
    const matching = ids.filter((id) => text(sim.control.getRecord('contracts', id)!.naics_code) === naics);
    ids.slice(0, 10).forEach((id) => sim.control.modifyRecord('contracts', id));
    await sim.control.flush();
    const events = receiver.deliveries[0]!.body.events;
    const full = events.find((event) => event.alert_id === alert.body.alert_id)!;
    const expected = ids.slice(0, 10).filter((id) => matching.includes(id));
    expect(full.matches).toMatchObject({ modified_count: expected.length });
    expect(new Set((full.matches as { modified_ids: string[] }).modified_ids)).toEqual(new Set(expected));
    const counted = events.find((event) => event.alert_id === countsOnly.alert_id)!;
    expect(counted.matches).toEqual({ new_count: 0, modified_count: expected.length });
    const listed = await getJson<ListBody>(sim.baseUrl, `/api/contracts/?naics=${naics}&limit=100`);
    expect(listed.body.count).toBe(matching.length);
  });
});
