import { z } from 'zod';
import {
  alertQueryTypeOf,
  FAMILIES,
  familyForQueryType,
  fetchesById,
  type IdKind,
  incomingRecordId,
  readLegacyEvent,
} from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';

/**
 * Turns the raw bytes of a Tango delivery into events and fetch targets. Tolerant by design: it accepts the
 * current alerts envelope, the legacy subject-based envelope, a single event object at the top level, and ids as
 * strings or numbers. It never throws; what it cannot use is reported as problems, and the caller stores the
 * delivery raw either way.
 */

export interface RecordTarget {
  readonly kind: 'record';
  readonly resource: ResourceFamily;
  readonly recordId: string;
  readonly idKind: IdKind;
  readonly reason: string;
}

/** No ids came with a match: re-run the alert's filters against the list endpoint so no change is lost. */
export interface SweepTarget {
  readonly kind: 'sweep';
  readonly resource: ResourceFamily;
  readonly recordId: string;
  readonly idKind: 'alert';
  readonly reason: string;
  readonly sweep: {
    readonly alertId: string | null;
    readonly queryType: string;
    readonly filters: Readonly<Record<string, unknown>>;
    readonly checkedAt: string | null;
    readonly newCount: number | null;
    readonly modifiedCount: number | null;
    /** The ids the alert named, for a resource fetched by re-running its poll until they are seen. */
    readonly ids?: readonly string[];
  };
}

export type FetchTarget = RecordTarget | SweepTarget;

/**
 * `recognized`: understood and turned into fetch targets; `not_mirrored`: a well-formed event about a family the
 * mirror does not cover (`alerts.exclusion.match`), stored and never re-parsed; `unrecognized`: an event type the
 * parser does not know (kept for `reprocess-deliveries` once it does); `malformed`: unusable content.
 */
export type EventStatus = 'recognized' | 'unrecognized' | 'malformed' | 'not_mirrored';

export interface ParsedEvent {
  readonly index: number;
  readonly eventType: string | null;
  readonly status: EventStatus;
  readonly problems: readonly string[];
  readonly alertId: string | null;
  readonly queryType: string | null;
  readonly resource: ResourceFamily | null;
  /** Every family this event is a delivery for (its own and those it names records of), for the health module. */
  readonly deliveredFor: readonly ResourceFamily[];
  readonly checkedAt: string | null;
  readonly createdAt: string | null;
  /**
   * An alert match's counts: Tango's `new_count`/`modified_count`, else the number of ids or summaries it sent;
   * null for other events. The health module sums them against `match_count`.
   */
  readonly newCount: number | null;
  readonly modifiedCount: number | null;
  /** The event as received (not stored separately: the delivery's raw body holds it). */
  readonly payload: unknown;
  readonly targets: readonly FetchTarget[];
  /**
   * Targets left out because the event (or its delivery) named more than the fan-out limits allow. They are not
   * lost: the health module turns them into a gap that a sweep repairs.
   */
  readonly idsDropped: number;
}

/** How much work one delivery may create (WEBHOOK_MAX_IDS_PER_EVENT, WEBHOOK_MAX_IDS_PER_DELIVERY). */
export interface FanOutLimits {
  readonly perEvent: number;
  readonly perDelivery: number;
}

const NO_LIMITS: FanOutLimits = { perEvent: Number.POSITIVE_INFINITY, perDelivery: Number.POSITIVE_INFINITY };

export function fanOutLimitsOf(config: {
  readonly webhook: { readonly maxIdsPerEvent: number; readonly maxIdsPerDelivery: number };
}): FanOutLimits {
  return { perEvent: config.webhook.maxIdsPerEvent, perDelivery: config.webhook.maxIdsPerDelivery };
}

export type DeliveryFormat = 'alerts' | 'legacy' | 'mixed' | 'single_event' | 'empty' | 'unknown';
export type DeliveryStatus = 'processed' | 'unrecognized' | 'malformed' | 'not_mirrored';

export interface ParsedDelivery {
  readonly format: DeliveryFormat;
  readonly status: DeliveryStatus;
  readonly deliveryId: string | null;
  readonly tangoTimestamp: string | null;
  readonly events: readonly ParsedEvent[];
  readonly problems: readonly string[];
}

/** Counts are stored as Postgres integers; a larger one is treated as absent (the raw body keeps it). */
const MAX_COUNT = 2_147_483_647;

const looseObject = z.record(z.string(), z.unknown());

const envelopeSchema = z.looseObject({
  timestamp: z.unknown().optional(),
  delivery_id: z.unknown().optional(),
  events: z.array(z.unknown()),
});

