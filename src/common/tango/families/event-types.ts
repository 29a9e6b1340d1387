import { legacyEventFamilies, legacyEventFamilyOf } from './legacy-events';
import { familyForQueryType } from './registry';

/** What the parser makes of an event type: used here, covered elsewhere in Tango, or unknown to it. */
export type EventTypeClass = 'mirrored' | 'not_mirrored' | 'unknown';

const ALERT_EVENT = /^alerts\.([a-z_]+)\.match$/i;

/** The query type of an alert event type (`alerts.contract.match` → `contract`), or null for other types. */
export function alertQueryTypeOf(eventType: string): string | null {
  const match = ALERT_EVENT.exec(eventType);
  return match === null ? null : (match[1] ?? '');
}

/**
 * How the parser treats an event type Tango lists: `alerts.<query_type>.match` of a mirrored family, or a legacy
 * type it reads, is `mirrored`; an alert type of a family tango-sync does not cover (`alerts.exclusion.match`,
 * `alerts.dibbs_rfq.match`) is `not_mirrored`; anything else is `unknown` (the health report shows it).
 */
export function classifyEventType(eventType: string): EventTypeClass {
  const queryType = alertQueryTypeOf(eventType.trim());
  if (queryType !== null) {
    return familyForQueryType(queryType) === undefined ? 'not_mirrored' : 'mirrored';
  }
  const legacyFamily = legacyEventFamilyOf(eventType.trim());
  return legacyEventFamilies().has(legacyFamily) && eventType.includes('.') ? 'mirrored' : 'unknown';
}
