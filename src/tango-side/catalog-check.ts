import { familyForQueryType } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { decideFreshnessSource, newestPollSweeps } from '../reconcile/freshness-plan';
import { type AlertSpec } from './tango-side-spec';

/** An alert of the file whose `query_type` Tango's live event-type catalog has no event type for. */
export interface UncataloguedAlert {
  readonly name: string;
  readonly queryType: string;
  readonly eventType: string;
  readonly family: ResourceFamily | null;
  /** What the plan says instead: why the alert is not created, and how the family is kept fresh. */
  readonly warning: string;
}

/** How the worker keeps a family fresh without its alerts (see README "Freshness"). */
export function freshnessWithoutAlerts(family: ResourceFamily): string {
  const sweeps = newestPollSweeps(family, new Date(0), 1);
  if (sweeps.length === 0) {
    return `${family} are kept fresh by re-verification only (no date filter in Tango's contract, so a new record is found by no poll)`;
  }
  const how = sweeps
    .map((sweep) =>
      Object.keys(sweep.filters)
        .map((param) => (param === 'ordering' ? `ordering=${sweep.filters[param] ?? ''}` : param))
        .join(' '),
    )
    .join('; ');
  return `${family} are kept fresh by the worker's newest-first poll (${how}; every HEALTH_NEWEST_POLL_INTERVAL_SECONDS) and re-verification`;
}

/**
 * The file's alerts whose `alerts.<query_type>.match` Tango's catalog does not list: Tango refuses them, or keeps
 * them without ever firing. The plan leaves them out and says how each family is kept fresh instead.
 */
export function uncataloguedAlerts(
  alerts: readonly AlertSpec[],
  listed: ReadonlySet<string>,
): UncataloguedAlert[] {
  return alerts.flatMap((alert) => {
    const eventType = `alerts.${alert.query_type}.match`;
    if (listed.has(eventType)) {
      return [];
    }
    const family = familyForQueryType(alert.query_type) ?? null;
    const instead =
      family === null || decideFreshnessSource(family, listed, new Set()).source === 'alerts'
        ? 'no mirrored family depends on it'
        : freshnessWithoutAlerts(family);
    return [
      {
        name: alert.name,
        queryType: alert.query_type,
        eventType,
        family,
        warning: `alert "${alert.name}" (query_type ${alert.query_type}): Tango's event-type catalog has no ${eventType}, so it is not created; ${instead}`,
      },
    ];
  });
}
