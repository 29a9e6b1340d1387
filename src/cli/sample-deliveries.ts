import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { type JsonRecord, type JsonValue } from '../common/json';

/**
 * Representative deliveries for `simulate --event-type`, built locally from the simulator's fixtures
 * (simulator/fixtures/sample-alert-events.json, read when a sample is first asked for; the image ships it).
 */

/** The fixture file, relative to the package root (the folder of tango-sync's package.json). */
export const SAMPLE_EVENTS_FILE = join('simulator', 'fixtures', 'sample-alert-events.json');

const SAMPLE_ALERT_ID = '00000000-0000-4000-8000-000000000000';

const jsonRecord: z.ZodType<JsonRecord> = z.record(z.string(), z.json());

const alertSampleSchema = z.object({
  /** The summary field the worker takes the record id from. */
  idField: z.string().min(1),
  filters: jsonRecord,
  fresh: z.array(jsonRecord),
  modified: z.array(jsonRecord),
});

const sampleEventsSchema = z.object({
  description: z.string().optional(),
  /** Representative matches per alert query type, with ids the worker's parser accepts for that family. */
  alerts: z.record(z.string().regex(/^[a-z0-9_]+$/), alertSampleSchema),
  /** The legacy subject-based events (`{"events":[{"event_type":…, <ids>}]}`), by event type. */
  legacy: z.record(z.string().min(1), jsonRecord),
});

type SampleEvents = z.output<typeof sampleEventsSchema>;

const manifestSchema = z.looseObject({ name: z.literal('tango-sync') });

function isPackageRoot(dir: string): boolean {
  try {
    return manifestSchema.safeParse(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).success;
  } catch {
    return false;
  }
}

/** The folder of tango-sync's package.json, above `from` (the sources, `dist/`, or the image's /app). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isPackageRoot(dir)) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`cannot find the tango-sync package root above ${from}`);
    }
  }
}

/** Reads and checks the fixture file; a problem names the file and the first bad field. */
export function readSampleEvents(path: string): SampleEvents {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'not JSON' : String((error as NodeJS.ErrnoException).code);
    throw new Error(`cannot read the sample deliveries ${path} (${reason})`, { cause: error });
  }
  const result = sampleEventsSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(
      `the sample deliveries ${path} are invalid: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}`,
    );
  }
  return result.data;
}

let cached: SampleEvents | undefined;

function sampleEvents(): SampleEvents {
  cached ??= readSampleEvents(join(packageRoot(), SAMPLE_EVENTS_FILE));
  return cached;
}

/** Every event type `simulate --event-type` builds a delivery for. */
export function sampleEventTypes(): string[] {
  const samples = sampleEvents();
  return [
    ...Object.keys(samples.alerts).map((queryType) => `alerts.${queryType}.match`),
    ...Object.keys(samples.legacy),
  ];
}

/** An alert delivery in Tango's envelope (`{timestamp, delivery_id, events}`). */
function alertDelivery(
  eventType: string,
  queryType: string,
  alert: SampleEvents['alerts'][string],
  now: Date,
  deliveryId: string,
): JsonRecord {
  const ids = (summaries: readonly JsonRecord[]): JsonValue[] =>
    summaries.map((summary) => summary[alert.idField] ?? null);
  const checkedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
  return {
    timestamp: `${now.toISOString().slice(0, 19)}Z`,
    delivery_id: deliveryId,
    events: [
      {
        event_type: eventType,
        created_at: now.toISOString(),
        alert_id: SAMPLE_ALERT_ID,
        query_type: queryType,
        filters: alert.filters,
        matches: {
          new_count: alert.fresh.length,
          modified_count: alert.modified.length,
          new: [...alert.fresh],
          modified: [...alert.modified],
          new_ids: ids(alert.fresh),
          modified_ids: ids(alert.modified),
        },
        checked_at: checkedAt.toISOString(),
      },
    ],
  };
}

/**
 * A representative delivery for an event type, built locally: alerts in Tango's envelope
 * (`{timestamp, delivery_id, events}`), legacy types in their subject-based form. Undefined for unknown types.
 */
export function sampleDelivery(eventType: string, now: Date, deliveryId: string): JsonRecord | undefined {
  const samples = sampleEvents();
  const queryType = /^alerts\.([a-z0-9_]+)\.match$/.exec(eventType)?.[1];
  const alert =
    queryType === undefined || !Object.hasOwn(samples.alerts, queryType)
      ? undefined
      : samples.alerts[queryType];
  if (queryType !== undefined && alert !== undefined) {
    return alertDelivery(eventType, queryType, alert, now, deliveryId);
  }
  const legacy = Object.hasOwn(samples.legacy, eventType) ? samples.legacy[eventType] : undefined;
  return legacy === undefined ? undefined : { events: [{ event_type: eventType, ...legacy }] };
}
