import { z } from 'zod';
import { resourceSizesSchema } from './resources/catalog';

/**
 * Which of Tango's documents the simulator's event-type catalog follows. `sdk` (the default): the list
 * `GET /api/webhooks/event-types/` serves as Tango's SDKs print it (tango-python docs/WEBHOOKS.md, 4.25 changelog):
 * alert types for opportunity, contract, entity, grant, forecast, exclusion, dibbs_rfq, dibbs_rfp and
 * sled_opportunity; no idv, ota or otidv, and no notice query type at all. `recipe`: the alert recipes' wider list,
 * which also accepts (and here delivers) `idv`, `ota` and `otidv` alerts.
 */
export const EVENT_CATALOGS = ['sdk', 'recipe'] as const;
export type EventCatalog = (typeof EVENT_CATALOGS)[number];

/** Record families the simulator serves, in ground-truth order. */
export const FAMILIES = [
  'contracts',
  'idvs',
  'otas',
  'otidvs',
  'opportunities',
  'notices',
  'entities',
  'grants',
  'forecasts',
] as const;
export const familySchema = z.enum(FAMILIES);
export type Family = z.infer<typeof familySchema>;

export const faultSettingsSchema = z.object({
  /** Added latency per response, real milliseconds, plus a uniform jitter. */
  latencyMs: z.number().int().min(0).default(0),
  latencyJitterMs: z.number().int().min(0).default(0),
  /** Shares (0..1) of `/api/` requests that get each fault. They are tried in this order. */
  serverErrorRate: z.number().min(0).max(1).default(0),
  timeoutRate: z.number().min(0).max(1).default(0),
  dropRate: z.number().min(0).max(1).default(0),
  truncateRate: z.number().min(0).max(1).default(0),
  errorIn200Rate: z.number().min(0).max(1).default(0),
  rateLimitStormRate: z.number().min(0).max(1).default(0),
  /** Faults apply to request paths matching this regular expression. */
  pathPattern: z.string().default('^/api/'),
});
export type FaultSettings = z.infer<typeof faultSettingsSchema>;

export const rateLimitSettingsSchema = z.object({
  burstLimit: z.number().int().positive().default(1000),
  /** Burst window length in simulated seconds. */
  burstWindowSeconds: z.number().positive().default(60),
  dailyLimit: z.number().int().positive().default(2_000_000),
  /** Daily window length in simulated seconds (fixed window from simulator start). */
  dailyWindowSeconds: z.number().positive().default(86_400),
});
export type RateLimitSettings = z.infer<typeof rateLimitSettingsSchema>;

export const datasetSizesSchema = z.object({
  contracts: z.number().int().min(0).default(1000),
  idvs: z.number().int().min(0).default(200),
  otas: z.number().int().min(0).default(100),
  otidvs: z.number().int().min(0).default(50),
  opportunities: z.number().int().min(0).default(300),
  notices: z.number().int().min(0).default(600),
  entities: z.number().int().min(0).default(500),
  grants: z.number().int().min(0).default(200),
  forecasts: z.number().int().min(0).default(200),
});
export type DatasetSizes = z.infer<typeof datasetSizesSchema>;

