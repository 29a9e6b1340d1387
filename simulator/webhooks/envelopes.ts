import { FAMILY_SPECS, familyForQueryType, recordId } from '../dataset/families';
import { hash32 } from '../prng';
import { type JsonObject, type JsonValue, isJsonObject, scalarText } from '../dataset/json';
import { alertPredicate } from '../rest/filters';
import { type RecordChange } from '../dataset/store';
import { type EventCatalog, type Family } from '../options';
import { RESOURCE_SPECS, type Resource, resourceForQueryType } from '../resources/catalog';
import { resourceFilter } from '../resources/list';
import { type ResourceChange, type ResourceEntry } from '../resources/store';
import { HttpFailure } from '../rest/http-failure';

export const ALERT_QUERY_TYPES = [
  'contract',
  'idv',
  'ota',
  'otidv',
  'opportunity',
  'entity',
  'grant',
  'forecast',
] as const;

/**
 * Alert query types Tango sends today for resources beyond the nine families (served by `resources/`; their alerts
 * fire on records created or modified through the control API).
 */
export const UNCOVERED_ALERT_QUERY_TYPES = [
  'exclusion',
  'dibbs_rfq',
  'dibbs_rfp',
  'sled_opportunity',
] as const;

/** The event types the SDKs print, with their descriptions (as printed). */
const SDK_EVENT_TYPES: Readonly<Record<string, string>> = {
  'alerts.opportunity.match': 'New/updated opportunity matched a saved alert',
  'alerts.contract.match': 'New/updated contract matched a saved alert',
  'alerts.entity.match': 'Entity matched a saved alert',
  'alerts.grant.match': 'Grant matched a saved alert',
  'alerts.forecast.match': 'Forecast matched a saved alert',
  'alerts.exclusion.match': 'SAM.gov exclusion matched a saved alert',
  'alerts.dibbs_rfq.match': 'DLA DIBBS RFQ matched a saved alert',
  'alerts.dibbs_rfp.match': 'DLA DIBBS RFP matched a saved alert',
  'alerts.sled_opportunity.match': 'SLED opportunity matched a saved alert',
};

/** The alert types only the recipes name (their `query_type` choices), listed under the `recipe` catalog. */
const RECIPE_ONLY_EVENT_TYPES: Readonly<Record<string, string>> = {
  'alerts.idv.match': 'New/updated IDV matched a saved alert',
  'alerts.ota.match': 'New/updated OTA matched a saved alert',
  'alerts.otidv.match': 'New/updated OTIDV matched a saved alert',
};

/** Every event type `GET /api/webhooks/event-types/` lists under a catalog, with its description. */
export function catalogEventTypes(catalog: EventCatalog): Readonly<Record<string, string>> {
  return catalog === 'recipe' ? { ...SDK_EVENT_TYPES, ...RECIPE_ONLY_EVENT_TYPES } : SDK_EVENT_TYPES;
}

/** `alerts.<query_type>.match` -> `query_type`. */
export function alertQueryTypeOf(eventType: string): string | undefined {
  return /^alerts\.([a-z0-9_]+)\.match$/.exec(eventType)?.[1];
}

export const LEGACY_EVENT_TYPES = [
  'awards.new_award',
  'awards.new_transaction',
  'opportunities.new_opportunity',
  'opportunities.new_notice',
  'opportunities.updated',
  'entities.new_entity',
  'entities.updated',
  'grants.new_grant',
  'grants.updated',
  'forecasts.new_forecast',
  'forecasts.updated',
] as const;

const AWARD_TYPE: Partial<Record<Family, string>> = {
  contracts: 'contract',
  idvs: 'idv',
  otas: 'ota',
  otidvs: 'otidv',
};

/** `2026-07-06T14:03:11Z` (envelope timestamp) and `2026-07-06T14:03:10.221Z` (event times). */
export function envelopeTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function eventTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

function idValue(family: Family, record: JsonObject): JsonValue {
  return record[FAMILY_SPECS[family].idField] ?? null;
}

export interface AlertForEvent {
  readonly alert_id: string;
  readonly query_type: string;
  readonly filters: JsonObject;
}

/** A change of a family record or of a resource record (the webhook journal holds both). */
export type JournalChange = RecordChange | ResourceChange;

export function isResourceChange(change: JournalChange): change is ResourceChange {
  return 'resource' in change;
}

