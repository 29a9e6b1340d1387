import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { type Counter, type Histogram } from 'prom-client';
import { errors as undiciErrors, Pool } from 'undici';
import { z } from 'zod';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { backoffDelayMs, parseRateLimitHeaders, parseRetryAfter } from './rate-limit-headers';
import { RequestPacer, type RequestPriority } from './request-pacer';
import { API_VERSION_HEADER, TangoApiVersionTracker } from './tango-api-version';
import { TangoQuotaExhaustedError, TangoRequestError, tangoMessage } from './tango-errors';

export interface TangoGet {
  /** Path under the base URL, e.g. `/api/contracts/`; ids in it must already be URL-encoded (see `pathFor`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly priority: RequestPriority;
  /** A short name for metrics and logs, e.g. `contracts.list`. */
  readonly route: string;
}

/** A write to Tango's management API (webhook endpoints and alerts). */
export interface TangoWrite {
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  /** Path under the base URL; ids in it must already be URL-encoded. */
  readonly path: string;
  /** Sent as JSON; DELETE sends none. */
  readonly body?: unknown;
  readonly route: string;
}

interface TangoCall {
  readonly method: 'GET' | TangoWrite['method'];
  readonly path: string;
  readonly query?: Readonly<Record<string, string>> | undefined;
  readonly body?: unknown;
  readonly priority: RequestPriority;
  readonly route: string;
}

export interface TangoAnswer {
  readonly status: number;
  readonly body: unknown;
  /** When the request that produced this answer was sent (the mirror's ordering clock). */
  readonly sentAt: Date;
  readonly attempts: number;
}

const PACKAGE_VERSION = '0.1.0';
const MAX_REDIRECTS = 3;
const DAILY_WINDOW = /daily/i;

/** Tango's 429 body: `{"detail": "...", "wait_in_seconds": N}`. */
const rateLimitBody = z.looseObject({
  detail: z.string().optional(),
  wait_in_seconds: z.coerce.number().nonnegative().optional(),
});
/** "The API occasionally signals errors in a 200 payload": `{"error": "..."}` with nothing else useful. */
const errorInBody = z.looseObject({ error: z.unknown() });

/** Builds a path with each id URL-encoded, e.g. `pathFor('contracts', key)` → `/api/contracts/<key>/`. */
export function pathFor(collection: string, id?: string): string {
  return id === undefined ? `/api/${collection}/` : `/api/${collection}/${encodeURIComponent(id)}/`;
}

/**
 * The only user of undici: one keep-alive pool to Tango, `X-API-KEY`, a per-attempt timeout, retries with
 * exponential backoff and full jitter on 408/429/5xx/timeouts/connection errors (honouring `Retry-After` and
 * `wait_in_seconds`), the shared request budget, and the 302 that opportunity detail answers for a notice id.
 * Answers are JSON-parsed here; their shapes are checked with zod by the callers.
 */
