import { type z } from 'zod';
import { ACTIONS, listSchema, startSchema } from '../backfill/backfill.controller';
import { type ErrorCode } from '../common/errors/app-error';
import {
  activitySchema,
  ASSETS,
  limitSchema,
  overviewSchema,
  redriveSchema,
} from '../console/console.controller';
import { DATABASE_ERRORS, type HeaderDoc } from './error-responses';
import {
  arraySchema,
  enumOf,
  integerSchema,
  type JsonSchema,
  objectSchema,
  stringSchema,
} from './json-schema';
import { responseSchema, type ResponseSchemaName } from './response-schemas';

/**
 * The documentation of every HTTP route, keyed like the routes read from the controllers (`GET /backfills/{id}`).
 * The generator refuses a route without an entry here and an entry without a route, so the committed OpenAPI
 * document cannot silently fall behind the controllers. Request schemas are the controllers' own zod schemas.
 */

export type Tag = 'webhooks' | 'health' | 'metrics' | 'backfills' | 'console';

export const TAGS: Readonly<Record<Tag, string>> = {
  webhooks: 'Signed Tango webhook deliveries (registered on Fastify directly, at WEBHOOK_PATH)',
  health: 'Liveness, readiness and whether the mirror can be trusted',
  metrics: 'Prometheus metrics',
  backfills: 'Managed backfill jobs (starting and stopping them needs the operator token)',
  console: 'The operator console: its page and its API (actions need the operator token)',
};

export interface SuccessDoc {
  readonly description: string;
  /** Media type → schema. */
  readonly content?: Readonly<Record<string, JsonSchema>>;
  readonly headers?: Readonly<Record<string, HeaderDoc>>;
}

export interface ParameterDoc {
  readonly description: string;
  readonly schema?: JsonSchema;
}

export interface HeaderParameterDoc extends ParameterDoc {
  readonly name: string;
  readonly required: boolean;
}

export interface OperationDoc {
  readonly operationId: string;
  readonly tag: Tag;
  readonly summary: string;
  readonly description?: string;
  readonly pathParameters?: Readonly<Record<string, ParameterDoc>>;
  readonly headerParameters?: readonly HeaderParameterDoc[];
  /** The zod schema the handler parses its query with. */
  readonly query?: z.ZodObject;
  /** The zod schema the handler parses its body with (or a JSON Schema for a raw body). */
  readonly body?: {
    readonly description: string;
    /** False when the handler parses a missing body as `{}` and everything in it has a default. */
    readonly required?: boolean;
    readonly content: Readonly<Record<string, z.ZodType | JsonSchema>>;
  };
  /** Every answer that is not an error (statuses as numbers). */
  readonly responses: Readonly<Record<number, SuccessDoc>>;
  /** Error codes the handler (and what it calls) raises; guards' and INTERNAL are added by the generator. */
  readonly errors: readonly ErrorCode[];
}

const json = (schema: JsonSchema): Readonly<Record<string, JsonSchema>> => ({ 'application/json': schema });

/** A console list (`?limit=`), newest first, answered as `{ <key>: [item, ...] }`. */
function newestFirstList(
  operationId: string,
  summary: string,
  key: string,
  item: ResponseSchemaName,
): OperationDoc {
  return {
    operationId,
    tag: 'console',
    summary,
    query: limitSchema,
    responses: {
      200: {
        description: 'Newest first',
        content: json(objectSchema<Record<string, unknown>>({ [key]: arraySchema(responseSchema(item)) })),
      },
    },
    errors: ['REQUEST.VALIDATION_FAILED', ...DATABASE_ERRORS],
  };
}

const jobId: ParameterDoc = { description: 'Backfill job id (UUID)', schema: stringSchema() };

