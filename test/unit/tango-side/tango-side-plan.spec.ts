import { freshnessWithoutAlerts, uncataloguedAlerts } from '../../../src/tango-side/catalog-check';
import { type AlertSpec } from '../../../src/tango-side/tango-side-spec';
import { type WebhookAlert, type WebhookEndpoint } from '../../../src/tango/tango-webhooks-api';
import {
  canonicalFilters,
  formatPlan,
  planIsEmpty,
  planTangoSide,
} from '../../../src/tango-side/tango-side-plan';
import {
  loadTangoSideSpec,
  TangoSideSpecError,
  type TangoSideSpec,
} from '../../../src/tango-side/tango-side-spec';

function spec(yaml: string): TangoSideSpec {
  return loadTangoSideSpec('tango-sync.yaml', () => yaml);
}

function problems(yaml: string): string[] {
  try {
    spec(yaml);
  } catch (error) {
    if (error instanceof TangoSideSpecError) {
      return [...error.problems];
    }
    throw error;
  }
  return [];
}

const BASE = `
owner: prod
endpoint:
  callback_url: https://sync.example.com/tango/webhooks
alerts:
  - name: contracts
    query_type: contract
    filters: { awarding_agency: '9700' }
  - name: grants
    query_type: grant
    filters: { posted_date_after: '2020-01-01' }
    frequency: daily
`;

function endpoint(name: string, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: `ep-${name}`,
    name,
    callback_url: 'https://sync.example.com/tango/webhooks',
    is_active: true,
    ...overrides,
  };
}

function alert(name: string, overrides: Partial<WebhookAlert> = {}): WebhookAlert {
  return {
    alert_id: `al-${name}`,
    name,
    query_type: 'contract',
    filters: { awarding_agency: '9700' },
    frequency: 'realtime',
    cron_expression: null,
    status: 'active',
    ...overrides,
  };
}

/** Tango holding exactly what BASE declares. */
function converged(): { endpoints: WebhookEndpoint[]; alerts: WebhookAlert[] } {
  return {
    endpoints: [endpoint('tango-sync/prod: webhooks')],
    alerts: [
      alert('tango-sync/prod: contracts'),
      alert('tango-sync/prod: grants', {
        query_type: 'grant',
        filters: { posted_date_after: '2020-01-01' },
        frequency: 'daily',
      }),
    ],
  };
}

describe('the Tango-side file', () => {
  it('reads the example the README points at', () => {
    const example = loadTangoSideSpec(`${__dirname}/../../../examples/tango-sync.yaml`);
    expect(example.alerts.length).toBeGreaterThanOrEqual(8);
    expect(example.endpoint.name).toBe('webhooks');
  });

  it('fills the documented defaults', () => {
    expect(spec(BASE)).toMatchObject({
      endpoint: { name: 'webhooks', active: true },
      alerts: [{ frequency: 'realtime', cron_expression: null, active: true }, { frequency: 'daily' }],
    });
  });

  it("checks filters against Tango's contract and suggests the filter meant", () => {
    const found = problems(BASE.replace('awarding_agency', 'awarding_agncy'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /alerts\.0 \(contracts\): "awarding_agncy" is not a filter of contracts .*did you mean "awarding_agency"/,
    );
  });

  it('wants query types singular and of a mirrored family', () => {
    expect(problems(BASE.replace('query_type: contract', 'query_type: contracts'))).toEqual([
      'alerts.0 (contracts): query_type must be singular: "contract", not "contracts"',
    ]);
    expect(problems(BASE.replace('query_type: contract', 'query_type: contract_appeal'))).toEqual([
      'alerts.0 (contracts): query_type "contract_appeal" is not a family tango-sync mirrors',
    ]);
  });

  it('lists every problem of a malformed file at once', () => {
    const found = problems(`
owner: Prod Team
endpoint: { callback_url: not-a-url }
alerts:
  - { name: a, query_type: contract, filters: {} }
  - { name: a, query_type: contract, filters: { naics: '541511' }, frequency: custom }
  - { name: b, query_type: contract, filters: { naics: '1' }, colour: blue }
`);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^owner: /),
        expect.stringMatching(/^endpoint\.callback_url: /),
        'alerts.0.filters: must name at least one filter (Tango requires it)',
        'alerts.1.cron_expression: frequency "custom" needs a cron_expression',
        expect.stringMatching(/^alerts\.2: Unrecognized key: "colour"/),
      ]),
    );
    expect(problems('owner: [')).toEqual([expect.stringMatching(/^not YAML: /)]);
  });
});