@Injectable()
export class TangoClient implements OnApplicationShutdown {
  private readonly logger = new Logger(TangoClient.name);
  private readonly pool: Pool;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly requests: Counter<'route' | 'outcome'>;
  private readonly latency: Histogram<'route'>;
  /** Requests of this process sent and not yet answered (their tokens are spent; Tango may not have counted them). */
  private inFlight = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly budget: RequestPacer,
    metrics: MetricsService,
    private readonly apiVersion: TangoApiVersionTracker,
  ) {
    const base = new URL(config.tango.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, {
      connections: config.tango.connections,
      keepAliveTimeout: 30_000,
      headersTimeout: config.tango.timeoutMs,
      bodyTimeout: config.tango.timeoutMs,
    });
    this.requests = metrics.counter(
      'tango_sync_tango_requests_total',
      'Requests sent to Tango by route and outcome',
      ['route', 'outcome'],
    );
    this.latency = metrics.histogram(
      'tango_sync_tango_request_seconds',
      'Latency of single Tango request attempts',
      [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ['route'],
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }

  /**
   * GETs a JSON document. Resolves with 2xx answers and with 404 (a normal answer for a deleted record); throws
   * TangoRequestError when the retry budget is spent or the failure is not retryable, TangoQuotaExhaustedError
   * when the daily quota is gone (requests are parked until it resets).
   */
  get(request: TangoGet): Promise<TangoAnswer> {
    return this.call({ ...request, method: 'GET' });
  }

  /**
   * Sends a write (POST, PATCH, DELETE) with operator priority. Resolves with 2xx answers (a 204 has a null body)
   * and with 404. A write is sent again only when Tango certainly did not act on it: a 429, or a connection that
   * was refused before the request left; after a timeout or a 5xx it may have been applied, so the error says so
   * and the caller decides (the Tango-side-as-code commands re-read the state instead of guessing).
   */
  write(request: TangoWrite): Promise<TangoAnswer> {
    return this.call({ ...request, priority: 'operator' });
  }

  private async call(request: TangoCall): Promise<TangoAnswer> {
    let lastError: TangoRequestError | undefined;
    for (let attempt = 1; attempt <= this.config.tango.maxAttempts; attempt += 1) {
      await this.budget.acquire(request.priority);
      try {
        const answer = await this.attempt(request, attempt);
        this.requests.inc({ route: request.route, outcome: String(answer.status) });
        return answer;
      } catch (error) {
        if (!(error instanceof TangoRequestError)) {
          throw error;
        }
        this.requests.inc({ route: request.route, outcome: error.failure });
        if (error instanceof TangoQuotaExhaustedError || !mayRetry(request, error)) {
          throw error;
        }
        lastError = error;
        if (attempt < this.config.tango.maxAttempts) {
          const jitter = backoffDelayMs(
            attempt,
            this.config.tango.backoffBaseMs,
            this.config.tango.backoffMaxMs,
          );
          const delay = Math.max(jitter, error.retryAfterMs ?? 0);
          this.logger.debug(
            { route: request.route, attempt, failure: error.failure, delayMs: delay },
            'retrying Tango request',
          );
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    }
    throw lastError ?? new TangoRequestError('network', 'no attempt was made', null, true);
  }

  private async attempt(request: TangoCall, attempt: number): Promise<TangoAnswer> {
    let path = `${this.basePath}${request.path}${queryString(request.query)}`;
    for (let redirects = 0; ; redirects += 1) {
      const sentAt = new Date();
      const stopTimer = this.latency.startTimer({ route: request.route });
      let status: number;
      let headers: Record<string, string | string[] | undefined>;
      let text: string;
      this.inFlight += 1;
      let answered = false;
      try {
        const body = request.body === undefined ? undefined : JSON.stringify(request.body);
        const response = await this.pool.request({
          method: request.method,
          path,
          ...(body === undefined ? {} : { body }),
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            'x-api-key': this.config.tango.apiKey ?? '',
            'user-agent': `tango-sync/${PACKAGE_VERSION} (+https://github.com/tango-sync)`,
          },
          signal: AbortSignal.timeout(this.config.tango.timeoutMs),
        });
        this.inFlight -= 1;
        answered = true;
        status = response.statusCode;
        headers = response.headers;
        text = await response.body.text();
      } catch (error) {
        throw classifyTransportError(error);
      } finally {
        if (!answered) {
          this.inFlight -= 1;
        }
        stopTimer();
      }
      await this.budget.observe(parseRateLimitHeaders(headers), this.inFlight);
      await this.apiVersion.observe(headers[API_VERSION_HEADER]);
      if (
        request.method === 'GET' &&
        (status === 301 || status === 302 || status === 307 || status === 308)
      ) {
        const location = typeof headers.location === 'string' ? headers.location : undefined;
        if (location === undefined || redirects >= MAX_REDIRECTS) {
          throw new TangoRequestError(
            'client_error',
            `redirect ${status} without a usable Location`,
            status,
            false,
          );
        }
        path = this.sameOriginPath(location);
        continue;
      }
      return this.interpret(request, status, headers, text, sentAt, attempt);
    }
  }

  private async interpret(
    request: TangoCall,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    sentAt: Date,
    attempt: number,
  ): Promise<TangoAnswer> {
    if (status === 429) {
      const body = rateLimitBody.safeParse(safeJson(text));
      const waitSeconds = body.success ? body.data.wait_in_seconds : undefined;
      const retryAfterMs = Math.max(parseRetryAfter(headers['retry-after']) ?? 0, (waitSeconds ?? 0) * 1000);
      const detail = body.success ? (body.data.detail ?? '') : '';
      const daily = DAILY_WINDOW.test(detail) || parseRateLimitHeaders(headers).daily?.remaining === 0;
      const until = new Date(Date.now() + Math.max(retryAfterMs, 1000));
      await this.budget.park(until, daily ? 'daily quota exhausted' : 'burst limit (429)');
      if (daily) {
        throw new TangoQuotaExhaustedError(until, `Tango daily quota exhausted until ${until.toISOString()}`);
      }
      throw new TangoRequestError('rate_limited', `429 from Tango: ${detail}`, 429, true, retryAfterMs);
    }
    if (status === 404) {
      return { status, body: safeJson(text), sentAt, attempts: attempt };
    }
    if (status === 408 || status >= 500) {
      throw new TangoRequestError(
        status === 408 ? 'timeout' : 'server_error',
        `Tango answered ${status}`,
        status,
        true,
        parseRetryAfter(headers['retry-after']),
      );
    }
    if (status >= 400) {
      // Every other 4xx is Tango refusing this request: retrying it unchanged cannot help.
      const body = safeJson(text);
      const detail = tangoMessage(body) ?? (text.trim() === '' ? null : text.trim().slice(0, 300));
      throw new TangoRequestError(
        status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'client_error',
        `Tango answered ${status}${detail === null ? '' : `: ${detail.slice(0, 300)}`}`,
        status,
        false,
        null,
        { body, detail },
      );
    }
    if (status === 204 || (request.method === 'DELETE' && text.trim() === '')) {
      return { status, body: null, sentAt, attempts: attempt };
    }
    const body = safeJson(text);
    if (body === undefined) {
      // A cut-off or garbled body: the next attempt will most likely be whole.
      throw new TangoRequestError(
        'invalid_body',
        `Tango answered ${status} with a body that is not JSON (${text.length} bytes)`,
        status,
        true,
      );
    }
    const flagged = errorInBody.safeParse(body);
    if (flagged.success && !('results' in flagged.data) && Object.keys(flagged.data).length <= 2) {
      // "The API occasionally signals errors in a 200 payload": Tango's SDKs treat it as final, and so do we.
      const detail = tangoMessage(body) ?? JSON.stringify(flagged.data.error).slice(0, 300);
      throw new TangoRequestError(
        'error_in_body',
        `Tango answered ${status} with an error: ${detail.slice(0, 300)}`,
        status,
        false,
        null,
        { body, detail },
      );
    }
    this.logger.verbose({ route: request.route, status, attempt }, 'Tango answer');
    return { status, body, sentAt, attempts: attempt };
  }

  /** Follows `next` links and redirects only on Tango's own host, whatever scheme they carry. */
  sameOriginPath(link: string): string {
    const url = new URL(link, this.origin);
    return `${url.pathname}${url.search}`;
  }
}

/**
 * Reads are retried on every retryable failure. A write only when Tango cannot have acted on it: it answered 429,
 * or the connection was refused before anything was sent.
 */
function mayRetry(request: TangoCall, error: TangoRequestError): boolean {
  if (!error.retryable) {
    return false;
  }
  if (request.method === 'GET') {
    return true;
  }
  return (
    error.failure === 'rate_limited' || (error.failure === 'network' && refusedBeforeSending(error.cause))
  );
}

function refusedBeforeSending(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && 'code' in cause && cause.code === 'ECONNREFUSED';
}

function queryString(query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined) {
    return '';
  }
  const search = new URLSearchParams(Object.entries(query)).toString();
  return search === '' ? '' : `?${search}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function classifyTransportError(error: unknown): TangoRequestError {
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof undiciErrors.HeadersTimeoutError ||
    error instanceof undiciErrors.BodyTimeoutError ||
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  ) {
    return new TangoRequestError('timeout', `Tango did not answer in time: ${message}`, null, true, null, {
      cause: error,
    });
  }
  return new TangoRequestError('network', `connection to Tango failed: ${message}`, null, true, null, {
    cause: error,
  });
}