export const webhookSettingsSchema = z.object({
  /** Real milliseconds each delivery attempt may take before it counts as a timeout. */
  deliveryTimeoutMs: z.number().int().positive().default(10_000),
  /** First retry delay in simulated seconds; doubles per attempt. */
  retryBaseDelaySeconds: z.number().min(0).default(30),
  /** Attempts in total per error class (partner guide §9). */
  maxAttempts4xx: z.number().int().positive().default(2),
  maxAttempts5xx: z.number().int().positive().default(5),
  maxAttemptsNetwork: z.number().int().positive().default(7),
  breakerFailureThreshold: z.number().int().positive().default(5),
  breakerOpenSeconds: z.number().positive().default(300),
  breakerReopenSeconds: z.number().positive().default(600),
  /** Realtime alerts are evaluated every this many simulated seconds (Tango: every 5 minutes). */
  realtimeIntervalSeconds: z.number().positive().default(300),
  /** Run the alert scheduler at all (tests usually call `flush()` instead). */
  schedule: z.boolean().default(true),
  /** Share of alert events whose `matches` carry only `new_count`/`modified_count`. */
  countsOnlyShare: z.number().min(0).max(1).default(0),
  /** Legacy awards events: `award_key` as the full key, the bare PIID, or a deterministic mix. */
  legacyAwardKeys: z.enum(['full', 'bare', 'mixed']).default('mixed'),
  /** Also send `X-Tango-Event`, `X-Tango-Delivery-Id`, `X-Tango-Delivery-Timestamp` (claimed only by tango-rust). */
  extraHeaders: z.boolean().default(false),
  /** Deliberate delivery disorder. */
  duplicateRate: z.number().min(0).max(1).default(0),
  reorder: z.boolean().default(false),
  extraDelayMs: z.number().int().min(0).default(0),
});
export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;

export const simulatorOptionsSchema = z.object({
  host: z.literal('127.0.0.1').default('127.0.0.1'),
  port: z.number().int().min(0).max(65_535).default(0),
  seed: z.number().int().default(42),
  apiKeys: z.array(z.string().min(1)).min(1).default(['sim-key']),
  sizes: datasetSizesSchema.prefault({}),
  /**
   * Seeded record counts of the resources beyond the nine families, by mirror name (`{"exclusions": 200}`); the
   * others keep their small defaults (`RESOURCE_SPECS[name].defaultSize`: 16 to 60).
   */
  resourceSizes: resourceSizesSchema.prefault({}),
  /** The newest award_date of the seeded dataset (records get older with their index). */
  anchorDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default('2026-08-14'),
  /** Simulated seconds per real second: 60 turns a minute into a second. */
  timeScale: z.number().positive().default(1),
  rateLimits: rateLimitSettingsSchema.prefault({}),
  faults: faultSettingsSchema.prefault({}),
  webhooks: webhookSettingsSchema.prefault({}),
  /** Absolute base for `next`/`previous` links; default is `http://<Host header>`. */
  linkBaseUrl: z.url().optional(),
  /**
   * Refuse `shape` (lower tiers), with this status, on the families whose contract requires a shaping tier
   * (`shape_tier_required`: entities, opportunities and notices in API 4.22.0).
   */
  refuseProShapes: z.boolean().default(false),
  refuseProShapesStatus: z.number().int().min(400).max(499).default(403),
  defaultPageSize: z.number().int().min(1).max(100).default(10),
  /**
   * Honour `modified_after`/`modified_before` on award families too. Tango's contract has no such filter, so by
   * default they are ignored (and counted in `ignoredListParams`, as they are with this option on).
   */
  awardModifiedFilter: z.boolean().default(false),
  /**
   * The event-type catalog `GET /api/webhooks/event-types/` serves, and so the alert query types an alert may
   * have: `sdk` (what Tango's SDKs print: no idv, ota or otidv alert types) or `recipe` (the alert recipes' list,
   * with them). Creating an alert of a query type the catalog lacks is refused with a 400 naming the valid
   * choices, as Tango refuses an unknown `query_type`; such alerts never fire.
   */
  eventCatalog: z.enum(EVENT_CATALOGS).default('sdk'),
  /** Keep creating/modifying random records: events per simulated second (0 = off). */
  trickleRatePerSecond: z.number().min(0).default(0),
  /** Register this endpoint (with one realtime alert per query type) at start. */
  webhookTarget: z
    .object({
      url: z.url(),
      secret: z.string().min(1),
      format: z.enum(['alerts', 'legacy']).default('alerts'),
    })
    .optional(),
});
export type SimulatorOptionsInput = z.input<typeof simulatorOptionsSchema>;
export type SimulatorOptions = z.infer<typeof simulatorOptionsSchema>;
