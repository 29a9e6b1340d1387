import { parseConfig } from '../../../src/config/app-config';
import { formatPlan, planTangoSide } from '../../../src/tango-side/tango-side-plan';
import { loadTangoSideSpec, TangoSideSpecError } from '../../../src/tango-side/tango-side-spec';

const FILE = `
owner: prod
endpoint:
  callback_url: https://sync.example.com/tango/webhooks
resources:
  default: {}
  offices: false
  protests: { full_walk_seconds: 86400 }
  exclusions: { poll_seconds: 1800 }
`;

const load = (yaml: string) => loadTangoSideSpec('tango-sync.yaml', () => yaml);

function problemsOf(yaml: string): string[] {
  try {
    load(yaml);
    return [];
  } catch (error) {
    if (error instanceof TangoSideSpecError) {
      return [...error.problems];
    }
    throw error;
  }
}

const EMPTY_TANGO = { endpoints: [], alerts: [] };

describe('resources: in tango-sync.yaml', () => {
  it('plans the worker settings the file stands for, which the worker reads back as the same choice', () => {
    const plan = planTangoSide(load(FILE), EMPTY_TANGO);
    expect(plan.resourceSettings).toEqual({
      TANGO_RESOURCES: 'default,-offices,protests,exclusions',
      RESOURCE_SCHEDULES: 'protests:full=86400;exclusions:poll=1800',
    });
    const config = parseConfig({
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/x',
      KAFKA_BROKERS: '127.0.0.1:1',
      WEBHOOK_SECRETS: 's',
      ...plan.resourceSettings,
    });
    expect(config.tango.resources).toContain('protests');
    expect(config.tango.resources).not.toContain('offices');
    expect(config.resources.schedules).toEqual({
      protests: { fullSeconds: 86_400 },
      exclusions: { pollSeconds: 1_800 },
    });
    const lines = Object.fromEntries(plan.resources.map((line) => [line.resource, line]));
    expect(lines.exclusions).toMatchObject({ freshness: 'alerts + incremental poll', pollSeconds: 1_800 });
    expect(lines.protests).toMatchObject({
      freshness: 'full refresh',
      pollSeconds: null,
      fullSeconds: 86_400,
    });
    expect(lines.offices).toBeUndefined();
    expect(lines.agencies).toMatchObject({ fullSeconds: 86_400 });
  });

  it('costs each resource’s walks in requests a day once its size is read', () => {
    const plan = planTangoSide(load(FILE), {
      ...EMPTY_TANGO,
      resourceSizes: new Map([
        ['exclusions', 150_000],
        ['psc', 2_600],
      ]),
    });
    const lines = Object.fromEntries(plan.resources.map((line) => [line.resource, line]));
    // 1,500 pages weekly (214.3 a day) and a poll every 30 minutes (48).
    expect(lines.exclusions).toMatchObject({ records: 150_000, requestsPerDay: 262.3 });
    // Static pagination: the whole PSC list is one page of up to 10,000, read daily.
    expect(lines.psc).toMatchObject({ records: 2_600, requestsPerDay: 1 });
    const text = formatPlan(plan);
    expect(text).toContain(
      'resource exclusions: alerts + incremental poll; walked whole every 604800s, polled every 1800s; 150000 records, ~262.3 requests a day',
    );
    expect(text).toContain("worker settings: TANGO_RESOURCES='default,-offices,protests,exclusions'");
  });

  it('warns when the settings the plan runs with differ from the file', () => {
    const plan = planTangoSide(load(FILE), { ...EMPTY_TANGO, settings: { TANGO_RESOURCES: 'families' } });
    expect(plan.resourceWarnings).toEqual([
      'TANGO_RESOURCES is "families" here but the file\'s resources say "default,-offices,protests,exclusions": set it on the worker',
      'RESOURCE_SCHEDULES is "" here but the file\'s resources say "protests:full=86400;exclusions:poll=1800": set it on the worker',
    ]);
  });

  it('refuses unknown resources, a poll of a resource only walked whole, and a period that is not a number', () => {
    expect(problemsOf(FILE.replace('protests: {', 'protest: {'))).toEqual([
      expect.stringMatching(/^resources: unknown resource "protest"/),
      expect.stringMatching(/^resources: "protest:full=86400": protest is not a contract resource/),
    ]);
    expect(problemsOf(FILE.replace('full_walk_seconds: 86400', 'poll_seconds: 60'))).toEqual([
      'resources: "protests:poll=60": protests is only walked whole (it has no change filter or ordering to poll by)',
    ]);
    expect(problemsOf(FILE.replace('poll_seconds: 1800', "poll_seconds: 'often'"))).toEqual([
      expect.stringContaining('resources.exclusions'),
    ]);
  });
});
