import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sleep } from '../clock';
import { type Counters } from '../counters';
import { tangoContract } from '../../src/tango-contract/tango-contract';
import { type FaultInjector } from '../faults';
import { type RateLimiter, rateLimitBody } from '../rate-limit';
import { HttpFailure } from './http-failure';
import { type QueryParams } from './list-query';

/** The `x-tango-api-version` every answer carries: the version of the contract the simulator obeys. */
export const API_VERSION = tangoContract().apiVersion;

export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: QueryParams;
  readonly body: unknown;
  readonly apiKey: string;
  /** `http://<host>` or the configured link base, for absolute `next`/`previous` links. */
  readonly linkBase: string;
}

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type ApiHandler = (request: ApiRequest) => ApiResult | Promise<ApiResult>;

export interface ApiContext {
  readonly apiKeys: ReadonlySet<string>;
  readonly rateLimiter: RateLimiter;
  readonly faults: FaultInjector;
  readonly counters: Counters;
  readonly linkBaseUrl?: string;
  /** Requests held open by the timeout fault; destroyed on close. */
  readonly heldRequests: Set<FastifyRequest>;
}

function normalizeQuery(raw: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null) {
    return out;
  }
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') {
      out[key] = value;
    } else if (Array.isArray(value)) {
      const last: unknown = value[value.length - 1];
      if (typeof last === 'string') {
        out[key] = last;
      }
    }
  }
  return out;
}

function normalizeParams(raw: unknown): Record<string, string> {
  return normalizeQuery(raw);
}

function send(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>>,
  started: bigint,
): void {
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  void reply
    .code(status)
    .headers({ ...headers, 'x-tango-api-version': API_VERSION, 'x-execution-time': `${elapsed.toFixed(3)}s` })
    .type('application/json')
    .send(body === undefined ? '' : JSON.stringify(body));
}

/** Writes headers announcing the full body, then half of it, then drops the connection. */
function sendTruncated(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>>,
): void {
  const bytes = Buffer.from(JSON.stringify(body ?? {}), 'utf8');
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(bytes.length),
  });
  raw.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
    raw.destroy();
  });
}

/**
 * Registers an `/api/` route behind Tango's gates: API key (401), rate limits (429 and `X-RateLimit-*` on every
 * response), then the configured faults; DRF-style failures thrown by the handler become their status and body.
 */
export function registerApiRoute(
  app: FastifyInstance,
  ctx: ApiContext,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  handler: ApiHandler,
): void {
  const routeName = `${method} ${url}`;
  app.route({
    method,
    url,
    handler: async (request, reply) => {
      const started = process.hrtime.bigint();
      const header = request.headers['x-api-key'];
      const apiKey = typeof header === 'string' ? header : '';
      if (!ctx.apiKeys.has(apiKey)) {
        const peek = ctx.rateLimiter.check(`anonymous:${apiKey}`, false);
        ctx.counters.request(routeName, 401);
        const detail = apiKey === '' ? 'Authentication credentials were not provided.' : 'Invalid API key.';
        send(reply, 401, { detail }, peek.headers, started);
        return reply;
      }
      const limit = ctx.rateLimiter.check(apiKey);
      if (!limit.allowed) {
        const wait = limit.waitSeconds ?? 1;
        ctx.counters.add('rateLimited');
        ctx.counters.request(routeName, 429);
        send(
          reply,
          429,
          rateLimitBody(limit.limitType ?? 'burst', wait),
          { ...limit.headers, 'Retry-After': String(wait) },
          started,
        );
        return reply;
      }
      const fault = ctx.faults.decide(request.url.split('?')[0] ?? request.url);
      if (fault.latencyMs > 0) {
        await sleep(fault.latencyMs);
      }
      if (fault.kind !== 'none') {
        ctx.counters.fault(fault.kind);
      }
      switch (fault.kind) {
        case 'timeout':
          ctx.counters.request(routeName, 0);
          reply.hijack();
          ctx.heldRequests.add(request);
          request.raw.on('close', () => ctx.heldRequests.delete(request));
          return reply;
        case 'drop':
          ctx.counters.request(routeName, 0);
          reply.hijack();
          request.raw.socket.destroy();
          return reply;
        case 'server-error':
          ctx.counters.request(routeName, fault.status);
          send(reply, fault.status, { detail: 'Internal server error (injected).' }, limit.headers, started);
          return reply;
        case 'error-200':
          ctx.counters.request(routeName, 200);
          send(
            reply,
            200,
            { error: 'Upstream query failed, please retry (injected).' },
            limit.headers,
            started,
          );
          return reply;
        case 'rate-limit-storm': {
          ctx.counters.add('rateLimited');
          ctx.counters.request(routeName, 429);
          const body = rateLimitBody('burst', 1);
          send(
            reply,
            429,
            body,
            {
              ...limit.headers,
              'X-RateLimit-Remaining': '0',
              'X-RateLimit-Burst-Remaining': '0',
              'Retry-After': '1',
            },
            started,
          );
          return reply;
        }
        case 'truncate':
        case 'none':
          break;
      }
      let result: ApiResult;
      try {
        result = await handler({
          method,
          url: request.url,
          params: normalizeParams(request.params),
          query: normalizeQuery(request.query),
          body: request.body,
          apiKey,
          linkBase: ctx.linkBaseUrl ?? `http://${request.headers.host ?? '127.0.0.1'}`,
        });
      } catch (error) {
        if (!(error instanceof HttpFailure)) {
          throw error;
        }
        result = { status: error.status, body: error.body };
      }
      ctx.counters.request(routeName, result.status);
      const headers = { ...limit.headers, ...(result.headers ?? {}) };
      if (fault.kind === 'truncate') {
        sendTruncated(reply, result.status, result.body, headers);
        return reply;
      }
      send(reply, result.status, result.body, headers, started);
      return reply;
    },
  });
}
