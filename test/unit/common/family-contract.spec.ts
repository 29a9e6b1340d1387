import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  initialSegments,
  pageSegments,
  remainderSegment,
  splitDateSegment,
} from '../../../src/backfill/segment-plan';
import {
  allFamilies,
  type FamilyDescriptor,
  shapeText,
  type TypedColumn,
} from '../../../src/common/tango/families';
import { type ResourceFamily } from '../../../src/common/tango/resource-family';
import { FORECAST_SUBJECT_LOOKBACK_DAYS } from '../../../src/fetcher/indirect-resolver';
import { reducedShape } from '../../../src/tango/family-shapes';
import { alertPollFilters, emptyRefreshState, pollFilters } from '../../../src/resources/refresh-plan';
import { parseShape, type ShapeNode } from '../../../src/tango-contract/shape-grammar';
import { shapePaths } from '../../../src/tango-contract/whole-shape';
import { type ObservedType, type ResourceContract } from '../../../src/tango-contract/tango-contract';
import {
  detailRequest,
  familyContract,
  idListRequest,
  LIST_PAGE_SIZE,
  listRequest,
  nextPageQuery,
  splitAlertFilters,
  type TangoRequestSpec,
  windowQueries,
} from '../../../src/tango/tango-requests';

/**
 * The worker against Tango's own published contract (src/tango-contract/vendor). Every request any fetch path can
 * send (id lists, detail, lookups, alert re-runs, sweeps, backfill, drift sampling, shape probes) is built by
 * src/tango/tango-requests.ts from the family descriptors, so checking the descriptors and those builders covers
 * them; the last test keeps every Tango call going through them.
 */

/** The observed types a column type can hold. */
/** The paths of the expands a shape asks for with `*`. */
function starredExpands(nodes: readonly ShapeNode[], prefix = ''): string[] {
  return nodes.flatMap((item) => {
    const path = `${prefix}${item.field}`;
    const children = item.children ?? [];
    return [
      ...(children.some((child) => child.field === '*') ? [path] : []),
      ...starredExpands(children, `${path}.`),
    ];
  });
}

function columnAccepts(column: TypedColumn, observed: ObservedType): boolean {
  if (column.code === true) {
    return observed.kind === 'code_object' || (observed.kind === 'scalar' && observed.type === 'str');
  }
  if (observed.kind !== 'scalar' || observed.isList) {
    return false;
  }
  const type = observed.type;
  switch (column.type) {
    case 'text':
      // Ids and codes are kept as text even where the sampled type says a number (`J041`, `10.001`: E30).
      return type === 'str' || type === 'int' || type === 'Decimal';
    case 'date':
    case 'timestamptz':
      return type === 'date' || type === 'datetime' || type === 'str';
    case 'numeric':
      return type === 'Decimal' || type === 'int' || type === 'float';
    case 'integer':
    case 'bigint':
      return type === 'int';
    case 'boolean':
      return type === 'bool';
  }
}

