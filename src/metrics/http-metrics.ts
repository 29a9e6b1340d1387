import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type MetricsService } from './metrics.service';

/** Prometheus client libraries' default HTTP buckets (5 ms to 10 s). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** The route label of requests no route matched: their raw URLs would make one series per scanner probe. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The route template (`/backfills/:id`), never the raw URL, so the label set stays as small as the route table. */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/**
 * `http_request_duration_seconds{method,route,status_code}` for every answer the server gives (Nest controllers,
 * the webhook's own Fastify scope, 404s), from an onResponse hook on the root instance. Must be called before the
 * app is initialised: Fastify copies root hooks into the scopes registered after them.
 */
export function recordHttpDurations(fastify: FastifyInstance, metrics: MetricsService): void {
  const durations = metrics.histogram(
    'http_request_duration_seconds',
    'Time from receiving an HTTP request to finishing its answer, by route template and status code',
    HTTP_BUCKETS,
    ['method', 'route', 'status_code'],
  );
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    durations.observe(
      { method: request.method, route: routeLabel(request), status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