/** The `alerts.<query_type>.match` event for these changes, or undefined when nothing matched. */
export function buildAlertEvent(
  alert: AlertForEvent,
  changes: readonly JournalChange[],
  checkedAtMs: number,
  countsOnly: boolean,
): JsonObject | undefined {
  const resource = resourceForQueryType(alert.query_type);
  if (resource !== undefined) {
    return buildResourceAlertEvent(
      alert,
      resource,
      changes.filter(isResourceChange),
      checkedAtMs,
      countsOnly,
    );
  }
  const family = familyForQueryType(alert.query_type);
  if (family === undefined) {
    return undefined;
  }
  const latest = new Map<string, { record: JsonObject; isNew: boolean }>();
  const matches = alertPredicate(family, alert.filters);
  for (const change of changes) {
    if (isResourceChange(change) || change.family !== family || !matches(change.record)) {
      continue;
    }
    const previous = latest.get(change.id);
    latest.set(change.id, {
      record: change.record,
      isNew: (previous?.isNew ?? false) || change.kind === 'new',
    });
  }
  if (latest.size === 0) {
    return undefined;
  }
  const spec = FAMILY_SPECS[family];
  const fresh = [...latest.values()].filter((entry) => entry.isNew).map((entry) => entry.record);
  const modified = [...latest.values()].filter((entry) => !entry.isNew).map((entry) => entry.record);
  return alertEvent(
    alert,
    {
      fresh: fresh.map((record) => ({ id: idValue(family, record), summary: spec.summary(record) })),
      modified: modified.map((record) => ({ id: idValue(family, record), summary: spec.summary(record) })),
    },
    checkedAtMs,
    countsOnly,
  );
}

/**
 * An alert's filters as a predicate on resource records: the contract filters the simulator applies, with the list
 * semantics; other keys, and values Tango would refuse, are ignored (as for the families).
 */
function resourceAlertPredicate(resource: Resource, filters: JsonObject): (entry: ResourceEntry) => boolean {
  const spec = RESOURCE_SPECS[resource];
  const predicates: ((entry: ResourceEntry) => boolean)[] = [];
  for (const [key, value] of Object.entries(filters)) {
    const text = value === null || isJsonObject(value) || Array.isArray(value) ? undefined : String(value);
    try {
      const predicate = text === undefined ? undefined : resourceFilter(spec, key, text);
      if (predicate !== undefined) {
        predicates.push(predicate);
      }
    } catch (error) {
      if (!(error instanceof HttpFailure)) {
        throw error;
      }
    }
  }
  return (entry) => predicates.every((predicate) => predicate(entry));
}

/** A resource record's alert summary: its id field only (`RESOURCE_SPECS`; Tango's documents show no more). */
export function resourceSummary(resource: Resource, record: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const field of RESOURCE_SPECS[resource].summaryFields) {
    const value = record[field];
    if (value !== undefined) {
      out[field] = value;
    }
  }
  return out;
}

function buildResourceAlertEvent(
  alert: AlertForEvent,
  resource: Resource,
  changes: readonly ResourceChange[],
  checkedAtMs: number,
  countsOnly: boolean,
): JsonObject | undefined {
  const latest = new Map<string, { record: JsonObject; isNew: boolean }>();
  const matches = resourceAlertPredicate(resource, alert.filters);
  for (const change of changes) {
    const entry = { id: change.id, index: 0, record: change.record, changedMs: change.atMs };
    if (change.resource !== resource || !matches(entry)) {
      continue;
    }
    const previous = latest.get(change.id);
    latest.set(change.id, {
      record: change.record,
      isNew: (previous?.isNew ?? false) || change.kind === 'new',
    });
  }
  if (latest.size === 0) {
    return undefined;
  }
  const idField = RESOURCE_SPECS[resource].identity.idField;
  const toMatch = (record: JsonObject): AlertMatch => ({
    id: record[idField] ?? null,
    summary: resourceSummary(resource, record),
  });
  const entries = [...latest.values()];
  return alertEvent(
    alert,
    {
      fresh: entries.filter((entry) => entry.isNew).map((entry) => toMatch(entry.record)),
      modified: entries.filter((entry) => !entry.isNew).map((entry) => toMatch(entry.record)),
    },
    checkedAtMs,
    countsOnly,
  );
}

export interface AlertMatch {
  readonly id: JsonValue;
  readonly summary: JsonObject;
}