/** Every list and detail request the worker builds for a family, with what it is for. */
function everyRequest(descriptor: FamilyDescriptor): [string, () => TangoRequestSpec][] {
  const family = descriptor.family;
  const shapes: [string, readonly FamilyDescriptor['shape'][number][] | null][] = [
    ['full shape', descriptor.shape],
    ['no shape (tier fallback)', null],
    // Drift: any single item dropped still leaves a valid shape.
    ...descriptor.shape
      .filter((item) => item.field !== descriptor.idField)
      .map(
        (item) =>
          [`shape without ${item.field}`, reducedShape(descriptor.shape, [item.field])] as [
            string,
            FamilyDescriptor['shape'][number][],
          ],
      ),
  ];
  const requests: [string, () => TangoRequestSpec][] = [];
  for (const [what, shape] of shapes) {
    requests.push([`detail, ${what}`, () => detailRequest(family, 'some-id', shape)]);
    if (descriptor.idListFilter !== null) {
      requests.push([`id list, ${what}`, () => idListRequest(family, ['a', 'b'], shape)]);
    }
  }
  const shape = descriptor.shape;
  if (descriptor.piidFilter !== undefined) {
    const filter = descriptor.piidFilter;
    requests.push(['PIID lookup', () => listRequest(family, { [filter]: 'P1' }, shape)]);
  }
  if (descriptor.alternateIdKinds.includes('forecast_subject')) {
    requests.push([
      `forecast subject search (${FORECAST_SUBJECT_LOOKBACK_DAYS} days)`,
      () => listRequest(family, { source_system: 'DHS', modified_after: '2026-01-01' }, shape),
    ]);
  }
  for (const query of windowQueries(
    family,
    new Date('2026-01-01T00:00:00Z'),
    new Date('2026-02-01T00:00:00Z'),
  )) {
    requests.push([`sweep: ${query.label}`, () => listRequest(family, query.filters, shape)]);
  }
  const plan = descriptor.refresh;
  if (plan !== undefined) {
    // The list walks of a contract resource: full walk, its next page, the incremental poll, an alert's poll.
    const state = { ...emptyRefreshState(family), fullStartedAt: new Date('2026-12-01T00:00:00Z') };
    const poll = pollFilters(plan, state, new Date('2026-12-02T00:00:00Z'));
    const alertPoll = alertPollFilters(plan, new Date('2026-12-02T00:00:00Z'));
    for (const variant of plan.listVariants) {
      requests.push([
        `refresh: full walk ${JSON.stringify(variant)}`,
        () => listRequest(family, variant, shape),
      ]);
      requests.push([
        `refresh: poll ${JSON.stringify(variant)}`,
        () => listRequest(family, { ...poll, ...variant }, shape),
      ]);
    }
    requests.push([
      'refresh: next page',
      () =>
        listRequest(family, nextPageQuery(family, `/api/${descriptor.collection}/?limit=100&page=2`), shape),
    ]);
    requests.push([`refresh: poll ${JSON.stringify(poll)}`, () => listRequest(family, poll, shape)]);
    requests.push([
      `refresh: alert poll ${JSON.stringify(alertPoll)}`,
      () => listRequest(family, alertPoll, shape),
    ]);
  }
  const windowed = FAMILIES_WITH_WINDOW.has(family);
  for (const since of windowed ? [null, '2026-01-01'] : [null]) {
    for (const segment of initialSegments(family, since, '2026-12-02')) {
      requests.push([`backfill ${segment.key}`, () => listRequest(family, segment.query, shape)]);
      for (const half of splitDateSegment(family, segment, '2026-12-02') ?? []) {
        requests.push([`backfill split ${half.key}`, () => listRequest(family, half.query, shape)]);
      }
    }
  }
  const pageRanges = familyContract(family).pagination.kind === 'page' ? pageSegments({}, 2_000) : [];
  for (const segment of [...pageRanges, remainderSegment()]) {
    requests.push([`backfill ${segment.key}`, () => listRequest(family, segment.query, shape)]);
  }
  requests.push(['shape probe', () => listRequest(family, {}, shape, 1)]);
  return requests;
}

const FAMILIES_WITH_WINDOW = new Set(
  allFamilies()
    .filter((descriptor) => descriptor.window !== null)
    .map((descriptor) => descriptor.family),
);

