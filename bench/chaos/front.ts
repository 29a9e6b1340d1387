/**
 * The load balancer in front of the worker replicas: Tango's deliveries arrive at `/alerts` or `/legacy` (one
 * registered endpoint per envelope format) and go round-robin to a replica's webhook path. A replica that is down
 * gets its share anyway, and the front answers 502 as a proxy with an unreachable backend does, so the sender's
 * retry schedule and circuit breaker apply. Every attempt is written to the ledger.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { type OutageKind, type Outages } from './outages';

export type EndpointName = 'alerts' | 'legacy';

export interface LedgerEntry {
  readonly seq: number;
  readonly endpoint: EndpointName;
  /** `delivery_id` of the alerts envelope (the legacy envelope has none). */
  readonly deliveryId: string | null;
  readonly bodySha256: string;
  /** The envelope's `timestamp` (when the sender built it): arrival order against it shows reordering. */
  readonly envelopeTimestamp: string | null;
  readonly replica: number;
  /** Epoch ms: the body was read / the answer was ready. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Time the replica took to answer (the front's own share is negligible). */
  readonly latencyMs: number;
  /** What the sender was answered. */
  readonly status: number;
  /** `worker`: the replica's own answer; `front`: the replica could not be reached (502). */
  readonly origin: 'worker' | 'front';
  /** The worker's `status` field (`accepted`, `duplicate`, …) or its error code. */
  readonly answer: string | null;
  readonly error: string | null;
  /** The sender had hung up (its delivery timeout) before the answer came. */
  readonly senderGone: boolean;
  /** What was disrupted when the attempt arrived. */
  readonly disrupted: readonly OutageKind[];
}

export interface FrontOptions {
  readonly backends: readonly string[];
  readonly outages: Outages;
  readonly webhookPath: string;
}

const FORWARDED_HEADERS = [
  'content-type',
  'user-agent',
  'x-tango-signature',
  'x-tango-delivery-id',
  'x-tango-event',
  'x-tango-delivery-timestamp',
];

function answerOf(text: string): string | null {
  try {
    const parsed = JSON.parse(text) as { status?: unknown; error?: { code?: unknown } };
    if (typeof parsed.status === 'string') {
      return parsed.status;
    }
    if (typeof parsed.error?.code === 'string') {
      return parsed.error.code;
    }
  } catch {
    // not JSON
  }
  return null;
}

function envelopeFields(body: Buffer): { deliveryId: string | null; timestamp: string | null } {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { delivery_id?: unknown; timestamp?: unknown };
    return {
      deliveryId: typeof parsed.delivery_id === 'string' ? parsed.delivery_id : null,
      timestamp: typeof parsed.timestamp === 'string' ? parsed.timestamp : null,
    };
  } catch {
    return { deliveryId: null, timestamp: null };
  }
}

export class Front {
  readonly ledger: LedgerEntry[] = [];
  /** Every distinct body seen, by SHA-256 (to tell which records an acknowledged delivery named). */
  readonly bodies = new Map<string, Buffer>();
  private readonly agents: Agent[];
  private server: Server | undefined;
  private next = 0;
  private listeningPort = 0;

  constructor(private readonly options: FrontOptions) {
    this.agents = options.backends.map(
      () => new Agent({ connect: { timeout: 2_000 }, keepAliveTimeout: 4_000, connections: 64 }),
    );
  }

  get port(): number {
    return this.listeningPort;
  }

  url(endpoint: EndpointName): string {
    return `http://127.0.0.1:${this.listeningPort}/${endpoint}`;
  }