export const OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  'GET /health': {
    operationId: 'getHealthReport',
    tag: 'health',
    summary: 'Whether the mirror can be trusted, per family',
    description:
      'Per family ok | degraded | failing with reasons, the last successful timestamps, open gaps, backlog, lag, ' +
      'dead letters, quota, sweep coverage, jobs and backfills. 503 (same body) when a family is failing.',
    responses: {
      200: { description: 'No family is failing', content: json(responseSchema('HealthReport')) },
      503: { description: 'At least one family is failing', content: json(responseSchema('HealthReport')) },
    },
    errors: DATABASE_ERRORS,
  },
  'GET /health/live': {
    operationId: 'getLiveness',
    tag: 'health',
    summary: 'Liveness: the process answers',
    description: 'Nothing else is checked, so a dependency outage never triggers a restart.',
    responses: {
      200: { description: 'The process is alive', content: json(responseSchema('HealthCheckResult')) },
      503: { description: 'A check failed', content: json(responseSchema('HealthCheckResult')) },
    },
    errors: [],
  },
  'GET /health/ready': {
    operationId: 'getReadiness',
    tag: 'health',
    summary: 'Readiness: may be sent webhooks',
    description:
      'Not shutting down and Postgres answers. A Kafka outage only degrades the answer (ingest needs nothing but ' +
      'Postgres).',
    responses: {
      200: { description: 'Ready to take webhooks', content: json(responseSchema('ReadinessReport')) },
      503: {
        description: 'Shutting down or Postgres is down',
        content: json(responseSchema('ReadinessReport')),
      },
    },
    errors: [],
  },
  'GET /health/operational': {
    operationId: 'getOperational',
    tag: 'health',
    summary: 'Fully operational: ready, and Kafka answers',
    responses: {
      200: {
        description: 'Fetching and change events flow',
        content: json(responseSchema('ReadinessReport')),
      },
      503: { description: 'Not ready, or Kafka is down', content: json(responseSchema('ReadinessReport')) },
    },
    errors: [],
  },
  'GET /metrics': {
    operationId: 'getMetrics',
    tag: 'metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    responses: {
      200: {
        description: 'Every metric of the process',
        content: { 'text/plain; version=0.0.4; charset=utf-8': stringSchema('Prometheus text format') },
      },
    },
    errors: [],
  },
  'GET /backfills': {
    operationId: 'listBackfills',
    tag: 'backfills',
    summary: 'List backfill jobs, newest first',
    query: listSchema,
    responses: {
      200: {
        description: 'The jobs',
        content: json(objectSchema<{ jobs: unknown }>({ jobs: arraySchema(responseSchema('BackfillJob')) })),
      },
    },
    errors: ['REQUEST.VALIDATION_FAILED', ...DATABASE_ERRORS],
  },
  'POST /backfills': {
    operationId: 'startBackfill',
    tag: 'backfills',
    summary: 'Start a backfill job',
    description: '`since` (YYYY-MM-DD) limits date-filtered families to records from that day on.',
    body: { description: 'Which families, from which day', content: { 'application/json': startSchema } },
    responses: { 201: { description: 'The job, started', content: json(responseSchema('BackfillJob')) } },
    errors: ['REQUEST.VALIDATION_FAILED', ...DATABASE_ERRORS],
  },
  'GET /backfills/{id}': {
    operationId: 'getBackfill',
    tag: 'backfills',
    summary: 'One backfill job',
    pathParameters: { id: jobId },
    responses: { 200: { description: 'The job', content: json(responseSchema('BackfillJob')) } },
    errors: ['REQUEST.NOT_FOUND', ...DATABASE_ERRORS],
  },
  'POST /backfills/{id}/{action}': {
    operationId: 'actOnBackfill',
    tag: 'backfills',
    summary: 'Pause, resume or cancel a backfill job',
    pathParameters: {
      id: jobId,
      action: { description: 'What to do', schema: enumOf(ACTIONS) },
    },
    responses: {
      200: { description: 'The job, in its new state', content: json(responseSchema('BackfillJob')) },
    },
    errors: ['REQUEST.NOT_FOUND', 'REQUEST.CONFLICT', ...DATABASE_ERRORS],
  },
  'GET /console': {
    operationId: 'getConsolePage',
    tag: 'console',
    summary: "The operator console's page",
    responses: { 200: { description: 'The page', content: { 'text/html': stringSchema('HTML') } } },
    errors: ['REQUEST.NOT_FOUND'],
  },
  'GET /console/assets/{name}': {
    operationId: 'getConsoleAsset',
    tag: 'console',
    summary: "One of the console page's scripts or style sheets",
    pathParameters: { name: { description: 'The asset', schema: enumOf(Object.keys(ASSETS)) } },
    responses: {
      200: {
        description: 'The asset (cached for 5 minutes)',
        content: Object.fromEntries(
          [...new Set(Object.values(ASSETS).map((asset) => asset.type.split(';')[0] ?? asset.type))]
            .sort()
            .map((type) => [type, stringSchema()]),
        ),
      },
    },
    errors: ['REQUEST.NOT_FOUND'],
  },
  'GET /console/api/overview': {
    operationId: 'getConsoleOverview',
    tag: 'console',
    summary: 'What /health knows, shaped for the page (at most a second old unless fresh=true)',
    query: overviewSchema,
    responses: { 200: { description: 'The overview', content: json(responseSchema('ConsoleOverview')) } },
    errors: DATABASE_ERRORS,
  },
  'GET /console/api/deliveries': newestFirstList(
    'listRecentDeliveries',
    'The latest webhook deliveries',
    'deliveries',
    'ConsoleDelivery',
  ),
  'GET /console/api/rejections': newestFirstList(
    'listRecentRejections',
    'The latest refused webhook requests',
    'rejections',
    'ConsoleRejection',
  ),
  'GET /console/api/dead-letters': newestFirstList(
    'listDeadLetters',
    'Dead-lettered records',
    'deadLetters',
    'ConsoleDeadLetter',
  ),
  'GET /console/api/activity': {
    operationId: 'getConsoleActivity',
    tag: 'console',
    summary: 'Activity charts: counts per time bucket',
    query: activitySchema,
    responses: { 200: { description: 'The series', content: json(responseSchema('ConsoleActivity')) } },
    errors: ['REQUEST.VALIDATION_FAILED', ...DATABASE_ERRORS],
  },
  'POST /console/api/redrive': {
    operationId: 'redriveDeadLetters',
    tag: 'console',
    summary: 'Put dead-lettered (or all failing) records back in the fetch outbox',
    body: {
      description: 'Which family (all when absent); may be left out',
      required: false,
      content: { 'application/json': redriveSchema },
    },
    responses: {
      200: {
        description: 'How many records were enqueued',
        content: json(
          objectSchema<{ enqueued: number; family: string }>({
            enqueued: integerSchema(),
            family: stringSchema('The family, or `all`'),
          }),
        ),
      },
    },
    errors: ['REQUEST.VALIDATION_FAILED', ...DATABASE_ERRORS],
  },
  'POST /console/api/gaps/{id}/sweep': {
    operationId: 'sweepGap',
    tag: 'console',
    summary: 'Sweep one open gap now',
    pathParameters: {
      id: { description: 'The gap id (digits)', schema: { type: 'string', pattern: '^\\d+$' } },
    },
    responses: { 200: { description: 'The outcome', content: json(responseSchema('GapSweepOutcome')) } },
    errors: ['REQUEST.NOT_FOUND', ...DATABASE_ERRORS],
  },
};
