import Fastify, { type FastifyInstance } from 'fastify';
import { recordHttpDurations, UNMATCHED_ROUTE } from '../../../src/metrics/http-metrics';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { sampleValue } from './monitoring-files';

describe('process metrics', () => {
  it('keeps the stock Node.js names (no prefix) and the service label', async () => {
    const metrics = new MetricsService();
    const text = await metrics.registry.metrics();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(sampleValue(text, name, { service: 'tango-sync' })).toBeDefined();
    }
    expect(text).not.toMatch(/^tango_sync_(process|nodejs)_/m);
  });
});

describe('http_request_duration_seconds', () => {
  let fastify: FastifyInstance;
  let metrics: MetricsService;

  beforeEach(async () => {
    fastify = Fastify();
    metrics = new MetricsService();
    recordHttpDurations(fastify, metrics);
    fastify.get('/backfills/:id', (request, reply) => {
      const { id } = request.params as { id: string };
      return id === 'missing' ? reply.code(404).send({ error: 'no such job' }) : { id };
    });
    await fastify.ready();
  });

  afterEach(async () => {
    await fastify.close();
  });

  const countOf = async (method: string, route: string, statusCode: string): Promise<number | undefined> =>
    sampleValue(
      await metrics.registry.getSingleMetricAsString('http_request_duration_seconds'),
      'http_request_duration_seconds_count',
      { method, route, status_code: statusCode },
    );

  it('labels requests with the route template and status code, never the raw URL', async () => {
    await fastify.inject({ method: 'GET', url: '/backfills/1' });
    await fastify.inject({ method: 'GET', url: '/backfills/2' });
    await fastify.inject({ method: 'GET', url: '/backfills/missing' });
    expect(await countOf('GET', '/backfills/:id', '200')).toBe(2);
    expect(await countOf('GET', '/backfills/:id', '404')).toBe(1);
    const text = await metrics.registry.getSingleMetricAsString('http_request_duration_seconds');
    expect(text).not.toContain('/backfills/1');
  });

  it('puts requests no route matched under one route label', async () => {
    await fastify.inject({ method: 'GET', url: '/wp-admin/setup.php' });
    await fastify.inject({ method: 'POST', url: '/.env' });
    expect(await countOf('GET', UNMATCHED_ROUTE, '404')).toBe(1);
    expect(await countOf('POST', UNMATCHED_ROUTE, '404')).toBe(1);
  });
});
