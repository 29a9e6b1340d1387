import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';

export const API_KEY = 'sim-key';

/** A record as the tests read it; leaf values go through `text()` / `num()`. */
export type Row = Readonly<Record<string, unknown>>;

export interface ListBody {
  count: number;
  next: string | null;
  previous: string | null;
  cursor: string | null;
  previous_cursor: string | null;
  results: Row[];
}

export interface DeliveryBody {
  timestamp: string;
  delivery_id?: string;
  events: Row[];
}

export interface JsonResponse<T> {
  status: number;
  headers: Record<string, string>;
  body: T;
}

/** Text of a string or number; anything else as JSON (so comparisons never see `[object Object]`). */
export function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

export function num(value: unknown): number {
  if (typeof value !== 'number') {
    throw new Error(`expected a number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** GET `path` on the simulator with the API key (or the given headers), parsing JSON when there is a body. */
export async function getJson<T = Row>(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = { 'x-api-key': API_KEY },
): Promise<JsonResponse<T>> {
  const response = await request(`${baseUrl}${path}`, { headers });
  const payload = await response.body.text();
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers)) {
    flat[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return {
    status: response.statusCode,
    headers: flat,
    body: payload === '' ? undefined : JSON.parse(payload),
  };
}

export async function sendJson<T = Row>(
  baseUrl: string,
  method: 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  path: string,
  body?: unknown,
  withKey = true,
): Promise<JsonResponse<T>> {
  const response = await request(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(withKey ? { 'x-api-key': API_KEY } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const payload = await response.body.text();
  return { status: response.statusCode, headers: {}, body: payload === '' ? undefined : JSON.parse(payload) };
}

export interface ReceivedDelivery {
  raw: Buffer;
  signature: string | undefined;
  body: DeliveryBody;
}

/** A local webhook receiver that records raw bodies; `respond` decides each status code. */
export class Receiver {
  readonly deliveries: ReceivedDelivery[] = [];
  respond: (delivery: ReceivedDelivery, n: number) => number = () => 200;
  private app: FastifyInstance | undefined;
  url = '';

  async start(): Promise<this> {
    const app = Fastify();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });
    app.post('/hook', (req, reply) => {
      const raw = req.body as Buffer;
      const header = req.headers['x-tango-signature'];
      const delivery = {
        raw,
        signature: typeof header === 'string' ? header : undefined,
        body: JSON.parse(raw.toString('utf8')),
      };
      this.deliveries.push(delivery);
      void reply.code(this.respond(delivery, this.deliveries.length)).send({ ok: true });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/hook`;
    this.app = app;
    return this;
  }

  async close(): Promise<void> {
    await this.app?.close();
  }
}