const matchesSchema = z.looseObject({
  new: z.array(z.unknown()).optional().catch(undefined),
  modified: z.array(z.unknown()).optional().catch(undefined),
  new_ids: z.array(z.unknown()).optional().catch(undefined),
  modified_ids: z.array(z.unknown()).optional().catch(undefined),
  new_count: z.number().int().nonnegative().max(MAX_COUNT).optional().catch(undefined),
  modified_count: z.number().int().nonnegative().max(MAX_COUNT).optional().catch(undefined),
});

/** Every resource: a parse that is not told which resources run (tools, samples) reads them all. */
const EVERY_RESOURCE: ReadonlySet<ResourceFamily> = new Set(RESOURCE_FAMILIES);

/**
 * Parses one delivery. `mirrored` is the set of resources the worker runs (`TANGO_RESOURCES`): an alert of a
 * resource it knows but does not run is stored as `not_mirrored`, like one of a resource it does not know.
 */
export function parseDelivery(
  rawBody: Buffer,
  headerDeliveryId?: string,
  limits: FanOutLimits = NO_LIMITS,
  mirrored: ReadonlySet<ResourceFamily> = EVERY_RESOURCE,
): ParsedDelivery {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    return malformedDelivery(headerDeliveryId, [`body is not JSON: ${(error as Error).message}`]);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return malformedDelivery(headerDeliveryId, ['body is not a JSON object']);
  }
  const body = json as Record<string, unknown>;
  const problems: string[] = [];
  const envelope = envelopeSchema.safeParse(body);
  let rawEvents: unknown[];
  let singleEvent = false;
  if (envelope.success) {
    rawEvents = envelope.data.events;
  } else if (typeof body.event_type === 'string') {
    // One SDK documents a bare event object (with an optional `data` wrapper) instead of `events[]`.
    rawEvents = [body];
    singleEvent = true;
  } else if ('events' in body) {
    return malformedDelivery(headerDeliveryId, ['`events` is not an array'], body);
  } else {
    return malformedDelivery(headerDeliveryId, ['neither `events[]` nor a top-level `event_type`'], body);
  }

  const deliveryId = textId(body.delivery_id) ?? nonEmpty(headerDeliveryId);
  if (body.delivery_id !== undefined && textId(body.delivery_id) === null) {
    problems.push('`delivery_id` is not a string');
  }
  const tangoTimestamp = isoTimestamp(body.timestamp, 'timestamp', problems);
  const events = limitFanOut(
    rawEvents.map((raw, index) => parseEvent(raw, index, mirrored)),
    limits,
  );
  const anyAlerts = events.some((event) => event.eventType?.startsWith('alerts.') === true);
  const anyLegacy = events.some(
    (event) => event.eventType !== null && !event.eventType.startsWith('alerts.'),
  );
  const format: DeliveryFormat = singleEvent
    ? 'single_event'
    : events.length === 0
      ? 'empty'
      : anyAlerts && anyLegacy
        ? 'mixed'
        : anyAlerts
          ? 'alerts'
          : anyLegacy
            ? 'legacy'
            : 'unknown';
  const status: DeliveryStatus = events.some((event) => event.status === 'malformed')
    ? 'malformed'
    : events.some((event) => event.status === 'unrecognized')
      ? 'unrecognized'
      : events.length > 0 && events.every((event) => event.status === 'not_mirrored')
        ? 'not_mirrored'
        : 'processed';
  return { format, status, deliveryId, tangoTimestamp, events, problems };
}

/**
 * Keeps each event's targets within the per-event limit and the delivery's within the per-delivery limit, in the
 * order they came; what is left out is counted on its event (and becomes a gap to sweep, not a fetch target).
 */
function limitFanOut(events: ParsedEvent[], limits: FanOutLimits): ParsedEvent[] {
  let left = limits.perDelivery;
  return events.map((event) => {
    const allowed = Math.max(0, Math.min(limits.perEvent, left));
    if (event.targets.length <= allowed) {
      left -= event.targets.length;
      return event;
    }
    left -= allowed;
    const dropped = event.targets.length - allowed;
    const limit =
      allowed === limits.perEvent ? `${limits.perEvent} per event` : `${limits.perDelivery} per delivery`;
    return {
      ...event,
      targets: event.targets.slice(0, allowed),
      idsDropped: dropped,
      problems: [
        ...event.problems,
        `${dropped} of ${event.targets.length} targets over the limit of ${limit}: left to a sweep of the gap they open`,
      ],
    };
  });
}

function malformedDelivery(
  headerDeliveryId: string | undefined,
  problems: string[],
  body?: Record<string, unknown>,
): ParsedDelivery {
  return {
    format: 'unknown',
    status: 'malformed',
    deliveryId: textId(body?.delivery_id) ?? nonEmpty(headerDeliveryId),
    tangoTimestamp: null,
    events: [],
    problems,
  };
}