describe('planning the Tango side', () => {
  it('creates everything in an empty account and leaves the rest alone', () => {
    const plan = planTangoSide(spec(BASE), {
      endpoints: [endpoint('someone else')],
      alerts: [alert('hand-made')],
    });
    expect(plan.steps.map((step) => [step.action, step.kind, step.name])).toEqual([
      ['create', 'endpoint', 'tango-sync/prod: webhooks'],
      ['create', 'alert', 'tango-sync/prod: contracts'],
      ['create', 'alert', 'tango-sync/prod: grants'],
    ]);
    expect(plan.unmanaged).toEqual({ endpoints: 1, alerts: 1 });
    expect(formatPlan(plan)).toContain(
      'Plan: 3 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged.',
    );
  });

  it('plans nothing when Tango matches, even when Tango echoes filter values as text', () => {
    const state = converged();
    state.alerts[0] = alert('tango-sync/prod: contracts', { filters: { awarding_agency: 9700 } });
    const plan = planTangoSide(spec(BASE.replace("'9700'", '9700')), converged());
    expect(planIsEmpty(plan)).toBe(true);
    expect(planIsEmpty(planTangoSide(spec(BASE), state))).toBe(true);
    expect(formatPlan(plan)).toMatch(
      /^No changes: Tango matches the file \(3 object\(s\) managed by "prod"\)\./,
    );
  });

  it('replaces an alert whose filters or query type changed, and patches one whose frequency or state changed', () => {
    const plan = planTangoSide(
      spec(
        BASE.replace("awarding_agency: '9700'", "awarding_agency: '4700'").replace(
          'frequency: daily',
          'frequency: weekly\n    active: false',
        ),
      ),
      converged(),
    );
    const changed = plan.steps.filter((step) => step.action !== 'unchanged');
    expect(changed).toEqual([
      expect.objectContaining({
        action: 'replace',
        id: 'al-tango-sync/prod: contracts',
        changes: [{ field: 'filters', from: { awarding_agency: '9700' }, to: { awarding_agency: '4700' } }],
      }),
      expect.objectContaining({
        action: 'update',
        id: 'al-tango-sync/prod: grants',
        patch: { frequency: 'weekly', is_active: false },
      }),
    ]);
  });

  it('moves an alert Tango shows on another endpoint by replacing it', () => {
    const state = converged();
    state.alerts[0] = alert('tango-sync/prod: contracts', { endpoint: 'ep-elsewhere' });
    const plan = planTangoSide(spec(BASE), state);
    expect(plan.steps.find((step) => step.name === 'tango-sync/prod: contracts')).toMatchObject({
      action: 'replace',
      changes: [{ field: 'endpoint', from: 'ep-elsewhere', to: 'ep-tango-sync/prod: webhooks' }],
    });
  });

  it('deletes managed alerts the file no longer declares, and duplicates of a managed name', () => {
    const state = converged();
    state.alerts.push(
      alert('tango-sync/prod: old'),
      alert('tango-sync/prod: contracts', { alert_id: 'al-dup' }),
    );
    const plan = planTangoSide(spec(BASE), state);
    expect(
      plan.steps.filter((step) => step.action === 'delete').map((step) => 'id' in step && step.id),
    ).toEqual(['al-tango-sync/prod: old', 'al-dup']);
    // Deletions run before creations, so a replaced name is free again when it is created.
    expect(plan.steps[1]?.action).toBe('delete');
  });

  it('updates the endpoint in place, and replaces it (old one deleted last) when its name changes', () => {
    const moved = planTangoSide(spec(BASE.replace('sync.example.com', 'new.example.com')), converged());
    expect(moved.steps[0]).toMatchObject({
      action: 'update',
      patch: { callback_url: 'https://new.example.com/tango/webhooks' },
    });
    const renamed = planTangoSide(spec(BASE.replace('endpoint:', 'endpoint:\n  name: primary')), converged());
    expect(renamed.steps[0]).toMatchObject({ action: 'create', name: 'tango-sync/prod: primary' });
    expect(renamed.steps.at(-1)).toMatchObject({
      action: 'delete',
      kind: 'endpoint',
      id: 'ep-tango-sync/prod: webhooks',
    });
  });

  it('compares filters by meaning', () => {
    expect(canonicalFilters({ b: 1, a: ['x', 2] })).toBe(canonicalFilters({ a: ['x', '2'], b: '1' }));
    expect(canonicalFilters({ a: 'x' })).not.toBe(canonicalFilters({ a: 'y' }));
  });
});

describe('tango plan against Tango’s event-type catalog', () => {
  const SDK = new Set(['alerts.contract.match', 'alerts.opportunity.match', 'alerts.entity.match']);

  it('leaves out an alert whose type the catalog lacks, warns, and names the family’s freshness source', () => {
    const alerts = [
      { name: 'contracts', query_type: 'contract', filters: { award_date_gte: '1900-01-01' } },
      { name: 'idvs', query_type: 'idv', filters: { award_date_gte: '1900-01-01' } },
    ] as const;
    const found = uncataloguedAlerts(alerts as unknown as AlertSpec[], SDK);
    expect(found).toEqual([
      expect.objectContaining({ name: 'idvs', family: 'idvs', eventType: 'alerts.idv.match' }),
    ]);
    expect(found[0]?.warning).toBe(
      `alert "idvs" (query_type idv): Tango's event-type catalog has no alerts.idv.match, so it is not created; idvs are kept fresh by the worker's newest-first poll (award_date_gte ordering=-award_date; every HEALTH_NEWEST_POLL_INTERVAL_SECONDS) and re-verification`,
    );
    expect(
      uncataloguedAlerts(alerts as unknown as AlertSpec[], new Set([...SDK, 'alerts.idv.match'])),
    ).toEqual([]);
  });

  it('says entities without alerts are kept fresh by re-verification only', () => {
    expect(freshnessWithoutAlerts('entities')).toMatch(/re-verification only/);
  });
});
