import { Readable } from 'node:stream';
import { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { type SimulatorControl } from './control';
import { type Counters } from './counters';
import { RecordMutationError } from './dataset/store';
import { groundTruthChunks, groundTruthNdjson } from './ground-truth';
import {
  FAMILIES,
  faultSettingsSchema,
  familySchema,
  rateLimitSettingsSchema,
  webhookSettingsSchema,
} from './options';
import { ContractControlError } from './contract/sim-contract';
import { RESOURCES, isResource, resourceSchema } from './resources/catalog';
import { ALERT_QUERY_TYPES } from './webhooks/envelopes';
import { RegistryError, alertCreateSchema, alertView, endpointView } from './webhooks/registry';

const fieldsBodySchema = z.object({ fields: z.record(z.string(), z.json()).optional() }).optional();
const registerSchema = z.object({
  url: z.url(),
  secret: z.string().min(1).optional(),
  format: z.enum(['alerts', 'legacy']).optional(),
  name: z.string().min(1).optional(),
  query_types: z.array(z.enum(ALERT_QUERY_TYPES)).optional(),
  frequency: z.enum(['realtime', 'daily', 'weekly', 'custom']).optional(),
  filters: z.record(z.string(), z.json()).optional(),
  counts_only: z.boolean().optional(),
});
/** A family or a resource beyond the nine (by mirror name: `exclusions`, `dibbs_rfqs`, …). */
const recordParamsSchema = z.object({
  family: z.union([familySchema, resourceSchema]),
  id: z.string().optional(),
});
const contractFieldParamsSchema = z.object({ family: familySchema, field: z.string().min(1) });
const eventTypeSchema = z.object({
  event_type: z.string().min(1),
  description: z.string().optional(),
  schema_version: z.number().int().positive().optional(),
});
const sendEventSchema = z.object({
  event_type: z.string().min(1).optional(),
  query_type: z.string().min(1).optional(),
  endpoint: z.string().optional(),
  alert_id: z.string().optional(),
  filters: z.record(z.string(), z.json()).optional(),
  new_ids: z.array(z.json()).optional(),
  modified_ids: z.array(z.json()).optional(),
  counts_only: z.boolean().optional(),
  fields: z.record(z.string(), z.json()).optional(),
});
const stateQuerySchema = z.object({
  family: z.string().optional(),
  format: z.enum(['json', 'ndjson']).optional(),
});

function registryFailure(reply: FastifyReply, error: RegistryError): FastifyReply {
  return reply.code(error.status).send(error.body);
}

function badRequest(reply: FastifyReply, error: unknown): FastifyReply {
  const message =
    error instanceof z.ZodError
      ? z.prettifyError(error)
      : error instanceof Error
        ? error.message
        : String(error);
  return reply.code(400).send({ error: message });
}

/** `/_sim/`: the control API of a standalone simulator (no API key, loopback only). */
export function registerControlRoutes(
  app: FastifyInstance,
  control: SimulatorControl,
  counters: Counters,
): void {
  app.get('/_sim/state', async (request, reply) => {
    const query = stateQuerySchema.safeParse(request.query);
    if (!query.success) {
      return badRequest(reply, query.error);
    }
    const names = query.data.family?.split(',').map((name) => recordParamsSchema.shape.family.parse(name));
    const families = names?.filter((name) => !isResource(name)) ?? [...FAMILIES];
    const resources = { store: control.resources, names: names?.filter(isResource) ?? RESOURCES };
    const ndjson = query.data.format === 'ndjson';
    const chunks = ndjson
      ? groundTruthNdjson(control.dataset, counters, families, resources)
      : groundTruthChunks(control.dataset, counters, families, resources);
    return reply.type(ndjson ? 'application/x-ndjson' : 'application/json').send(Readable.from(chunks));
  });
  app.get('/_sim/counters', () => control.counters());
  app.post('/_sim/counters/reset', (_request, reply) => {
    control.resetCounters();
    return reply.code(204).send();
  });

  app.get('/_sim/records/:family/:id', (request, reply) => {
    const params = recordParamsSchema.parse(request.params);
    const record = control.getRecord(params.family, params.id ?? '');
    return record ?? reply.code(404).send({ detail: 'not found' });
  });
  app.post('/_sim/records/:family', (request, reply) => {
    try {
      const params = recordParamsSchema.parse(request.params);
      const body = fieldsBodySchema.parse(request.body ?? undefined);
      return reply.code(201).send(control.createRecord(params.family, body?.fields));
    } catch (error) {
      if (error instanceof z.ZodError || error instanceof RecordMutationError) {
        return badRequest(reply, error);
      }
      throw error;
    }
  });
  app.patch('/_sim/records/:family/:id', (request, reply) => {
    try {
      const params = recordParamsSchema.parse(request.params);
      const body = fieldsBodySchema.parse(request.body ?? undefined);
      const record = control.modifyRecord(params.family, params.id ?? '', body?.fields);
      return record ?? reply.code(404).send({ detail: 'not found' });
    } catch (error) {
      if (error instanceof z.ZodError || error instanceof RecordMutationError) {
        return badRequest(reply, error);
      }
      throw error;
    }
  });
  app.delete('/_sim/records/:family/:id', (request, reply) => {
    const params = recordParamsSchema.parse(request.params);
    return control.deleteRecord(params.family, params.id ?? '')
      ? reply.code(204).send()
      : reply.code(404).send({ detail: 'not found' });
  });

  app.post('/_sim/flush', async () => {
    const deliveries = await control.flush();
    return { deliveries: deliveries.map(({ body: _body, ...rest }) => rest) };
  });
  app.get('/_sim/deliveries', () => ({
    deliveries: control.deliveries().map(({ body: _body, ...rest }) => rest),
    attempts: control.attempts(),
  }));
  app.get('/_sim/breakers/:endpointId', (request) => {
    const { endpointId } = z.object({ endpointId: z.string() }).parse(request.params);
    return { endpoint: endpointId, state: control.breakerState(endpointId) };
  });
  app.post('/_sim/webhooks/register', (request, reply) => {
    const parsed = registerSchema.safeParse(request.body);
    if (!parsed.success) {
      return badRequest(reply, parsed.error);
    }
    const input = parsed.data;
    let registered: ReturnType<SimulatorControl['registerWebhook']>;
    try {
      registered = control.registerWebhook({
        url: input.url,
        ...(input.secret === undefined ? {} : { secret: input.secret }),
        ...(input.format === undefined ? {} : { format: input.format }),
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.query_types === undefined ? {} : { queryTypes: input.query_types }),
        ...(input.frequency === undefined ? {} : { frequency: input.frequency }),
        ...(input.filters === undefined ? {} : { filters: input.filters }),
        ...(input.counts_only === undefined ? {} : { countsOnly: input.counts_only }),
      });
    } catch (error) {
      if (error instanceof RegistryError) {
        return registryFailure(reply, error);
      }
      throw error;
    }
    const { endpoint, alerts } = registered;
    return reply
      .code(201)
      .send({ endpoint: endpointView(endpoint, true), alerts: alerts.map((alert) => alert.alert_id) });
  });
  app.post('/_sim/alerts', (request, reply) => {
    const parsed = alertCreateSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      return badRequest(reply, parsed.error);
    }
    try {
      return reply.code(201).send(alertView(control.createAlert(parsed.data)));
    } catch (error) {
      if (error instanceof RegistryError) {
        return registryFailure(reply, error);
      }
      throw error;
    }
  });
  app.post('/_sim/webhooks/send', async (request, reply) => {
    const parsed = sendEventSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      return badRequest(reply, parsed.error);
    }
    const input = parsed.data;
    try {
      const deliveries = await control.sendEvent({
        ...(input.event_type === undefined ? {} : { eventType: input.event_type }),
        ...(input.query_type === undefined ? {} : { queryType: input.query_type }),
        ...(input.endpoint === undefined ? {} : { endpointId: input.endpoint }),
        ...(input.alert_id === undefined ? {} : { alertId: input.alert_id }),
        ...(input.filters === undefined ? {} : { filters: input.filters }),
        ...(input.new_ids === undefined ? {} : { newIds: input.new_ids }),
        ...(input.modified_ids === undefined ? {} : { modifiedIds: input.modified_ids }),
        ...(input.counts_only === undefined ? {} : { countsOnly: input.counts_only }),
        ...(input.fields === undefined ? {} : { fields: input.fields }),
      });
      return {
        deliveries: deliveries.map(({ body, ...rest }) => ({ ...rest, body: body.toString('utf8') })),
      };
    } catch (error) {
      if (error instanceof RegistryError) {
        return registryFailure(reply, error);
      }
      throw error;
    }
  });

  app.get('/_sim/event-types', () => control.eventTypes());
  app.post('/_sim/event-types', (request, reply) => {
    const parsed = eventTypeSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      return badRequest(reply, parsed.error);
    }
    const info = control.addEventType(
      parsed.data.event_type,
      parsed.data.description,
      parsed.data.schema_version,
    );
    return reply.code(201).send({
      event_type: info.eventType,
      description: info.description,
      schema_version: info.schemaVersion,
    });
  });
  app.delete('/_sim/event-types/:eventType', (request, reply) => {
    const { eventType } = z.object({ eventType: z.string() }).parse(request.params);
    return control.removeEventType(eventType)
      ? reply.code(204).send()
      : reply.code(404).send({ detail: 'not an event type added at run time' });
  });

  app.get('/_sim/contract', () => ({
    api_version: control.dataset.contract.apiVersion,
    removed: control.contractRemovals(),
  }));
  app.delete('/_sim/contract', () => {
    control.restoreContract();
    return { removed: control.contractRemovals() };
  });
  app.delete('/_sim/contract/:family/fields/:field', (request, reply) => {
    const params = contractFieldParamsSchema.safeParse(request.params);
    if (!params.success) {
      return reply.code(404).send({ detail: 'no such family' });
    }
    try {
      return { removed: control.removeContractField(params.data.family, params.data.field) };
    } catch (error) {
      if (error instanceof ContractControlError) {
        return reply.code(404).send({ detail: error.message });
      }
      throw error;
    }
  });
  app.put('/_sim/contract/:family/fields/:field', (request, reply) => {
    const params = contractFieldParamsSchema.safeParse(request.params);
    if (!params.success) {
      return reply.code(404).send({ detail: 'no such family' });
    }
    const restored = control.restoreContractField(params.data.family, params.data.field);
    return { restored, removed: control.contractRemovals() };
  });

  const settingsRoute = <T extends object>(
    path: string,
    get: () => T,
    set: (patch: Partial<T>) => T,
    schema: z.ZodType<Partial<T>>,
  ): void => {
    app.get(path, () => get());
    app.put(path, (request, reply) => {
      const parsed = schema.safeParse(request.body ?? {});
      return parsed.success ? set(parsed.data) : badRequest(reply, parsed.error);
    });
  };
  settingsRoute(
    '/_sim/faults',
    () => control.faults(),
    (patch) => control.setFaults(patch),
    faultSettingsSchema.partial(),
  );
  app.delete('/_sim/faults', () => control.resetFaults());
  settingsRoute(
    '/_sim/rate-limits',
    () => control.rateLimits(),
    (patch) => control.setRateLimits(patch),
    rateLimitSettingsSchema.partial(),
  );
  settingsRoute(
    '/_sim/webhook-settings',
    () => control.webhookSettingsNow(),
    (patch) => control.setWebhookSettings(patch),
    webhookSettingsSchema.partial(),
  );
  app.put('/_sim/trickle', (request) => {
    const body = z.object({ rate_per_second: z.number().min(0) }).parse(request.body);
    control.setTrickleRate(body.rate_per_second);
    return body;
  });
  app.put('/_sim/time-scale', (request) => {
    const body = z.object({ time_scale: z.number().positive() }).parse(request.body);
    control.setTimeScale(body.time_scale);
    return body;
  });
  app.put('/_sim/shape-tier', (request) => {
    const body = z.object({ refuse_pro_shapes: z.boolean() }).parse(request.body);
    control.setRefuseProShapes(body.refuse_pro_shapes);
    return body;
  });
}
