import { formatPlan, planTangoSide } from '../../../src/tango-side/tango-side-plan';
import { loadTangoSideSpec, TangoSideSpecError } from '../../../src/tango-side/tango-side-spec';
import { type FamilyShapeCost } from '../../../src/tango/shape-cost';

const FILE = `
owner: prod
endpoint:
  callback_url: https://sync.example.com/tango/webhooks
shapes:
  contracts:
    exclude: [transactions, subawards_summary]
  entities:
    fields: [description, capabilities]
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

describe('shapes: in tango-sync.yaml', () => {
  it('plans what each narrowed family leaves out and the worker settings the file stands for', () => {
    const plan = planTangoSide(load(FILE), EMPTY_TANGO);
    expect(plan.shapes.map((line) => [line.family, line.leftOut.includes('transactions')])).toEqual([
      ['contracts', true],
      ['entities', false],
    ]);
    expect(plan.shapes[1]?.leftOut).toContain('keywords');
    expect(plan.shapeSettings).toEqual({
      TANGO_SHAPE_FIELDS: 'entities:description,capabilities',
      TANGO_SHAPE_EXCLUDE: 'contracts:transactions,subawards_summary',
    });
    const text = formatPlan(plan);
    expect(text).toMatch(/shape +contracts: \d+ of 193 paths, leaves out subawards_summary, transactions/);
    expect(text).toContain(
      "worker settings: TANGO_SHAPE_FIELDS='entities:description,capabilities' TANGO_SHAPE_EXCLUDE='contracts:transactions,subawards_summary'",
    );
  });

  it('warns when the settings it runs with differ from the file, and is quiet when they match', () => {
    const spec = load(FILE);
    const differing = planTangoSide(spec, {
      ...EMPTY_TANGO,
      settings: { TANGO_SHAPE_EXCLUDE: 'contracts:naics' },
    });
    expect(differing.shapeWarnings).toEqual([
      expect.stringMatching(/^TANGO_SHAPE_FIELDS is "" here but the file's shapes say "entities:description/),
      expect.stringMatching(/^TANGO_SHAPE_EXCLUDE is "contracts:naics" here/),
    ]);
    const matching = planTangoSide(spec, { ...EMPTY_TANGO, settings: { ...differing.shapeSettings } });
    expect(matching.shapeWarnings).toEqual([]);
  });

  it('says what a choice costs when it was measured', () => {
    const cost: FamilyShapeCost = {
      family: 'contracts',
      whole: { paths: 193, records: 25, bytesPerRecord: 6876, requestMs: 40 },
      configured: { paths: 150, records: 25, bytesPerRecord: 4100, requestMs: 30 },
      savedShare: 0.404,
    };
    const plan = planTangoSide(load(FILE), { ...EMPTY_TANGO, shapeCosts: new Map([['contracts', cost]]) });
    expect(formatPlan(plan)).toContain('4100 of 6876 bytes a record (saves 40%)');
  });

  it('refuses unknown families, unknown paths and paths the mirror needs, before any request', () => {
    expect(
      problemsOf(`${FILE.replace('exclude: [transactions, subawards_summary]', 'exclude: [transactionz, key]')}
  contractz:
    exclude: [key]
`),
    ).toEqual([
      expect.stringMatching(/^shapes: exclude: contracts has no path transactionz/),
      expect.stringMatching(/^shapes: exclude: unknown family contractz/),
      expect.stringMatching(/^shapes: exclude: contracts: key cannot be left out/),
    ]);
  });

  it('leaves every family whole without shapes:', () => {
    const plan = planTangoSide(load(FILE.slice(0, FILE.indexOf('shapes:'))), EMPTY_TANGO);
    expect(plan.shapes).toEqual([]);
    expect(formatPlan(plan)).not.toContain('worker settings');
  });
});