  async listen(): Promise<void> {
    this.server = createServer((incoming, response) => {
      void this.handle(incoming, response);
    });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.listeningPort = typeof address === 'object' && address !== null ? address.port : 0;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (this.server === undefined) {
        resolve();
        return;
      }
      this.server.closeAllConnections();
      this.server.close(() => {
        resolve();
      });
    });
    await Promise.all(this.agents.map((agent) => agent.close()));
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const endpoint: EndpointName | undefined =
      incoming.url === '/alerts' ? 'alerts' : incoming.url === '/legacy' ? 'legacy' : undefined;
    if (endpoint === undefined || incoming.method !== 'POST') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const body = await readBody(incoming);
    if (body === undefined) {
      return;
    }
    const replica = this.next % this.options.backends.length;
    this.next += 1;
    const answer = await this.forward(
      this.ledgerBase(endpoint, body, replica),
      body,
      forwardedHeaders(incoming),
      response,
    );
    if (response.destroyed) {
      return; // the sender gave up waiting (its delivery timeout): nobody to answer
    }
    response.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.retryAfter === undefined ? {} : { 'retry-after': answer.retryAfter }),
    });
    response.end(answer.text);
  }

  /** The ledger fields known before forwarding; keeps the body (by hash) the first time it is seen. */
  private ledgerBase(endpoint: EndpointName, body: Buffer, replica: number): LedgerBase {
    const bodySha256 = createHash('sha256').update(body).digest('hex');
    if (!this.bodies.has(bodySha256)) {
      this.bodies.set(bodySha256, body);
    }
    const { deliveryId, timestamp } = envelopeFields(body);
    const startedAt = Date.now();
    return {
      seq: this.ledger.length,
      endpoint,
      deliveryId,
      bodySha256,
      envelopeTimestamp: timestamp,
      replica,
      startedAt,
      disrupted: this.options.outages.activeAt(startedAt),
    };
  }

  /** Forwards the delivery to `base.replica` and records the attempt; a backend out of reach is a 502. */
  private async forward(
    base: LedgerBase,
    body: Buffer,
    headers: Record<string, string>,
    response: ServerResponse,
  ): Promise<{ status: number; text: string; retryAfter: string | undefined }> {
    const started = performance.now();
    try {
      const answer = await request(
        `${this.options.backends[base.replica] ?? ''}${this.options.webhookPath}`,
        {
          method: 'POST',
          body,
          headers,
          dispatcher: this.agents[base.replica],
          headersTimeout: 120_000,
          bodyTimeout: 120_000,
        },
      );
      const text = await answer.body.text();
      const header = answer.headers['retry-after'];
      const latencyMs = performance.now() - started;
      this.ledger.push({
        ...base,
        endedAt: Date.now(),
        latencyMs,
        status: answer.statusCode,
        origin: 'worker',
        answer: answerOf(text),
        error: null,
        senderGone: response.destroyed,
      });
      return { status: answer.statusCode, text, retryAfter: typeof header === 'string' ? header : undefined };
    } catch (error) {
      this.ledger.push({
        ...base,
        endedAt: Date.now(),
        latencyMs: performance.now() - started,
        status: 502,
        origin: 'front',
        answer: null,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        senderGone: response.destroyed,
      });
      return { status: 502, text: BAD_GATEWAY, retryAfter: undefined };
    }
  }
}

/** A ledger entry's fields known before the answer. */
type LedgerBase = Pick<
  LedgerEntry,
  | 'seq'
  | 'endpoint'
  | 'deliveryId'
  | 'bodySha256'
  | 'envelopeTimestamp'
  | 'replica'
  | 'startedAt'
  | 'disrupted'
>;

const BAD_GATEWAY = '{"error":{"code":"BAD_GATEWAY","message":"the backend could not be reached"}}';

/** The whole request body, or undefined when the sender went away while sending it. */
async function readBody(incoming: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of incoming) {
      chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined;
  }
  return Buffer.concat(chunks);
}

/** The sender's headers the worker reads (signature, content type, ...) and who sent it. */
function forwardedHeaders(incoming: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {
    'x-forwarded-for': incoming.socket.remoteAddress ?? '127.0.0.1',
  };
  for (const name of FORWARDED_HEADERS) {
    const value = incoming.headers[name];
    if (typeof value === 'string') {
      headers[name] = value;
    }
  }
  return headers;
}
