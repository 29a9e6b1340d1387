import { randomUUID } from 'node:crypto';
import { type FastifyInstance } from 'fastify';
import { type ZodType, z } from 'zod';
import { type SimClock } from '../clock';
import { type JsonObject } from '../dataset/json';
import { type ApiContext, type ApiRequest, type ApiResult, registerApiRoute } from '../rest/api-route';
import { HttpFailure } from '../rest/http-failure';
import {
  RegistryError,
  alertCreateSchema,
  alertUpdateSchema,
  alertView,
  endpointCreateSchema,
  endpointUpdateSchema,
  endpointView,
} from './registry';
import { alertsEnvelope, eventTimestamp } from './envelopes';
import { type WebhookService } from './webhook-service';

const testDeliverySchema = z.object({ endpoint: z.string().optional(), endpoint_id: z.string().optional() });

/** DRF-style validation body: `{"field": ["message"]}`. */
function parseBody<T>(schema: ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) {
    return result.data;
  }
  const errors: JsonObject = {};
  for (const issue of result.error.issues) {
    const field = issue.path.length > 0 ? issue.path.join('.') : 'non_field_errors';
    const existing = errors[field];
    errors[field] = Array.isArray(existing) ? [...existing, issue.message] : [issue.message];
  }
  throw new HttpFailure(400, errors);
}

function paginate(request: ApiRequest, items: JsonObject[], sizeParam: 'limit' | 'page_size'): ApiResult {
  const size = Math.min(Number.parseInt(request.query[sizeParam] ?? '', 10) || 25, 100);
  const page = Math.max(1, Number.parseInt(request.query.page ?? '', 10) || 1);
  const link = (n: number): string => {
    const url = new URL(request.url, request.linkBase);
    url.searchParams.set('page', String(n));
    return url.toString();
  };
  return {
    status: 200,
    body: {
      count: items.length,
      next: page * size < items.length ? link(page + 1) : null,
      previous: page > 1 ? link(page - 1) : null,
      results: items.slice((page - 1) * size, page * size),
    },
  };
}

