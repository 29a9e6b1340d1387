import { z } from 'zod';
import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { parseSchedules, selectResources } from '../tango-contract/resource-selection';
import { refreshPeriods, refreshRequestsPerDay, type RefreshSettings } from '../resources/refresh-plan';
import { settingWarnings } from './shape-settings';

const periodSeconds = z.number().int().min(1).max(999_999_999);

/**
 * `resources:` of `tango-sync.yaml`: which resources the worker mirrors and, per contract resource, its periods.
 * Keys are groups (`default`, `families`, `dimensions`, `all`) or resource names, in order; `false` leaves one out;
 * an object turns it on with its own `poll_seconds` / `full_walk_seconds`. Absent: the worker's default set. The
 * worker reads the same choice from TANGO_RESOURCES and RESOURCE_SCHEDULES: the plan prints them and warns when
 * the settings it runs with differ.
 */
export const resourcesSpecSchema = z
  .record(
    z.string(),
    z.union([
      z.literal(false),
      z.strictObject({ poll_seconds: periodSeconds.optional(), full_walk_seconds: periodSeconds.optional() }),
    ]),
  )
  .optional();

export type ResourcesSpec = z.output<typeof resourcesSpecSchema>;

function selectionItems(resources: NonNullable<ResourcesSpec>): string[] {
  return Object.entries(resources).map(([name, choice]) => (choice === false ? `-${name}` : name));
}

function schedulesText(resources: NonNullable<ResourcesSpec>): string {
  return Object.entries(resources)
    .flatMap(([name, choice]) => {
      if (choice === false) {
        return [];
      }
      const parts = [
        ...(choice.poll_seconds === undefined ? [] : [`poll=${choice.poll_seconds}`]),
        ...(choice.full_walk_seconds === undefined ? [] : [`full=${choice.full_walk_seconds}`]),
      ];
      return parts.length === 0 ? [] : [`${name}:${parts.join(',')}`];
    })
    .join(';');
}

/** Every problem of the file's resources, as `resources: …`. */
export function resourcesProblems(resources: ResourcesSpec): string[] {
  if (resources === undefined) {
    return [];
  }
  const selection = selectResources(selectionItems(resources));
  const schedules = parseSchedules(schedulesText(resources));
  return [...(selection.ok ? [] : selection.problems), ...(schedules.ok ? [] : schedules.problems)].map(
    (problem) => `resources: ${problem}`,
  );
}

/** The worker settings the file's resources stand for (none when the file leaves the default set). */
export function workerResourceSettings(
  resources: ResourcesSpec,
): Partial<Record<'TANGO_RESOURCES' | 'RESOURCE_SCHEDULES', string>> {
  if (resources === undefined) {
    return {};
  }
  return {
    TANGO_RESOURCES: selectionItems(resources).join(','),
    RESOURCE_SCHEDULES: schedulesText(resources),
  };
}

/** One contract resource the file turns on: how it stays fresh and, when its size was read, what that costs. */
export interface ResourcePlanLine {
  readonly resource: ResourceFamily;
  readonly freshness: string;
  readonly pollSeconds: number | null;
  readonly fullSeconds: number;
  /** Records Tango holds (`count` of a one-record page), when measured. */
  readonly records?: number;
  readonly requestsPerDay?: number;
}

/** The contract resources the file turns on, with their periods and, given their sizes, requests a day. */
export function resourcePlanLines(
  resources: ResourcesSpec,
  sizes: ReadonlyMap<ResourceFamily, number> = new Map(),
): ResourcePlanLine[] {
  const items = resources === undefined ? ['default'] : selectionItems(resources);
  const selection = selectResources(items);
  const schedules = parseSchedules(resources === undefined ? '' : schedulesText(resources));
  if (!selection.ok || !schedules.ok) {
    return [];
  }
  const settings: RefreshSettings = { schedules: schedules.schedules };
  return selection.resources.flatMap((resource) => {
    const plan = FAMILIES[resource].refresh;
    if (plan === undefined) {
      return [];
    }
    const periods = refreshPeriods(resource, settings);
    const records = sizes.get(resource);
    return [
      {
        resource,
        freshness: plan.freshnessSources.join(' + '),
        ...periods,
        ...(records === undefined
          ? {}
          : { records, requestsPerDay: refreshRequestsPerDay(resource, records, settings) }),
      },
    ];
  });
}

/** Where the settings this command runs with differ from the file's resources. */
export function resourceSettingWarnings(
  resources: ResourcesSpec,
  env: Readonly<Record<string, string | undefined>>,
): string[] {
  return settingWarnings(workerResourceSettings(resources), env, "the file's resources");
}