describe.each(allFamilies().map((descriptor) => [descriptor.family, descriptor] as const))(
  'the %s descriptor against Tango’s contract',
  (_family: ResourceFamily, descriptor: FamilyDescriptor) => {
    const contract: ResourceContract = familyContract(descriptor.family);

    it('asks for the whole record: every field and expand of the contract, nested expands likewise', () => {
      expect(contract.validateShape(parseShape(shapeText(descriptor.shape)))).toEqual([]);
      const asked = new Set(shapePaths(descriptor.shape));
      // An expand asked for with `*` (`agency_details(*)`) brings every field it has, named ones included.
      const everyField = new Set(starredExpands(descriptor.shape));
      const underStar = (path: string): boolean =>
        everyField.has(path.slice(0, Math.max(0, path.lastIndexOf('.'))));
      const leftOut = [...contract.flatPaths].filter(
        (path) => !asked.has(path) && !path.endsWith('.*') && !underStar(path),
      );
      expect(leftOut).toEqual([]);
      for (const name of [...contract.fields, ...contract.expands.keys()].filter((field) => field !== '*')) {
        expect({ name, asked: asked.has(name) }).toEqual({ name, asked: true });
      }
      expect(descriptor.shape.filter((item) => item.field === descriptor.idField)).toEqual([
        { field: descriptor.idField, alias: descriptor.idField },
      ]);
    });

    it('uses only list filters the contract lists, of the right kind', () => {
      if (descriptor.idListFilter !== null) {
        expect(contract.filterClass(descriptor.idListFilter)).toBe('IdListFilter');
      }
      if (descriptor.piidFilter !== undefined) {
        expect(contract.filterParams.has(descriptor.piidFilter)).toBe(true);
      }
      if (descriptor.window !== null) {
        expect(contract.filterType(descriptor.window.after)).toBe('date');
        if (descriptor.window.before !== undefined) {
          expect(contract.filterType(descriptor.window.before)).toBe('date');
        }
        for (const variant of descriptor.window.variants ?? []) {
          for (const param of Object.keys(variant.filters)) {
            expect({ param, listed: contract.filterParams.has(param) }).toEqual({ param, listed: true });
          }
        }
      }
      expect(LIST_PAGE_SIZE).toBeLessThanOrEqual(contract.pagination.maxPageSize);
    });

    it('builds every request of every fetch path within the contract', () => {
      const refused: string[] = [];
      for (const [what, build] of everyRequest(descriptor)) {
        try {
          const request = build();
          const unknown = request.path.endsWith(`/api/${descriptor.collection}/`)
            ? contract.unknownListParams(request.query)
            : Object.keys(request.query).filter((param) => param !== 'shape');
          if (unknown.length > 0) {
            refused.push(`${what}: ${unknown.join(', ')}`);
          }
        } catch (error) {
          refused.push(`${what}: ${(error as Error).message}`);
        }
      }
      expect(refused).toEqual([]);
    });

    it('never re-runs an alert with a filter Tango would ignore', () => {
      const split = splitAlertFilters(descriptor.family, { not_a_tango_filter: 'x', limit: '5' });
      expect(split.unknown).toEqual(['limit', 'not_a_tango_filter']);
      expect(split.honoured).toEqual({});
    });

    it('fills every typed column from a path the shape asks for, with a type Tango returns', () => {
      const problems: string[] = [];
      const paths = [
        ...descriptor.columns.map((column) => [column.name, column.path, column] as const),
        ...(descriptor.sourceModifiedPath === undefined
          ? []
          : [['source_modified_at', descriptor.sourceModifiedPath, null] as const]),
      ];
      for (const [name, path, column] of paths) {
        const asked = shapePaths(descriptor.shape).includes(path);
        if (!asked) {
          problems.push(`${name}: ${path} is not asked for by the shape`);
          continue;
        }
        if (!contract.flatPaths.has(path)) {
          problems.push(`${name}: ${path} is not in the contract`);
          continue;
        }
        const observed = contract.observedType(path);
        if (column !== null && observed !== undefined && !columnAccepts(column, observed)) {
          problems.push(
            `${name}: a ${column.type}${column.code === true ? ' code' : ''} column, but Tango returns ` +
              `${observed.kind} ${observed.type ?? ''}${observed.isList ? '[]' : ''} at ${path}`,
          );
        }
      }
      expect(problems).toEqual([]);
      expect(new Set(descriptor.columns.map((column) => column.name)).size).toBe(descriptor.columns.length);
      expect(descriptor.summaryIdFields[0]).toBe(descriptor.idField);
    });
  },
);

describe('every Tango call', () => {
  /** Files that may call TangoClient.get: record requests only through the checked builders. */
  const ALLOWED = new Map([
    ['src/tango/record-fetcher.ts', 'records, through tango-requests builders'],
    ['src/fetcher/alert-sweep-runner.ts', 'one alert definition'],
    ['src/reconcile/gap-detector.ts', 'the alerts list'],
    ['src/tango/tango-webhooks-api.ts', "Tango's webhook management API (endpoints, alerts, event types)"],
    ['src/tango/shape-cost.ts', 'one sample list page per shape, through the listRequest builder'],
    [
      'src/reconcile/freshness.service.ts',
      'the modified_after probe and modified-since poll: the one named exception, built by src/tango/modified-since.ts',
    ],
  ]);

  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });
  }

  it('goes through the record fetcher or a known webhook-API reader', () => {
    const root = join(__dirname, '..', '..', '..');
    const callers = sources(join(root, 'src'))
      .filter((path) => /\btango\.get\(/.test(readFileSync(path, 'utf8')))
      .map((path) => path.slice(root.length + 1));
    expect(callers.sort()).toEqual([...ALLOWED.keys()].sort());
  });

  it('sends the modified_after exception only through its own builder', () => {
    const service = readFileSync(
      join(__dirname, '..', '..', '..', 'src/reconcile/freshness.service.ts'),
      'utf8',
    );
    const specs = service.match(/const spec = ([a-zA-Z]+)\(/g) ?? [];
    expect(specs.length).toBe((service.match(/this\.tango\.get\(/g) ?? []).length);
    expect(new Set(specs.map((spec) => spec.replace(/const spec = |\(/g, '')))).toEqual(
      new Set(['modifiedSinceRequest']),
    );
  });

  it('sends records only through builders that check them against the contract', () => {
    const fetcher = readFileSync(join(__dirname, '..', '..', '..', 'src/tango/record-fetcher.ts'), 'utf8');
    const sends = fetcher.match(/this\.send\(([a-zA-Z]+)\(/g) ?? [];
    expect(new Set(sends.map((send) => send.replace(/this\.send\(|\(/g, '')))).toEqual(
      new Set(['listRequest', 'idListRequest', 'detailRequest']),
    );
  });
});
