import Fastify, { type FastifyRequest } from 'fastify';
import { SimClock } from './clock';
import { SimulatorControl } from './control';
import { registerControlRoutes } from './control-routes';
import { SimContract } from './contract/sim-contract';
import { Counters } from './counters';
import { Dataset } from './dataset/store';
import { FaultInjector } from './faults';
import { type SimulatorOptions, type SimulatorOptionsInput, simulatorOptionsSchema } from './options';
import { RateLimiter } from './rate-limit';
import { type ApiContext } from './rest/api-route';
import { ListEngine } from './rest/list-engine';
import { RecordRoutes } from './rest/record-routes';
import { ResourceRoutes } from './resources/routes';
import { ResourceStore } from './resources/store';
import { Trickle } from './trickle';
import { registerWebhookRoutes } from './webhooks/webhook-routes';
import { WebhookService } from './webhooks/webhook-service';

export { SimulatorControl, MATCH_ALL_FILTERS } from './control';
export { SimContract, ContractControlError } from './contract/sim-contract';
export { FULL_SHAPES, DEFAULT_LIST_SHAPES } from './dataset/full-shapes';
export { contractConformanceIssues, type ConformanceIssue } from './contract/conformance';
export type { CountersSnapshot } from './counters';
export type { SendEventInput, EventTypeInfo } from './webhooks/webhook-service';
export { canonicalJson, contentHash } from './canonical-hash';
export { signBody, signatureHeaderValue, verifySignature } from './webhooks/signer';
export type { SimulatorOptions, SimulatorOptionsInput, Family } from './options';
export { FAMILIES } from './options';
export { RESOURCES, RESOURCE_SPECS, type Resource } from './resources/catalog';

export interface RunningSimulator {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly port: number;
  readonly options: SimulatorOptions;
  readonly control: SimulatorControl;
  close(): Promise<void>;
}

/** Starts a simulator on 127.0.0.1 (port 0 picks a free one). Options are validated with zod. */
export async function startSimulator(input: SimulatorOptionsInput = {}): Promise<RunningSimulator> {
  const options = simulatorOptionsSchema.parse(input);
  const clock = new SimClock(options.timeScale);
  const counters = new Counters();
  const dataset = new Dataset(
    options.seed,
    options.sizes,
    options.anchorDate,
    () => clock.now(),
    new SimContract(),
  );
  const resources = new ResourceStore(dataset.ctx, options.resourceSizes, () => clock.now());
  const faults = new FaultInjector(options.faults, options.seed);
  const rateLimiter = new RateLimiter(options.rateLimits, clock);
  const shapeTier = { refuse: options.refuseProShapes };
  const controlRef: { current?: SimulatorControl } = {};
  const webhooks = new WebhookService(
    dataset,
    () => controlRef.current?.webhookSettingsNow() ?? options.webhooks,
    clock,
    counters,
    options.seed,
    options.eventCatalog,
    resources,
  );
  const trickle = new Trickle(dataset, clock, options.seed);
  const control = new SimulatorControl(
    dataset,
    webhooks,
    faults,
    rateLimiter,
    counters,
    trickle,
    clock,
    options.webhooks,
    shapeTier,
    resources,
  );
  controlRef.current = control;

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 10 * 1024 * 1024 });
  const heldRequests = new Set<FastifyRequest>();
  const ctx: ApiContext = {
    apiKeys: new Set(options.apiKeys),
    rateLimiter,
    faults,
    counters,
    heldRequests,
    ...(options.linkBaseUrl === undefined ? {} : { linkBaseUrl: options.linkBaseUrl }),
  };
  new RecordRoutes(dataset, new ListEngine(dataset), counters, {
    defaultPageSize: options.defaultPageSize,
    awardModifiedFilter: options.awardModifiedFilter,
    refuseProShapes: () => shapeTier.refuse,
    refuseProShapesStatus: options.refuseProShapesStatus,
  }).register(app, ctx);
  new ResourceRoutes(resources, counters, {
    defaultPageSize: options.defaultPageSize,
    refuseProShapes: () => shapeTier.refuse,
    refuseProShapesStatus: options.refuseProShapesStatus,
  }).register(app, ctx);
  registerWebhookRoutes(app, ctx, webhooks, clock);
  registerControlRoutes(app, control, counters);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (request.method === 'GET' && path.startsWith('/api/') && !path.endsWith('/')) {
      const query = request.url.slice(path.length);
      return reply.code(301).header('location', `${path}/${query}`).send();
    }
    return reply.code(404).send({ detail: 'Not found.' });
  });

  await app.listen({ host: options.host, port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  webhooks.start();
  if (options.webhookTarget !== undefined) {
    control.registerWebhook({
      url: options.webhookTarget.url,
      secret: options.webhookTarget.secret,
      format: options.webhookTarget.format,
      name: 'sim-target',
    });
  }
  trickle.setRate(options.trickleRatePerSecond);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    options,
    control,
    async close(): Promise<void> {
      trickle.stop();
      for (const request of heldRequests) {
        request.raw.socket.destroy();
      }
      await webhooks.close();
      await app.close();
    },
  };
}
