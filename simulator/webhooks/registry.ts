import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type JsonObject } from '../dataset/json';
import { generateSecret } from './signer';

const jsonObjectSchema = z.record(z.string(), z.json());

export const endpointCreateSchema = z.object({
  name: z.string().min(1),
  callback_url: z.url(),
  is_active: z.boolean().default(true),
  /** Simulator-only: choose the secret (the demo shares it with the worker) and the delivery format. */
  secret: z.string().min(1).optional(),
  format: z.enum(['alerts', 'legacy']).default('alerts'),
});
export type EndpointCreate = z.input<typeof endpointCreateSchema>;

export const endpointUpdateSchema = z.object({
  name: z.string().min(1).optional(),
  callback_url: z.url().optional(),
  is_active: z.boolean().optional(),
});

export const FREQUENCIES = ['realtime', 'daily', 'weekly', 'custom'] as const;

export const alertCreateSchema = z.object({
  name: z.string().min(1),
  /** One of the alert query types of the event types (checked by the registry: they can change at run time). */
  query_type: z.string().min(1),
  filters: jsonObjectSchema.refine(
    (value) => Object.keys(value).length > 0,
    'filters must be a non-empty object',
  ),
  frequency: z.enum(FREQUENCIES).default('realtime'),
  cron_expression: z.string().nullable().default(null),
  endpoint: z.uuid().optional(),
  /** Simulator-only: deliver this alert's matches as counts only. */
  counts_only: z.boolean().optional(),
});
export type AlertCreate = z.input<typeof alertCreateSchema>;

export const alertUpdateSchema = z.object({
  name: z.string().min(1).optional(),
  frequency: z.enum(FREQUENCIES).optional(),
  cron_expression: z.string().nullable().optional(),
  is_active: z.boolean().optional(),
  status: z.enum(['active', 'paused']).optional(),
});

export interface WebhookEndpoint {
  readonly id: string;
  name: string;
  callback_url: string;
  readonly secret: string;
  is_active: boolean;
  readonly created_at: string;
  updated_at: string;
  readonly format: 'alerts' | 'legacy';
  /** Journal position already turned into legacy events. */
  legacySeq: number;
}

export interface WebhookAlert {
  readonly alert_id: string;
  name: string;
  readonly query_type: string;
  readonly filters: JsonObject;
  frequency: (typeof FREQUENCIES)[number];
  cron_expression: string | null;
  status: 'active' | 'paused';
  readonly endpoint: string;
  readonly created_at: string;
  last_checked_at: string | null;
  match_count: number;
  readonly countsOnly: boolean | undefined;
  /** Journal position already evaluated, and when the alert is next due (real ms). */
  seq: number;
  nextDueAt: number;
}

export class RegistryError extends Error {
  readonly code = 'SIMULATOR.WEBHOOK_REGISTRY';

  constructor(
    readonly status: number,
    readonly body: JsonObject,
  ) {
    super(`registry error ${status}`);
  }
}

/** Webhook endpoints and alerts, in memory, as `/api/webhooks/` manages them. */
export class WebhookRegistry {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  readonly alerts = new Map<string, WebhookAlert>();

  /** `queryTypes` lists the alert query types Tango accepts now (`alerts.<query_type>.match` event types). */
  constructor(private readonly queryTypes: () => readonly string[]) {}

  createEndpoint(input: z.output<typeof endpointCreateSchema>, nowIso: string, seq: number): WebhookEndpoint {
    if ([...this.endpoints.values()].some((endpoint) => endpoint.name === input.name)) {
      throw new RegistryError(400, { name: ['webhook endpoint with this name already exists.'] });
    }
    const endpoint: WebhookEndpoint = {
      id: randomUUID(),
      name: input.name,
      callback_url: input.callback_url,
      secret: input.secret ?? generateSecret(),
      is_active: input.is_active,
      created_at: nowIso,
      updated_at: nowIso,
      format: input.format,
      legacySeq: seq,
    };
    this.endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }

  /** The endpoint an alert or test delivery refers to; omitted means the caller's only endpoint. */
  resolveEndpoint(id: string | undefined): WebhookEndpoint {
    if (id !== undefined) {
      const endpoint = this.endpoints.get(id);
      if (endpoint === undefined) {
        throw new RegistryError(404, { detail: 'No WebhookEndpoint matches the given query.' });
      }
      return endpoint;
    }
    const all = [...this.endpoints.values()];
    const only = all[0];
    if (only === undefined) {
      throw new RegistryError(404, { detail: 'No webhook endpoint configured.' });
    }
    if (all.length > 1) {
      throw new RegistryError(400, { endpoint: ['Several webhook endpoints exist; specify one.'] });
    }
    return only;
  }

  createAlert(
    input: z.output<typeof alertCreateSchema>,
    nowMs: number,
    seq: number,
    dueAt: number,
  ): WebhookAlert {
    const known = this.queryTypes();
    if (!known.includes(input.query_type)) {
      throw new RegistryError(400, {
        query_type: [`"${input.query_type}" is not a valid choice. Valid choices: ${known.join(', ')}.`],
      });
    }
    const endpoint = this.resolveEndpoint(input.endpoint);
    const alert: WebhookAlert = {
      alert_id: randomUUID(),
      name: input.name,
      query_type: input.query_type,
      filters: input.filters,
      frequency: input.frequency,
      cron_expression: input.cron_expression,
      status: 'active',
      endpoint: endpoint.id,
      created_at: new Date(nowMs).toISOString(),
      last_checked_at: null,
      match_count: 0,
      countsOnly: input.counts_only,
      seq,
      nextDueAt: dueAt,
    };
    this.alerts.set(alert.alert_id, alert);
    return alert;
  }
}

export function endpointView(endpoint: WebhookEndpoint, withSecret: boolean): JsonObject {
  return {
    id: endpoint.id,
    name: endpoint.name,
    callback_url: endpoint.callback_url,
    ...(withSecret ? { secret: endpoint.secret } : {}),
    is_active: endpoint.is_active,
    created_at: endpoint.created_at,
    updated_at: endpoint.updated_at,
  };
}

export function alertView(alert: WebhookAlert): JsonObject {
  return {
    alert_id: alert.alert_id,
    name: alert.name,
    query_type: alert.query_type,
    filters: alert.filters,
    frequency: alert.frequency,
    cron_expression: alert.cron_expression,
    status: alert.status,
    endpoint: alert.endpoint,
    created_at: alert.created_at,
    last_checked_at: alert.last_checked_at,
    match_count: alert.match_count,
  };
}
