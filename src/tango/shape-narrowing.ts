import { FAMILIES, type FamilyDescriptor, type ShapeItem } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { onlyPaths, shapePaths, withoutPaths } from '../tango-contract/whole-shape';
import { familyContract } from './tango-requests';

/** Why a path of the whole record is not mirrored. */
export type NotMirroredReason = 'narrowed' | 'gated' | 'refused';

export interface NotMirroredPath {
  /** The outermost path left out (`transactions`, `recipient.uei`); what lies under it is left out with it. */
  readonly path: string;
  readonly reason: NotMirroredReason;
  readonly detail: string;
}

/** The operator's narrowing of the whole records (TANGO_SHAPE_FIELDS, TANGO_SHAPE_EXCLUDE, TANGO_PLAN). */
export interface ShapeNarrowing {
  /** Per family: only these paths (and the ones the mirror needs). */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  /** Per family: these paths are left out. */
  readonly exclude: Readonly<Record<string, readonly string[]>>;
  /** The account's plan level, when known: what `shape_gated_by_level` gates for it is left out up front. */
  readonly plan?: string;
}

export const NO_NARROWING: ShapeNarrowing = { fields: {}, exclude: {} };

/**
 * The paths the mirror itself reads, which no narrowing may leave out, each with the reason: the record's id, its
 * source modification time, the typed columns, the follow-up and subject fields.
 */
export function requiredPaths(descriptor: FamilyDescriptor): ReadonlyMap<string, string> {
  const required = new Map<string, string>([[descriptor.idField, 'the record id']]);
  if (descriptor.sourceModifiedPath !== undefined) {
    required.set(descriptor.sourceModifiedPath, "Tango's modification time of the record");
  }
  for (const column of descriptor.columns) {
    required.set(column.path, `the typed column ${column.name}`);
  }
  for (const followUp of descriptor.followUps ?? []) {
    required.set(followUp.latestField, `the follow-up fetch of ${followUp.family}`);
    required.set(followUp.listField, `the follow-up fetch of ${followUp.family}`);
  }
  if (descriptor.subjectIds !== undefined) {
    required.set(descriptor.subjectIds.systemField, 'the subject ids legacy events name records by');
    required.set(descriptor.subjectIds.externalField, 'the subject ids legacy events name records by');
  }
  return required;
}

/** The required paths a narrowing would take away: a path or one of its parents is left out. */
function takenAway(required: ReadonlyMap<string, string>, removed: readonly string[]): string[] {
  return [...required].flatMap(([path, why]) =>
    removed.some((gone) => path === gone || path.startsWith(`${gone}.`))
      ? [`${path} cannot be left out: the mirror needs it for ${why}`]
      : [],
  );
}

function unknownPaths(family: ResourceFamily, paths: readonly string[], setting: string): string[] {
  const known = new Set(shapePaths(FAMILIES[family].shape));
  return paths
    .filter((path) => !known.has(path))
    .map((path) => {
      const [top = ''] = path.split('.');
      const near = [...known].filter((candidate) => candidate.split('.')[0] === top).slice(0, 8);
      const hint = near.length > 0 ? ` (under ${top}: ${near.join(', ')})` : '';
      return `${setting}: ${family} has no path ${path} in Tango's contract${hint}`;
    });
}

/** Every problem with a narrowing, each naming its setting, family and path (empty: it can be used). */
export function narrowingProblems(narrowing: ShapeNarrowing): string[] {
  const problems: string[] = [];
  const settings = [
    ['TANGO_SHAPE_FIELDS', narrowing.fields],
    ['TANGO_SHAPE_EXCLUDE', narrowing.exclude],
  ] as const;
  for (const [setting, lists] of settings) {
    for (const [name, paths] of Object.entries(lists)) {
      const family = RESOURCE_FAMILIES.find((candidate) => candidate === name);
      if (family === undefined) {
        problems.push(`${setting}: unknown family ${name} (families: ${RESOURCE_FAMILIES.join(', ')})`);
        continue;
      }
      problems.push(...unknownPaths(family, paths, setting));
    }
  }
  for (const [name, paths] of Object.entries(narrowing.exclude)) {
    const family = RESOURCE_FAMILIES.find((candidate) => candidate === name);
    if (family !== undefined) {
      problems.push(
        ...takenAway(requiredPaths(FAMILIES[family]), paths).map(
          (text) => `TANGO_SHAPE_EXCLUDE: ${family}: ${text}`,
        ),
      );
    }
  }
  return problems;
}

/** The gated paths of the family for the plan (none when the plan is unknown). */
export function gatedPaths(family: ResourceFamily, plan: string | undefined): readonly string[] {
  return plan === undefined ? [] : (familyContract(family).shapeGatedByLevel.get(plan) ?? []);
}

/** The outermost paths of `whole` that `kept` lacks. */
export function outermostMissing(whole: readonly ShapeItem[], kept: readonly ShapeItem[]): string[] {
  const present = new Set(shapePaths(kept));
  const missing: string[] = [];
  for (const path of shapePaths(whole)) {
    if (!present.has(path) && !missing.some((outer) => path.startsWith(`${outer}.`))) {
      missing.push(path);
    }
  }
  return missing;
}

/** Whether `path` is `ancestor` or lies under it. */
const within = (path: string, ancestor: string): boolean =>
  path === ancestor || path.startsWith(`${ancestor}.`);

export interface ConfiguredShape {
  /** What the family asks Tango for (before anything Tango refused at run time). */
  readonly shape: readonly ShapeItem[];
  readonly notMirrored: readonly NotMirroredPath[];
}

/**
 * The family's shape after the operator's narrowing and the plan's gates: the whole record, only the `fields`
 * (plus what the mirror needs) when set, without `exclude` and without what the plan may not ask for. A gated path
 * the mirror needs is kept (Tango's refusal would then be healed or shown like any other).
 */
export function configuredShape(family: ResourceFamily, narrowing: ShapeNarrowing): ConfiguredShape {
  const descriptor = FAMILIES[family];
  const whole = descriptor.shape;
  const required = requiredPaths(descriptor);
  const fields = narrowing.fields[family];
  let shape = fields === undefined ? whole : onlyPaths(whole, new Set([...fields, ...required.keys()]));
  shape = withoutPaths(shape, new Set(narrowing.exclude[family] ?? []));
  const gated = gatedPaths(family, narrowing.plan).filter(
    (path) => ![...required.keys()].some((needed) => within(needed, path)),
  );
  shape = withoutPaths(shape, new Set(gated));
  const notMirrored = outermostMissing(whole, shape).map((path): NotMirroredPath => {
    const gate = gated.find((gatedPath) => within(path, gatedPath));
    return gate === undefined
      ? { path, reason: 'narrowed', detail: 'left out by TANGO_SHAPE_FIELDS / TANGO_SHAPE_EXCLUDE' }
      : {
          path,
          reason: 'gated',
          detail: `plan ${narrowing.plan ?? ''} may not ask for it (shape_gated_by_level)`,
        };
  });
  return { shape, notMirrored };
}
