import { Injectable } from '@nestjs/common';
import { type ZodType, z } from 'zod';
import { type TangoAnswer, TangoClient, pathFor } from './tango-client';
import { TangoRequestError } from './tango-errors';

/** A webhook endpoint as Tango shows it; `secret` only in the answer to its creation. */
export const webhookEndpointSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  callback_url: z.string(),
  is_active: z.boolean(),
  secret: z.string().optional(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

/** A filter alert as Tango shows it. `endpoint` is not in Tango's documented shape; read it when present. */
export const webhookAlertSchema = z.looseObject({
  alert_id: z.string().min(1),
  name: z.string(),
  query_type: z.string(),
  filters: z.record(z.string(), z.unknown()),
  frequency: z.string(),
  cron_expression: z.string().nullish(),
  status: z.string(),
  endpoint: z.string().nullish(),
  created_at: z.string().nullish(),
  last_checked_at: z.string().nullish(),
  match_count: z.number().nullish(),
});
export type WebhookAlert = z.infer<typeof webhookAlertSchema>;

export const eventTypesSchema = z.looseObject({
  event_types: z.array(
    z.looseObject({
      event_type: z.string().min(1),
      description: z.string().nullish(),
      schema_version: z.coerce.number().int().nullish(),
    }),
  ),
});
export type WebhookEventTypes = z.infer<typeof eventTypesSchema>;

const sampleDeliverySchema = z.looseObject({ events: z.array(z.unknown()) });

export const samplePayloadSchema = z.union([
  z.looseObject({
    event_type: z.string(),
    sample_delivery: sampleDeliverySchema,
    signature_header: z.string().optional(),
    note: z.string().optional(),
  }),
  z.looseObject({
    samples: z.record(z.string(), z.looseObject({ sample_delivery: sampleDeliverySchema })),
    signature_header: z.string().optional(),
    note: z.string().optional(),
  }),
]);
export type WebhookSamplePayload = z.infer<typeof samplePayloadSchema>;

export const testDeliveryResultSchema = z.looseObject({
  success: z.boolean(),
  status_code: z.number().int().nullish(),
  response_time_ms: z.number().nullish(),
  endpoint_url: z.string().nullish(),
  message: z.string().nullish(),
  error: z.string().nullish(),
  response_body: z.string().nullish(),
  test_payload: z.record(z.string(), z.unknown()).nullish(),
});
export type WebhookTestDeliveryResult = z.infer<typeof testDeliveryResultSchema>;

const pageSchema = z.looseObject({ next: z.string().nullish(), results: z.array(z.unknown()) });

export interface EndpointCreate {
  readonly name: string;
  readonly callback_url: string;
  readonly is_active?: boolean;
}
export type EndpointUpdate = Partial<EndpointCreate>;

export interface AlertCreate {
  readonly name: string;
  /** Singular: `contract`, not `contracts`. */
  readonly query_type: string;
  /** Required and non-empty. */
  readonly filters: Readonly<Record<string, unknown>>;
  readonly frequency?: string;
  readonly cron_expression?: string | null;
  /** Required when the account has several endpoints. */
  readonly endpoint?: string;
}

/** What Tango lets a PATCH change on an alert: `query_type` and `filters` are fixed at creation. */
export interface AlertUpdate {
  readonly name?: string;
  readonly frequency?: string;
  readonly cron_expression?: string | null;
  readonly is_active?: boolean;
}

/** Tango answered, but not with the document its API documents. */
export class TangoUnexpectedAnswerError extends TangoRequestError {
  constructor(route: string, status: number, problem: string) {
    super(
      'invalid_body',
      `Tango's answer to ${route} (${status}) is not what its API documents: ${problem}`,
      status,
      false,
    );
    this.name = 'TangoUnexpectedAnswerError';
  }
}

const MAX_PAGES = 200;
const PAGE_SIZE = 100;

/**
 * Tango's webhook management API (`/api/webhooks/`): endpoints, alerts, event types, sample payloads and test
 * deliveries, through the project's one Tango client (its pacing, retries and error types). Every answer is
 * checked with zod. Tango's SDKs are the reference for paths, paging parameters and body keys.
 */
@Injectable()
export class TangoWebhooksApi {
  constructor(private readonly tango: TangoClient) {}

  listEndpoints(): Promise<WebhookEndpoint[]> {
    return this.listAll(
      '/api/webhooks/endpoints/',
      'limit',
      webhookEndpointSchema,
      'webhooks.endpoints.list',
    );
  }

  async getEndpoint(id: string): Promise<WebhookEndpoint> {
    const route = 'webhooks.endpoints.get';
    return parse(
      route,
      webhookEndpointSchema,
      found(
        route,
        await this.tango.get({ path: endpointPath(id), priority: 'operator', route }),
        `endpoint ${id}`,
      ),
    );
  }

  async createEndpoint(input: EndpointCreate): Promise<WebhookEndpoint> {
    const route = 'webhooks.endpoints.create';
    const answer = await this.tango.write({
      method: 'POST',
      path: '/api/webhooks/endpoints/',
      body: input,
      route,
    });
    return parse(route, webhookEndpointSchema, answer);
  }

  async updateEndpoint(id: string, patch: EndpointUpdate): Promise<WebhookEndpoint> {
    const route = 'webhooks.endpoints.update';
    const answer = await this.tango.write({ method: 'PATCH', path: endpointPath(id), body: patch, route });
    return parse(route, webhookEndpointSchema, found(route, answer, `endpoint ${id}`));
  }

  /** Resolves false when Tango has no such endpoint (already deleted). */
  async deleteEndpoint(id: string): Promise<boolean> {
    const answer = await this.tango.write({
      method: 'DELETE',
      path: endpointPath(id),
      route: 'webhooks.endpoints.delete',
    });
    return answer.status !== 404;
  }

  listAlerts(): Promise<WebhookAlert[]> {
    return this.listAll('/api/webhooks/alerts/', 'page_size', webhookAlertSchema, 'webhooks.alerts.list');
  }

  async getAlert(id: string): Promise<WebhookAlert> {
    const route = 'webhooks.alerts.get';
    return parse(
      route,
      webhookAlertSchema,
      found(route, await this.tango.get({ path: alertPath(id), priority: 'operator', route }), `alert ${id}`),
    );
  }

  async createAlert(input: AlertCreate): Promise<WebhookAlert> {
    const route = 'webhooks.alerts.create';
    const answer = await this.tango.write({
      method: 'POST',
      path: '/api/webhooks/alerts/',
      body: input,
      route,
    });
    return parse(route, webhookAlertSchema, answer);
  }

  async updateAlert(id: string, patch: AlertUpdate): Promise<WebhookAlert> {
    const route = 'webhooks.alerts.update';
    const answer = await this.tango.write({ method: 'PATCH', path: alertPath(id), body: patch, route });
    return parse(route, webhookAlertSchema, found(route, answer, `alert ${id}`));
  }

  /** Resolves false when Tango has no such alert (already deleted). */
  async deleteAlert(id: string): Promise<boolean> {
    const answer = await this.tango.write({
      method: 'DELETE',
      path: alertPath(id),
      route: 'webhooks.alerts.delete',
    });
    return answer.status !== 404;
  }

  async eventTypes(): Promise<WebhookEventTypes> {
    const route = 'webhooks.event-types';
    const answer = await this.tango.get({ path: '/api/webhooks/event-types/', priority: 'operator', route });
    return parse(route, eventTypesSchema, answer);
  }

  async samplePayload(eventType?: string): Promise<WebhookSamplePayload> {
    const route = 'webhooks.sample-payload';
    const answer = await this.tango.get({
      path: '/api/webhooks/endpoints/sample-payload/',
      ...(eventType === undefined ? {} : { query: { event_type: eventType } }),
      priority: 'operator',
      route,
    });
    return parse(route, samplePayloadSchema, answer);
  }

  /**
   * Asks Tango to POST a signed test delivery to an endpoint now (omitted: the account's only endpoint) and says
   * what the endpoint answered. Sends the canonical `endpoint` key (Tango still accepts `endpoint_id`).
   */
  async testDelivery(endpointId?: string): Promise<WebhookTestDeliveryResult> {
    const route = 'webhooks.test-delivery';
    const answer = await this.tango.write({
      method: 'POST',
      path: '/api/webhooks/endpoints/test-delivery/',
      body: endpointId === undefined ? {} : { endpoint: endpointId },
      route,
    });
    return parse(
      route,
      testDeliveryResultSchema,
      found(route, answer, `endpoint ${endpointId ?? '(the only one)'}`),
    );
  }

  private async listAll<T>(
    path: string,
    sizeParam: 'limit' | 'page_size',
    item: ZodType<T>,
    route: string,
  ): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      const answer = await this.tango.get({
        path,
        query: { page: String(page), [sizeParam]: String(PAGE_SIZE) },
        priority: 'operator',
        route,
      });
      const parsed = parse(route, pageSchema, answer);
      for (const [index, raw] of parsed.results.entries()) {
        const one = item.safeParse(raw);
        if (!one.success) {
          throw new TangoUnexpectedAnswerError(
            route,
            answer.status,
            `item ${index} of page ${page}: ${one.error.message}`,
          );
        }
        items.push(one.data);
      }
      if (parsed.next === null || parsed.next === undefined || parsed.results.length === 0) {
        return items;
      }
    }
    throw new TangoUnexpectedAnswerError(route, 200, `more than ${MAX_PAGES} pages`);
  }
}

function endpointPath(id: string): string {
  return pathFor('webhooks/endpoints', id);
}

function alertPath(id: string): string {
  return pathFor('webhooks/alerts', id);
}

/** A 404 from Tango for a named object is an error for the operator, not an answer to read. */
function found(route: string, answer: TangoAnswer, what: string): TangoAnswer {
  if (answer.status === 404) {
    throw new TangoRequestError('not_found', `Tango has no ${what} (${route} answered 404)`, 404, false);
  }
  return answer;
}

function parse<T>(route: string, schema: ZodType<T>, answer: TangoAnswer): T {
  const result = schema.safeParse(answer.body);
  if (!result.success) {
    throw new TangoUnexpectedAnswerError(
      route,
      answer.status,
      result.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; '),
    );
  }
  return result.data;
}