function parseEvent(raw: unknown, index: number, mirrored: ReadonlySet<ResourceFamily>): ParsedEvent {
  const problems: string[] = [];
  const base = {
    index,
    alertId: null,
    queryType: null,
    resource: null,
    deliveredFor: [],
    checkedAt: null,
    createdAt: null,
    newCount: null,
    modifiedCount: null,
    payload: raw,
    targets: [],
    idsDropped: 0,
  };
  const object = looseObject.safeParse(raw);
  if (!object.success) {
    return { ...base, eventType: null, status: 'malformed', problems: ['event is not a JSON object'] };
  }
  // The single-event variant may wrap its fields in `data`; fields at the top level win.
  // (Checked for presence first: a failed parse builds an error object, and most events have no `data`.)
  const data = object.data.data === undefined ? undefined : looseObject.safeParse(object.data.data);
  const event: Record<string, unknown> =
    data?.success === true ? { ...data.data, ...object.data } : object.data;
  const eventType = typeof event.event_type === 'string' ? event.event_type.trim() : null;
  const createdAt = isoTimestamp(event.created_at, 'created_at', problems);
  if (eventType === null || eventType === '') {
    return {
      ...base,
      eventType: null,
      createdAt,
      status: 'malformed',
      problems: [...problems, 'event has no `event_type`'],
    };
  }
  const alertQueryType = alertQueryTypeOf(eventType);
  if (alertQueryType !== null) {
    return parseAlertEvent(event, eventType, alertQueryType, { ...base, createdAt }, problems, mirrored);
  }
  return parseLegacyEvent(event, eventType, { ...base, createdAt }, problems, mirrored);
}

type EventBase = Omit<ParsedEvent, 'eventType' | 'status' | 'problems'>;

function parseAlertEvent(
  event: Record<string, unknown>,
  eventType: string,
  typeFromEventType: string,
  base: EventBase,
  problems: string[],
  mirrored: ReadonlySet<ResourceFamily>,
): ParsedEvent {
  const queryType =
    typeof event.query_type === 'string' && event.query_type.trim() !== ''
      ? event.query_type.trim()
      : typeFromEventType;
  const alertId = textId(event.alert_id);
  const checkedAt = isoTimestamp(event.checked_at, 'checked_at', problems);
  const known = familyForQueryType(queryType) ?? null;
  const resource = known !== null && mirrored.has(known) ? known : null;
  const common = {
    ...base,
    eventType,
    alertId,
    queryType,
    resource,
    deliveredFor: resource === null ? [] : [resource],
    checkedAt,
  };
  if (resource === null) {
    // A well-formed alert of a family tango-sync does not cover: stored, counted, never re-parsed.
    return {
      ...common,
      status: 'not_mirrored',
      problems: [
        ...problems,
        known === null
          ? `alert query type "${queryType}" is not mirrored`
          : `alert query type "${queryType}" is ${known}, which TANGO_RESOURCES does not turn on`,
      ],
    };
  }
  const matchesResult = matchesSchema.safeParse(event.matches);
  if (!matchesResult.success) {
    return {
      ...common,
      status: 'malformed',
      problems: [...problems, '`matches` is missing or not an object'],
    };
  }
  const matches = matchesResult.data;
  const matched = matchTargets(matches, resource, eventType, problems);
  const newCount = matches.new_count ?? null;
  const modifiedCount = matches.modified_count ?? null;
  // A resource whose records Tango serves by no route the worker may use (`fetchesById`) is brought in by
  // re-running what the alert matched (its refresh poll, until the named ids are seen), never by guessing a route.
  const byId = fetchesById(FAMILIES[resource]);
  const { idsFound } = matched;
  const targets: FetchTarget[] = byId ? matched.targets : [];
  // Counts without (enough) ids: the ids we have are fetched, and a sweep re-runs the alert so none is lost.
  const missingIds = !byId || (newCount ?? 0) > idsFound.new || (modifiedCount ?? 0) > idsFound.modified;
  if (missingIds) {
    targets.push({
      kind: 'sweep',
      resource,
      recordId: `alert:${alertId ?? 'unknown'}`,
      idKind: 'alert',
      reason: `${eventType}:sweep`,
      sweep: {
        alertId,
        queryType,
        filters: looseObject.safeParse(event.filters).data ?? {},
        checkedAt,
        newCount,
        modifiedCount,
        ...(byId ? {} : { ids: matched.targets.map((target) => target.recordId) }),
      },
    });
  }
  return {
    ...common,
    newCount: newCount ?? matches.new_ids?.length ?? matches.new?.length ?? null,
    modifiedCount: modifiedCount ?? matches.modified_ids?.length ?? matches.modified?.length ?? null,
    status: 'recognized',
    problems,
    targets,
  };
}