/** The `alerts.<query_type>.match` event for these matches (counts only: `{new_count, modified_count}`). */
export function alertEvent(
  alert: AlertForEvent,
  found: { readonly fresh: readonly AlertMatch[]; readonly modified: readonly AlertMatch[] },
  checkedAtMs: number,
  countsOnly: boolean,
): JsonObject {
  const matches: JsonObject = countsOnly
    ? { new_count: found.fresh.length, modified_count: found.modified.length }
    : {
        new_count: found.fresh.length,
        modified_count: found.modified.length,
        new: found.fresh.map((match) => match.summary),
        modified: found.modified.map((match) => match.summary),
        new_ids: found.fresh.map((match) => match.id),
        modified_ids: found.modified.map((match) => match.id),
      };
  return {
    event_type: `alerts.${alert.query_type}.match`,
    created_at: eventTimestamp(checkedAtMs + 221),
    alert_id: alert.alert_id,
    query_type: alert.query_type,
    filters: alert.filters,
    matches,
    checked_at: eventTimestamp(Math.floor(checkedAtMs / 1000) * 1000),
  };
}

export type LegacyAwardKeys = 'full' | 'bare' | 'mixed';

function legacyAwardKey(record: JsonObject, mode: LegacyAwardKeys): string {
  const key = typeof record.key === 'string' ? record.key : '';
  const piid = typeof record.piid === 'string' ? record.piid : key;
  const bare = mode === 'bare' || (mode === 'mixed' && hash32(key) % 2 === 0);
  return bare ? piid : key;
}

/** The legacy subject-based event for a change (notice changes are reported through their opportunity). */
export function buildLegacyEvent(change: RecordChange, awardKeys: LegacyAwardKeys): JsonObject | undefined {
  const head = { created_at: eventTimestamp(change.atMs) };
  const record = change.record;
  const awardType = AWARD_TYPE[change.family];
  if (awardType !== undefined) {
    const recipient = record.recipient;
    const recipientId = isJsonObject(recipient) && typeof recipient.uei === 'string' ? recipient.uei : null;
    const base = {
      award_type: awardType,
      award_key: legacyAwardKey(record, awardKeys),
      recipient_id: recipientId,
    };
    if (change.legacyChange === 'new_transaction') {
      return {
        event_type: 'awards.new_transaction',
        ...head,
        change: 'new_transaction',
        ...base,
        transaction_ids: [...(change.transactionIds ?? [])],
      };
    }
    return { event_type: 'awards.new_award', ...head, change: 'new_award', ...base };
  }
  switch (change.family) {
    case 'opportunities':
      return {
        event_type: `opportunities.${change.legacyChange}`,
        ...head,
        change: change.legacyChange,
        opportunity_id: change.id,
        ...(change.noticeId === undefined ? {} : { notice_id: change.noticeId }),
      };
    case 'entities':
      return {
        event_type: `entities.${change.legacyChange}`,
        ...head,
        change: change.legacyChange,
        uei: change.id,
      };
    case 'grants':
      return {
        event_type: `grants.${change.legacyChange}`,
        ...head,
        change: change.legacyChange,
        grant_id: idValue('grants', record),
      };
    case 'forecasts':
      return {
        event_type: `forecasts.${change.legacyChange}`,
        ...head,
        change: change.legacyChange,
        forecast_id: `${scalarText(record.source_system)}:${scalarText(record.external_id)}`,
        id: idValue('forecasts', record),
      };
    case 'contracts':
    case 'idvs':
    case 'otas':
    case 'otidvs':
    case 'notices':
      return undefined;
  }
}

export function alertsEnvelope(events: readonly JsonObject[], deliveryId: string, atMs: number): JsonObject {
  return { timestamp: envelopeTimestamp(atMs), delivery_id: deliveryId, events: [...events] };
}

export function legacyEnvelope(events: readonly JsonObject[], atMs: number): JsonObject {
  return { timestamp: envelopeTimestamp(atMs), events: [...events] };
}

/** A synthetic change for samples: record `record` of `family`, as new or modified. */
export function sampleChange(
  family: Family,
  record: JsonObject,
  kind: 'new' | 'modified',
  legacyChange: RecordChange['legacyChange'],
  atMs: number,
): RecordChange {
  return {
    family,
    id: recordId(FAMILY_SPECS[family], record),
    kind,
    legacyChange,
    record,
    atMs,
    transactionIds: kind === 'modified' ? ['TXN_KEY_A'] : [],
  };
}
