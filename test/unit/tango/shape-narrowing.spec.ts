import { FAMILIES } from '../../../src/common/tango/families';
import { configuredShapes } from '../../../src/tango/family-shapes';
import {
  configuredShape,
  NO_NARROWING,
  narrowingProblems,
  requiredPaths,
} from '../../../src/tango/shape-narrowing';
import { ConfigValidationError } from '../../../src/config/app-config';
import { formatShape } from '../../../src/tango-contract/shape-grammar';
import { shapePaths } from '../../../src/tango-contract/whole-shape';

describe('narrowing the whole records', () => {
  it('asks for the whole record and leaves nothing out without narrowing', () => {
    const { shape, notMirrored } = configuredShape('contracts', NO_NARROWING);
    expect(formatShape(shape)).toBe(formatShape(FAMILIES.contracts.shape));
    expect(notMirrored).toEqual([]);
  });

  it('leaves out excluded paths, at any depth, and names each once as narrowed', () => {
    const { shape, notMirrored } = configuredShape('contracts', {
      fields: {},
      exclude: { contracts: ['transactions', 'awarding_office.office_name'] },
    });
    const paths = shapePaths(shape);
    expect(paths).not.toContain('transactions');
    expect(paths.filter((path) => path.startsWith('transactions.'))).toEqual([]);
    expect(paths).not.toContain('awarding_office.office_name');
    expect(paths).toContain('awarding_office.agency_code');
    expect(notMirrored.map(({ path, reason }) => [path, reason])).toEqual([
      ['awarding_office.office_name', 'narrowed'],
      ['transactions', 'narrowed'],
    ]);
  });

  it('keeps only the listed fields plus every path the mirror needs', () => {
    const { shape, notMirrored } = configuredShape('entities', {
      fields: { entities: ['description'] },
      exclude: {},
    });
    const paths = new Set(shapePaths(shape));
    for (const needed of requiredPaths(FAMILIES.entities).keys()) {
      expect({ needed, kept: paths.has(needed) }).toEqual({ needed, kept: true });
    }
    expect(paths.has('description')).toBe(true);
    expect(paths.has('capabilities')).toBe(false);
    expect(notMirrored.find((item) => item.path === 'capabilities')?.reason).toBe('narrowed');
  });

  it("leaves out what the plan's level may not ask for, as gated", () => {
    const free = configuredShape('entities', { fields: {}, exclude: {}, plan: 'free' });
    expect(free.notMirrored.filter((item) => item.reason === 'gated').map((item) => item.path)).toEqual(
      expect.arrayContaining(['past_performance']),
    );
    expect(shapePaths(free.shape)).not.toContain('past_performance');
    const pro = configuredShape('entities', { fields: {}, exclude: {}, plan: 'pro' });
    expect(pro.notMirrored).toEqual([]);
  });

  it('names every bad setting: unknown family, unknown path, a path the mirror needs', () => {
    const problems = narrowingProblems({
      fields: { contractz: ['key'] },
      exclude: { contracts: ['recipient', 'no_such_field'], entities: ['uei'] },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^TANGO_SHAPE_FIELDS: unknown family contractz/),
      expect.stringMatching(/^TANGO_SHAPE_EXCLUDE: contracts has no path no_such_field/),
      expect.stringMatching(/^TANGO_SHAPE_EXCLUDE: contracts: recipient\.uei cannot be left out/),
      expect.stringMatching(/^TANGO_SHAPE_EXCLUDE: contracts: recipient\.display_name cannot be left out/),
      expect.stringMatching(/^TANGO_SHAPE_EXCLUDE: entities: uei cannot be left out: .*record id/),
    ]);
    expect(() => configuredShapes({ fields: {}, exclude: { contracts: ['key'] } })).toThrow(
      ConfigValidationError,
    );
  });
});
