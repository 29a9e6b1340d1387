import { type ContractExpand, type ResourceContract, type TangoContract } from './tango-contract';

/** What one side has that the other does not, each list sorted. */
export interface Delta {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** A list filter whose server-side class changed (same parameter name). */
export interface FilterClassChange {
  readonly param: string;
  readonly from: string | null;
  readonly to: string | null;
}

/** The differences of one resource that both contracts have; only resources with some difference are listed. */
export interface ResourceDiff {
  readonly resource: string;
  /** Every field a shape can name, dotted under its expands (`workforce.locations`). */
  readonly fields: Delta;
  /** Every expand, dotted when nested (`recipient.parent`). */
  readonly expands: Delta;
  readonly filters: Delta & { readonly classChanged: readonly FilterClassChange[] };
  /** `ordering` values (`award_date`, `-award_date`, …). */
  readonly orderings: Delta;
  /** Shape items a plan level may not ask for, as `level:path` (`free:past_performance`). */
  readonly gated: Delta;
  /** The shaping tier, when it changed. */
  readonly tier: { readonly from: string | null; readonly to: string | null } | null;
}

export interface ContractDiff {
  readonly from: string;
  readonly to: string;
  readonly resources: Delta;
  readonly changed: readonly ResourceDiff[];
}

function delta(from: Iterable<string>, to: Iterable<string>): Delta {
  const before = new Set(from);
  const after = new Set(to);
  return {
    added: [...after].filter((item) => !before.has(item)).sort(),
    removed: [...before].filter((item) => !after.has(item)).sort(),
  };
}

const isEmpty = (change: Delta): boolean => change.added.length === 0 && change.removed.length === 0;

/** Every field and every expand under these expands, dotted from `prefix`. */
function expandPaths(
  expands: ReadonlyMap<string, ContractExpand>,
  prefix: string,
  out: { fields: string[]; expands: string[] },
): void {
  for (const [name, expand] of expands) {
    const path = `${prefix}${name}`;
    out.expands.push(path);
    out.fields.push(...[...expand.fields].map((field) => `${path}.${field}`));
    expandPaths(expand.expands, `${path}.`, out);
  }
}

function shapePaths(resource: ResourceContract): { fields: string[]; expands: string[] } {
  const out = { fields: [...resource.fields], expands: [] as string[] };
  expandPaths(resource.expands, '', out);
  return out;
}

function gatedItems(resource: ResourceContract): string[] {
  return [...resource.shapeGatedByLevel].flatMap(([level, paths]) => paths.map((path) => `${level}:${path}`));
}

function filterClassChanges(a: ResourceContract, b: ResourceContract): FilterClassChange[] {
  return [...a.filterParams]
    .filter((param) => b.filterParams.has(param) && a.filterClass(param) !== b.filterClass(param))
    .sort()
    .map((param) => ({ param, from: a.filterClass(param) ?? null, to: b.filterClass(param) ?? null }));
}

/** One resource's differences, or null when it has none. */
export function diffResource(a: ResourceContract, b: ResourceContract): ResourceDiff | null {
  const [shapeA, shapeB] = [shapePaths(a), shapePaths(b)];
  const diff: ResourceDiff = {
    resource: a.name,
    fields: delta(shapeA.fields, shapeB.fields),
    expands: delta(shapeA.expands, shapeB.expands),
    filters: { ...delta(a.filterParams, b.filterParams), classChanged: filterClassChanges(a, b) },
    orderings: delta(a.orderingValues, b.orderingValues),
    gated: delta(gatedItems(a), gatedItems(b)),
    tier:
      a.shapeTierRequired === b.shapeTierRequired
        ? null
        : { from: a.shapeTierRequired, to: b.shapeTierRequired },
  };
  const unchanged =
    [diff.fields, diff.expands, diff.filters, diff.orderings, diff.gated].every(isEmpty) &&
    diff.filters.classChanged.length === 0 &&
    diff.tier === null;
  return unchanged ? null : diff;
}

/**
 * What changed from contract `a` to contract `b`: resources added and removed, and for each resource both have,
 * the fields, expands, filters (and filter classes), orderings, plan-gated items and tier added and removed.
 * Pure: a new resource is listed by name only (everything in it is new).
 */
export function diffContracts(a: TangoContract, b: TangoContract): ContractDiff {
  const namesB = new Set(b.resourceNames());
  const changed = a
    .resourceNames()
    .filter((name) => namesB.has(name))
    .sort()
    .flatMap((name) => diffResource(a.resource(name), b.resource(name)) ?? []);
  return {
    from: a.apiVersion,
    to: b.apiVersion,
    resources: delta(a.resourceNames(), b.resourceNames()),
    changed,
  };
}

function deltaLines(label: string, change: Delta): string[] {
  return [
    ...(change.added.length > 0 ? [`  + ${label}: ${change.added.join(', ')}`] : []),
    ...(change.removed.length > 0 ? [`  - ${label}: ${change.removed.join(', ')}`] : []),
  ];
}

function resourceLines(diff: ResourceDiff): string[] {
  return [
    `${diff.resource}:`,
    ...deltaLines('fields', diff.fields),
    ...deltaLines('expands', diff.expands),
    ...deltaLines('filters', diff.filters),
    ...diff.filters.classChanged.map(
      (change) => `  ~ filter ${change.param}: ${change.from ?? '?'} -> ${change.to ?? '?'}`,
    ),
    ...deltaLines('orderings', diff.orderings),
    ...deltaLines('gated by plan', diff.gated),
    ...(diff.tier === null
      ? []
      : [`  ~ shape tier: ${diff.tier.from ?? 'none'} -> ${diff.tier.to ?? 'none'}`]),
  ];
}

/** The diff for people: one line per kind of change, `+` added, `-` removed, `~` changed. */
export function formatContractDiff(diff: ContractDiff): string[] {
  const { added, removed } = diff.resources;
  const lines = [`Tango contract ${diff.from} -> ${diff.to}`];
  lines.push(`resources added (${added.length}): ${added.length > 0 ? added.join(', ') : 'none'}`);
  lines.push(`resources removed (${removed.length}): ${removed.length > 0 ? removed.join(', ') : 'none'}`);
  if (diff.changed.length === 0) {
    lines.push('no resource both have changed');
  }
  return [...lines, ...diff.changed.flatMap(resourceLines)];
}
