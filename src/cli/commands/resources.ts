import { type Command, Option } from 'commander';
import { FAMILIES } from '../../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../../common/tango/resource-family';
import { type AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { JobRunner } from '../../jobs/job-runner';
import { refreshPeriods } from '../../resources/refresh-plan';
import { ResourceRefreshRepository } from '../../resources/resource-refresh.repository';
import { type RefreshRun, ResourceRefreshService } from '../../resources/resource-refresh.service';
import { CliUsageError } from '../cli-errors';
import { type CliContext, family, withTools } from '../cli-context';

/** One line of `tango-sync resources`. */
function resourceRow(resource: ResourceFamily, config: AppConfig): Record<string, unknown> {
  const spec = FAMILIES[resource];
  const plan = spec.refresh;
  const common = {
    command: 'resources',
    resource,
    on: config.tango.resources.includes(resource),
    collection: spec.collection,
    table: spec.table,
    idField: spec.idField,
    alertType: spec.queryType === null ? null : `alerts.${spec.queryType}.match`,
  };
  if (plan === undefined) {
    return {
      ...common,
      freshness: 'alerts / newest-first poll, sweeps, re-verification (the nine families)',
    };
  }
  const periods = refreshPeriods(resource, config.resources);
  return {
    ...common,
    idCertainty: plan.idCertainty,
    detailRoute: plan.detailRoute,
    freshness: plan.freshnessSources.join(' + '),
    mode: plan.mode,
    by: plan.sinceFilter ?? plan.ordering ?? null,
    pollSeconds: periods.pollSeconds,
    fullWalkSeconds: periods.fullSeconds,
  };
}

/**
 * `resources`: every resource tango-sync can mirror, whether TANGO_RESOURCES turns it on, how it stays fresh and
 * where its walks stand; `refresh`: a full walk (or an incremental poll) of contract resources now, under the
 * refresh job's lock.
 */
export function registerResourcesCommands(program: Command, { globals, print }: CliContext): void {
  program
    .command('resources')
    .description(
      'list every resource tango-sync can mirror: turned on or not, its table, id field and freshness',
    )
    .action(async () => {
      const rows = await withTools(globals().verbose, async (app) => {
        const config = app.get<AppConfig>(APP_CONFIG);
        const walked = RESOURCE_FAMILIES.filter((resource) => FAMILIES[resource].refresh !== undefined);
        const repository = app.get(ResourceRefreshRepository);
        const [states, live] = await Promise.all([repository.states(walked), repository.liveCounts(walked)]);
        return RESOURCE_FAMILIES.map((resource) => {
          const state = states.get(resource);
          return {
            ...resourceRow(resource, config),
            ...(state === undefined
              ? {}
              : {
                  live: live.get(resource) ?? 0,
                  lastFullWalkAt: state.fullCompletedAt?.toISOString() ?? null,
                  lastPollAt: state.pollCompletedAt?.toISOString() ?? null,
                  lastError: state.lastError,
                }),
          };
        });
      });
      rows.forEach((row) => {
        print(row);
      });
    });

  program
    .command('refresh')
    .description('walk contract resources now: the whole list (default) or an incremental poll (--poll)')
    .argument('[resources...]', 'contract resources (default: every one TANGO_RESOURCES turns on)')
    .addOption(
      new Option('--poll', 'an incremental poll instead of a full walk (a full walk if none completed yet)'),
    )
    .action(async (names: string[], options: { poll?: boolean }) => {
      const chosen = names.map(family);
      const notWalked = chosen.filter((resource) => FAMILIES[resource].refresh === undefined);
      if (notWalked.length > 0) {
        throw new CliUsageError(
          `${notWalked.join(', ')}: the nine families are kept fresh by alerts, sweeps and backfills, not list walks`,
        );
      }
      const result = await withTools(globals().verbose, async (app) => {
        const service = app.get(ResourceRefreshService);
        const resources = chosen.length > 0 ? chosen : service.refreshedResources();
        const runs: Partial<Record<ResourceFamily, RefreshRun>> = {};
        const outcome = await app
          .get(JobRunner)
          .tick('resource-refresh', { intervalMs: 0, force: true }, async () => {
            for (const resource of resources) {
              runs[resource] = await service.refresh(resource, options.poll === true ? 'poll' : 'full');
            }
            return { by: 'cli', resources };
          });
        return { ...outcome, runs };
      });
      print({ command: 'refresh', ...result });
      const failed = Object.values(result.runs).some((run) => !run.ok);
      if (!result.ran || failed) {
        process.exitCode = 1;
      }
    });
}
