import { z } from 'zod';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { type SampleCost } from '../tango/shape-cost';
import { configuredShape, narrowingProblems, type ShapeNarrowing } from '../tango/shape-narrowing';
import { shapePaths } from '../tango-contract/whole-shape';
import { FAMILIES } from '../common/tango/families';

const shapePath = z.string().regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, 'a dotted path such as recipient.uei');

/**
 * `shapes:` of `tango-sync.yaml`: per family, the paths it mirrors only (`fields`) or leaves out (`exclude`); the
 * whole record when absent. The worker reads the same narrowing from TANGO_SHAPE_FIELDS / TANGO_SHAPE_EXCLUDE: the
 * plan prints the settings the file stands for, what each choice leaves out and costs, and warns when the settings
 * it runs with differ.
 */
export const shapesSpecSchema = z
  .record(
    z.string(),
    z.strictObject({
      fields: z.array(shapePath).min(1).optional(),
      exclude: z.array(shapePath).default([]),
    }),
  )
  .default({});

export type ShapesSpec = z.output<typeof shapesSpecSchema>;

/** The file's shapes as the worker's narrowing. */
export function narrowingOf(shapes: ShapesSpec): ShapeNarrowing {
  const fields: Record<string, readonly string[]> = {};
  const exclude: Record<string, readonly string[]> = {};
  for (const [family, choice] of Object.entries(shapes)) {
    if (choice.fields !== undefined) {
      fields[family] = choice.fields;
    }
    if (choice.exclude.length > 0) {
      exclude[family] = choice.exclude;
    }
  }
  return { fields, exclude };
}

/** Every problem of the file's shapes, as `shapes: …` (unknown family, unknown path, a path the mirror needs). */
export function shapesProblems(shapes: ShapesSpec): string[] {
  return narrowingProblems(narrowingOf(shapes)).map(
    (problem) =>
      `shapes: ${problem.replace(/^TANGO_SHAPE_EXCLUDE: /, 'exclude: ').replace(/^TANGO_SHAPE_FIELDS: /, 'fields: ')}`,
  );
}

const settingText = (lists: Readonly<Record<string, readonly string[]>>): string =>
  Object.entries(lists)
    .map(([family, paths]) => `${family}:${paths.join(',')}`)
    .join(';');

/** The worker settings the file's shapes stand for (empty values: the whole record). */
export function workerShapeSettings(
  shapes: ShapesSpec,
): Record<'TANGO_SHAPE_FIELDS' | 'TANGO_SHAPE_EXCLUDE', string> {
  const narrowing = narrowingOf(shapes);
  return {
    TANGO_SHAPE_FIELDS: settingText(narrowing.fields),
    TANGO_SHAPE_EXCLUDE: settingText(narrowing.exclude),
  };
}

/** One narrowed family in the plan: how much of the whole record it asks for, what it leaves out, what it saves. */
export interface ShapePlanLine {
  readonly family: ResourceFamily;
  readonly paths: { readonly whole: number; readonly asked: number };
  readonly leftOut: readonly string[];
  /** Measured on a sample page from Tango, when the plan measured it. */
  readonly cost?: {
    readonly whole: SampleCost;
    readonly configured: SampleCost;
    readonly savedShare: number;
  };
}

/** The narrowed families of the file, in family order. */
export function shapePlanLines(shapes: ShapesSpec): ShapePlanLine[] {
  const narrowing = narrowingOf(shapes);
  return RESOURCE_FAMILIES.filter((family) => family in shapes).map((family) => {
    const configured = configuredShape(family, narrowing);
    return {
      family,
      paths: { whole: shapePaths(FAMILIES[family].shape).length, asked: shapePaths(configured.shape).length },
      leftOut: configured.notMirrored.map((item) => item.path),
    };
  });
}

/**
 * Warnings where the settings this command runs with (the worker's, when run beside it) differ from the file:
 * the worker mirrors what its settings say, not what the file says.
 */
export function shapeSettingWarnings(
  shapes: ShapesSpec,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return settingWarnings(workerShapeSettings(shapes), env, "the file's shapes");
}

/** Each worker setting whose value here differs from what the file stands for (`what`: the file's part). */
export function settingWarnings(
  wanted: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): string[] {
  return Object.entries(wanted).flatMap(([name, value = '']) => {
    const running = env[name] ?? '';
    return running === value
      ? []
      : [`${name} is "${running}" here but ${what} say "${value}": set it on the worker`];
  });
}
