import { FAMILY_SPECS, familyForQueryType } from '../dataset/families';
import { type JsonObject, scalarText } from '../dataset/json';
import { type Dataset, type LegacyChange } from '../dataset/store';
import { type Family } from '../options';
import {
  type LegacyAwardKeys,
  LEGACY_EVENT_TYPES,
  alertEvent,
  alertsEnvelope,
  buildAlertEvent,
  buildLegacyEvent,
  legacyEnvelope,
  sampleChange,
} from './envelopes';

const SAMPLE_ALERT_ID = '00000000-0000-4000-8000-000000000000';
const SAMPLE_DELIVERY_ID = '00000000-0000-4000-8000-000000000001';

/** A deterministic sample delivery for an alerts (`alerts.<type>.match`) or legacy event type, from seeded records. */
export function buildSampleDelivery(
  dataset: Dataset,
  eventType: string,
  awardKeys: LegacyAwardKeys,
): JsonObject | undefined {
  const atMs = Date.parse(`${dataset.ctx.anchorDate}T12:00:00Z`);
  const alertMatch = /^alerts\.([a-z_]+)\.match$/.exec(eventType);
  if (alertMatch?.[1] !== undefined) {
    const queryType = alertMatch[1];
    const family = familyForQueryType(queryType);
    if (family === undefined) {
      // A family the simulator does not serve (exclusions, DIBBS): one synthetic match.
      const id = `${queryType.toUpperCase()}-000001`;
      const event = alertEvent(
        { alert_id: SAMPLE_ALERT_ID, query_type: queryType, filters: { sim_sample: true } },
        { fresh: [{ id, summary: { id } }], modified: [] },
        atMs,
        false,
      );
      return alertsEnvelope([event], SAMPLE_DELIVERY_ID, atMs);
    }
    const fresh = FAMILY_SPECS[family].generate(dataset.ctx, 0);
    const modified = FAMILY_SPECS[family].generate(dataset.ctx, 1);
    const changes = [
      sampleChange(family, fresh, 'new', 'updated', atMs),
      sampleChange(family, modified, 'modified', 'updated', atMs),
    ];
    const filters: JsonObject =
      queryType === 'entity'
        ? { uei: scalarText(fresh.uei) }
        : { naics: scalarText(fresh.naics_code ?? fresh.primary_naics) };
    const matched = buildAlertEvent(
      { alert_id: SAMPLE_ALERT_ID, query_type: queryType, filters: {} },
      changes,
      atMs,
      false,
    );
    const event = matched === undefined ? undefined : { ...matched, filters };
    return event === undefined ? undefined : alertsEnvelope([event], SAMPLE_DELIVERY_ID, atMs);
  }
  if (!(LEGACY_EVENT_TYPES as readonly string[]).includes(eventType)) {
    return undefined;
  }
  const [domain = '', change = ''] = eventType.split('.');
  const family: Family = domain === 'awards' ? 'contracts' : (domain as Family);
  const record = FAMILY_SPECS[family].generate(dataset.ctx, 0);
  const isNew = change.startsWith('new_') && change !== 'new_transaction' && change !== 'new_notice';
  const noticeId =
    change === 'new_notice' ? scalarText(FAMILY_SPECS.notices.generate(dataset.ctx, 0).notice_id) : undefined;
  const event = buildLegacyEvent(
    {
      ...sampleChange(family, record, isNew ? 'new' : 'modified', change as LegacyChange, atMs),
      ...(noticeId === undefined ? {} : { noticeId }),
    },
    awardKeys,
  );
  return event === undefined ? undefined : legacyEnvelope([event], atMs);
}