/** `/api/webhooks/`: event types, endpoints (secret only on create), alerts, test delivery, sample payloads. */
export function registerWebhookRoutes(
  app: FastifyInstance,
  ctx: ApiContext,
  service: WebhookService,
  clock: SimClock,
): void {
  const registry = service.registry;
  const guard = (work: () => ApiResult | Promise<ApiResult>) => async (): Promise<ApiResult> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RegistryError) {
        throw new HttpFailure(error.status, error.body);
      }
      throw error;
    }
  };
  const endpointOr404 = (id: string | undefined) => {
    const endpoint = id === undefined ? undefined : registry.endpoints.get(id);
    if (endpoint === undefined) {
      throw new HttpFailure(404, { detail: 'No WebhookEndpoint matches the given query.' });
    }
    return endpoint;
  };
  const alertOr404 = (id: string | undefined) => {
    const alert = id === undefined ? undefined : registry.alerts.get(id);
    if (alert === undefined) {
      throw new HttpFailure(404, { detail: 'No WebhookAlert matches the given query.' });
    }
    return alert;
  };
  const nowIso = (): string => new Date(clock.now()).toISOString();

  registerApiRoute(app, ctx, 'GET', '/api/webhooks/event-types/', () => ({
    status: 200,
    body: service.eventTypes(),
  }));

  registerApiRoute(app, ctx, 'GET', '/api/webhooks/endpoints/', (request) =>
    paginate(
      request,
      [...registry.endpoints.values()].map((endpoint) => endpointView(endpoint, false)),
      'limit',
    ),
  );
  registerApiRoute(app, ctx, 'POST', '/api/webhooks/endpoints/', (request) =>
    guard(() => {
      const endpoint = registry.createEndpoint(
        parseBody(endpointCreateSchema, request.body),
        nowIso(),
        service.journalSeq,
      );
      return { status: 201, body: endpointView(endpoint, true) };
    })(),
  );
  registerApiRoute(app, ctx, 'GET', '/api/webhooks/endpoints/:id/', (request) => ({
    status: 200,
    body: endpointView(endpointOr404(request.params.id), false),
  }));
  registerApiRoute(app, ctx, 'PATCH', '/api/webhooks/endpoints/:id/', (request) => {
    const endpoint = endpointOr404(request.params.id);
    const patch = parseBody(endpointUpdateSchema, request.body);
    if (
      patch.name !== undefined &&
      [...registry.endpoints.values()].some((other) => other.id !== endpoint.id && other.name === patch.name)
    ) {
      throw new HttpFailure(400, { name: ['webhook endpoint with this name already exists.'] });
    }
    Object.assign(endpoint, patch);
    endpoint.updated_at = nowIso();
    return { status: 200, body: endpointView(endpoint, false) };
  });
  registerApiRoute(app, ctx, 'DELETE', '/api/webhooks/endpoints/:id/', (request) => {
    registry.endpoints.delete(endpointOr404(request.params.id).id);
    return { status: 204 };
  });

  registerApiRoute(app, ctx, 'POST', '/api/webhooks/endpoints/test-delivery/', (request) =>
    guard(async () => {
      const body = parseBody(testDeliverySchema, request.body);
      const endpoint = registry.resolveEndpoint(body.endpoint ?? body.endpoint_id);
      const now = clock.now();
      const deliveryId = randomUUID();
      const event: JsonObject = {
        event_type: 'alerts.contract.match',
        created_at: eventTimestamp(now),
        alert_id: randomUUID(),
        query_type: 'contract',
        filters: { test_delivery: true },
        matches: { new_count: 0, modified_count: 0, new: [], modified: [], new_ids: [], modified_ids: [] },
        checked_at: eventTimestamp(now),
      };
      const payload = alertsEnvelope([event], deliveryId, now);
      const result = await service.dispatcher.post(
        endpoint.callback_url,
        Buffer.from(JSON.stringify(payload), 'utf8'),
        endpoint.secret,
      );
      const success = result.status !== null && result.status >= 200 && result.status < 300;
      return {
        status: 200,
        body: {
          success,
          status_code: result.status,
          response_time_ms: result.elapsedMs,
          endpoint_url: endpoint.callback_url,
          message: success
            ? `Test delivery successful! Response time: ${result.elapsedMs}ms. Your webhook endpoint is configured correctly.`
            : `Test delivery failed with status ${result.status ?? 'none'}. Please check your endpoint implementation and ensure it returns 2xx status codes.`,
          error: result.error,
          response_body: result.body,
          test_payload: payload,
        },
      };
    })(),
  );

  registerApiRoute(app, ctx, 'GET', '/api/webhooks/endpoints/sample-payload/', (request) => {
    const signatureHeader = 'X-Tango-Signature: sha256=<hmac>';
    const note =
      'Simulator sample built from seeded records; build against the delivery format, not this preview.';
    const eventType = request.query.event_type;
    if (eventType !== undefined && eventType !== '') {
      const sample = service.sampleDelivery(eventType);
      if (sample === undefined) {
        throw new HttpFailure(400, { event_type: [`Unknown event type: ${eventType}`] });
      }
      return {
        status: 200,
        body: { event_type: eventType, sample_delivery: sample, signature_header: signatureHeader, note },
      };
    }
    const samples: JsonObject = {};
    for (const type of service.allEventTypes()) {
      const sample = service.sampleDelivery(type);
      if (sample !== undefined) {
        samples[type] = { sample_delivery: sample };
      }
    }
    return {
      status: 200,
      body: {
        samples,
        usage: 'GET ?event_type=<event_type> for one sample.',
        signature_header: signatureHeader,
        note,
      },
    };
  });

  registerApiRoute(app, ctx, 'GET', '/api/webhooks/alerts/', (request) =>
    paginate(request, [...registry.alerts.values()].map(alertView), 'page_size'),
  );
  registerApiRoute(app, ctx, 'POST', '/api/webhooks/alerts/', (request) =>
    guard(() => {
      const input = parseBody(alertCreateSchema, request.body);
      const now = clock.now();
      const alert = registry.createAlert(
        input,
        now,
        service.journalSeq,
        now + service.intervalMs(input.frequency),
      );
      return { status: 201, body: alertView(alert) };
    })(),
  );
  registerApiRoute(app, ctx, 'GET', '/api/webhooks/alerts/:id/', (request) => ({
    status: 200,
    body: alertView(alertOr404(request.params.id)),
  }));
  registerApiRoute(app, ctx, 'PATCH', '/api/webhooks/alerts/:id/', (request) => {
    const alert = alertOr404(request.params.id);
    const patch = parseBody(alertUpdateSchema, request.body);
    if (patch.name !== undefined) {
      alert.name = patch.name;
    }
    if (patch.frequency !== undefined) {
      alert.frequency = patch.frequency;
    }
    if (patch.cron_expression !== undefined) {
      alert.cron_expression = patch.cron_expression;
    }
    if (patch.is_active !== undefined) {
      alert.status = patch.is_active ? 'active' : 'paused';
    }
    if (patch.status !== undefined) {
      alert.status = patch.status;
    }
    return { status: 200, body: alertView(alert) };
  });
  registerApiRoute(app, ctx, 'DELETE', '/api/webhooks/alerts/:id/', (request) => {
    registry.alerts.delete(alertOr404(request.params.id).alert_id);
    return { status: 204 };
  });
}