/** The record targets of an alert's matches, each id once; `new` first, explicit id lists over summaries. */
function matchTargets(
  matches: z.infer<typeof matchesSchema>,
  resource: ResourceFamily,
  eventType: string,
  problems: string[],
): { targets: FetchTarget[]; idsFound: { new: number; modified: number } } {
  const targets: FetchTarget[] = [];
  const seen = new Set<string>();
  const idsFound = { new: 0, modified: 0 };
  for (const change of ['new', 'modified'] as const) {
    const explicit = matches[`${change}_ids`];
    const summaries = matches[change];
    const candidates: unknown[] =
      explicit !== undefined && explicit.length > 0
        ? explicit
        : (summaries ?? []).map((summary) => idFromSummary(summary, resource));
    for (const candidate of candidates) {
      const target = recordTarget(resource, candidate, `${eventType}:${change}`, problems);
      if (target !== null && !seen.has(target.recordId)) {
        seen.add(target.recordId);
        targets.push(target);
        idsFound[change] += 1;
      }
    }
  }
  return { targets, idsFound };
}

function idFromSummary(summary: unknown, resource: ResourceFamily): unknown {
  const object = looseObject.safeParse(summary);
  if (!object.success) {
    return summary;
  }
  for (const field of FAMILIES[resource].summaryIdFields) {
    if (object.data[field] !== undefined && object.data[field] !== null) {
      return object.data[field];
    }
  }
  return undefined;
}

/** Legacy subject-based events, read by the family descriptors' `legacy` hooks. */
function parseLegacyEvent(
  event: Record<string, unknown>,
  eventType: string,
  base: EventBase,
  problems: string[],
  mirrored: ReadonlySet<ResourceFamily>,
): ParsedEvent {
  const common = { ...base, eventType };
  const reading = readLegacyEvent(eventType, event);
  if (reading === null) {
    return {
      ...common,
      status: 'unrecognized',
      problems: [...problems, `event type "${eventType}" is not known`],
    };
  }
  if (reading.problem !== null) {
    problems.push(reading.problem);
  }
  const targets: FetchTarget[] = [];
  for (const { resource, id } of reading.records) {
    if (!mirrored.has(resource)) {
      problems.push(`${resource} is not turned on (TANGO_RESOURCES)`);
      continue;
    }
    const target = recordTarget(resource, id, eventType, problems);
    if (
      target !== null &&
      !targets.some((existing) => existing.resource === resource && existing.recordId === target.recordId)
    ) {
      targets.push(target);
    }
  }
  const { resource } = reading;
  // A legacy `opportunities.new_notice` is a delivery for notices too, even when it names only the opportunity.
  const deliveredFor = [
    ...new Set([
      ...(resource === null ? [] : [resource]),
      ...targets.map((target) => target.resource),
      ...reading.deliveredFor,
    ]),
  ];
  if (targets.length === 0) {
    return {
      ...common,
      resource,
      deliveredFor,
      status: 'malformed',
      problems: [...problems, 'event names no record to fetch'],
    };
  }
  return { ...common, resource, deliveredFor, status: 'recognized', problems, targets };
}

/** Validates one id for its family; an unusable id is a problem, never a guess. */
function recordTarget(
  resource: ResourceFamily,
  raw: unknown,
  reason: string,
  problems: string[],
): RecordTarget | null {
  const id = incomingRecordId(resource, raw);
  if (!id.ok) {
    problems.push(id.problem);
    return null;
  }
  return { kind: 'record', resource, recordId: id.recordId, idKind: id.idKind, reason };
}

function textId(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return typeof value === 'string' && value.trim() !== '' && value.length <= 200 ? value.trim() : null;
}

function nonEmpty(value: string | undefined): string | null {
  return value !== undefined && value.trim() !== '' && value.length <= 200 ? value.trim() : null;
}

/**
 * Normalised timestamps by their text. The events of one delivery mostly repeat the same few `created_at` and
 * `checked_at` values, and parsing dates is a large share of the parser's time; the cache is small and bounded.
 */
const normalisedTimestamps = new Map<string, string | null>();
const MAX_CACHED_TIMESTAMPS = 1_000;

function isoTimestamp(value: unknown, field: string, problems: string[]): string | null {
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value === 'string') {
    let normalised = normalisedTimestamps.get(value);
    if (normalised === undefined) {
      const millis = Date.parse(value);
      normalised = Number.isNaN(millis) ? null : new Date(millis).toISOString();
      if (normalisedTimestamps.size >= MAX_CACHED_TIMESTAMPS) {
        normalisedTimestamps.clear();
      }
      normalisedTimestamps.set(value, normalised);
    }
    if (normalised !== null) {
      return normalised;
    }
  }
  problems.push(`\`${field}\` is not an ISO timestamp`);
  return null;
}
