import { AppModule } from '../app.module';
import { OperatorTokenGuard } from '../common/auth/operator-token.guard';
import { type ErrorCode } from '../common/errors/app-error';
import { type AppConfig } from '../config/app-config';
import { WebhookHttpRoute } from '../webhook/webhook-http-route';
import { COMMON_ERRORS, ERROR_BODY_SCHEMA, errorResponses, type ResponseObject } from './error-responses';
import { OPERATIONS, type OperationDoc, type SuccessDoc, TAGS } from './http-operations';
import { type ControllerRoute, controllerRoutes, type HttpMethod, moduleGraph } from './http-routes';
import { type JsonSchema, zodJsonSchema } from './json-schema';
import { RESPONSE_SCHEMAS } from './response-schemas';
import { webhookOperation, webhookRefusedMethods } from './webhook-operation';

/**
 * Builds the OpenAPI 3.1 document of the worker's HTTP API from the controllers' metadata (routes, success
 * statuses, headers, guards), the controllers' zod schemas (query and body), the hand-written response schemas
 * and the error-code mapping. Nothing is instantiated.
 */

export const OPENAPI_VERSION = '3.1.0';

/** What a guard means for the document: its security requirement and the errors it answers. */
const GUARDS: Readonly<Record<string, { readonly scheme: string; readonly errors: readonly ErrorCode[] }>> = {
  [OperatorTokenGuard.name]: {
    scheme: 'operatorToken',
    errors: ['AUTH.TOKEN_REQUIRED', 'AUTH.ACTIONS_DISABLED'],
  },
};

export interface WorkerHttpSurface {
  /** Routes declared by the controllers of the worker's module graph. */
  readonly routes: readonly ControllerRoute[];
  /** Whether the webhook receiver (registered on Fastify directly) is part of the worker. */
  readonly webhook: boolean;
}

/** Reads the worker's routes from AppModule's graph (the dynamic module for `config`; nothing is created). */
export function workerHttpSurface(config: AppConfig): WorkerHttpSurface {
  const graph = moduleGraph(AppModule.forConfig(config));
  return { routes: controllerRoutes(graph.controllers), webhook: graph.providers.includes(WebhookHttpRoute) };
}

export interface OpenApiInput {
  readonly version: string;
  /** Supplies the defaults the document names (WEBHOOK_PATH, HTTP_HOST/HTTP_PORT, body limit). */
  readonly config: AppConfig;
  readonly surface: WorkerHttpSurface;
  /** The route documentation (OPERATIONS unless a test passes its own). */
  readonly operations?: Readonly<Record<string, OperationDoc>>;
}

type OperationObject = Record<string, unknown>;

function mergeResponses(
  success: Readonly<Record<string, ResponseObject>>,
  errors: Readonly<Record<string, ResponseObject>>,
): Record<string, ResponseObject> {
  const merged: Record<string, ResponseObject> = { ...success };
  for (const [status, error] of Object.entries(errors)) {
    const existing = merged[status];
    if (existing === undefined) {
      merged[status] = error;
      continue;
    }
    // The same status as a documented answer (e.g. /health's 503): either body.
    const types = new Set([...Object.keys(existing.content ?? {}), ...Object.keys(error.content ?? {})]);
    merged[status] = {
      description: `${existing.description}\n\nor an error:\n${error.description}`,
      headers: { ...existing.headers, ...error.headers },
      content: Object.fromEntries(
        [...types].map((type) => {
          const schemas = [existing.content?.[type]?.schema, error.content?.[type]?.schema].filter(
            (schema): schema is JsonSchema => schema !== undefined,
          );
          const [only, ...more] = schemas;
          return [type, { schema: only !== undefined && more.length === 0 ? only : { anyOf: schemas } }];
        }),
      ),
    };
  }
  return Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
}

function successResponse(doc: SuccessDoc, extraHeaders: Readonly<Record<string, string>>): ResponseObject {
  const headers = {
    ...Object.fromEntries(
      Object.entries(extraHeaders).map(([name, value]) => [
        name,
        { description: `Always \`${value}\``, schema: { type: 'string', const: value } },
      ]),
    ),
    ...doc.headers,
  };
  return {
    description: doc.description,
    ...(Object.keys(headers).length === 0 ? {} : { headers }),
    ...(doc.content === undefined
      ? {}
      : {
          content: Object.fromEntries(
            Object.entries(doc.content).map(([type, schema]) => [type, { schema }]),
          ),
        }),
  };
}

function isZodSchema(schema: unknown): schema is Parameters<typeof zodJsonSchema>[0] {
  return typeof schema === 'object' && schema !== null && '_zod' in schema;
}

type RouteFacts = Pick<ControllerRoute, 'key' | 'pathParameters' | 'guards' | 'status' | 'headers'>;

/** Throws when the route and its documentation disagree (path parameters, success status, Content-Type). */
function checkDocumented(route: RouteFacts, doc: OperationDoc, where: string): void {
  const documentedParameters = Object.keys(doc.pathParameters ?? {}).sort();
  if (documentedParameters.join() !== [...route.pathParameters].sort().join()) {
    throw new Error(
      `${where}: path parameters documented ${JSON.stringify(documentedParameters)}, route has ${JSON.stringify(route.pathParameters)}`,
    );
  }
  if (doc.responses[route.status] === undefined) {
    throw new Error(`${where}: the route answers ${route.status} on success, which is not documented`);
  }
  const contentType = route.headers['content-type'];
  const successContent = Object.keys(doc.responses[route.status]?.content ?? {});
  if (contentType !== undefined && successContent.join() !== contentType) {
    throw new Error(
      `${where}: the route sends Content-Type ${contentType}, documented ${successContent.join()}`,
    );
  }
}

/** The route's guards, as security schemes and the errors they answer. */
function guardDocs(route: RouteFacts, where: string): { security: string[]; errors: ErrorCode[] } {
  const security: string[] = [];
  const errors: ErrorCode[] = [];
  for (const guard of route.guards) {
    const known = GUARDS[guard];
    if (known === undefined) {
      throw new Error(
        `${where}: guard ${guard} has no documentation (add it to GUARDS in src/api-docs/openapi.ts)`,
      );
    }
    security.push(known.scheme);
    errors.push(...known.errors);
  }
  return { security, errors };
}

function operationParameters(route: RouteFacts, doc: OperationDoc): Record<string, unknown>[] {
  return [
    ...route.pathParameters.map((name) => {
      const parameter = doc.pathParameters?.[name];
      return {
        name,
        in: 'path',
        required: true,
        description: parameter?.description,
        schema: parameter?.schema ?? { type: 'string' },
      };
    }),
    ...queryParameters(doc),
    ...(doc.headerParameters ?? []).map((header) => ({
      name: header.name,
      in: 'header',
      required: header.required,
      description: header.description,
      schema: header.schema ?? { type: 'string' },
    })),
  ];
}

function requestBody(body: NonNullable<OperationDoc['body']>): Record<string, unknown> {
  return {
    description: body.description,
    required: body.required ?? true,
    content: Object.fromEntries(
      Object.entries(body.content).map(([type, schema]) => [
        type,
        { schema: isZodSchema(schema) ? zodJsonSchema(schema, { io: 'input' }) : schema },
      ]),
    ),
  };
}

function operationObject(route: RouteFacts, doc: OperationDoc): OperationObject {
  const where = `${route.key} (src/api-docs/http-operations.ts)`;
  checkDocumented(route, doc, where);
  const { 'content-type': _contentType, ...otherHeaders } = route.headers;
  const guards = guardDocs(route, where);
  const parameters = operationParameters(route, doc);
  const success = Object.fromEntries(
    Object.entries(doc.responses).map(([status, response]) => [
      status,
      successResponse(response, Number(status) === route.status ? otherHeaders : {}),
    ]),
  );
  return {
    tags: [doc.tag],
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    operationId: doc.operationId,
    ...(guards.security.length === 0
      ? {}
      : { security: guards.security.map((scheme) => ({ [scheme]: [] })) }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(doc.body === undefined ? {} : { requestBody: requestBody(doc.body) }),
    responses: mergeResponses(success, errorResponses([...doc.errors, ...guards.errors, ...COMMON_ERRORS])),
  };
}

function queryParameters(doc: OperationDoc): Record<string, unknown>[] {
  if (doc.query === undefined) {
    return [];
  }
  const schema = zodJsonSchema(doc.query, { io: 'input' });
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** The OpenAPI document; throws when a route and its documentation disagree. */
export function buildOpenApiDocument(input: OpenApiInput): Record<string, unknown> {
  const operations = input.operations ?? OPERATIONS;
  const paths: Record<string, Partial<Record<HttpMethod, OperationObject>>> = {};
  const add = (path: string, method: HttpMethod, operation: OperationObject): void => {
    const item = (paths[path] ??= {});
    if (item[method] !== undefined) {
      throw new Error(`${method.toUpperCase()} ${path} is declared twice`);
    }
    item[method] = operation;
  };
  const routeKeys = new Set<string>();
  for (const route of input.surface.routes) {
    routeKeys.add(route.key);
    const doc = operations[route.key];
    if (doc === undefined) {
      throw new Error(
        `${route.key} (${route.controller}.${route.handler}) has no documentation: add it to OPERATIONS in src/api-docs/http-operations.ts`,
      );
    }
    add(route.path, route.method, operationObject(route, doc));
  }
  const orphans = Object.keys(operations).filter((key) => !routeKeys.has(key));
  if (orphans.length > 0) {
    throw new Error(`documented routes that no controller declares: ${orphans.join(', ')}`);
  }
  if (input.surface.webhook) {
    const path = input.config.webhook.path;
    add(path, 'post', operationObject(webhookRoute(path, 202), webhookOperation(input.config)));
    for (const method of webhookRefusedMethods()) {
      add(path, method, {
        tags: ['webhooks'],
        summary: `${method.toUpperCase()} is refused: only POST is accepted here`,
        operationId: `refuseWebhook${method[0]?.toUpperCase() ?? ''}${method.slice(1)}`,
        responses: errorResponses(['REQUEST.METHOD_NOT_ALLOWED', ...COMMON_ERRORS], {
          'REQUEST.METHOD_NOT_ALLOWED': {
            Allow: { description: 'The accepted method', schema: { type: 'string', const: 'POST' } },
          },
        }),
      });
    }
  }
  const { host, port } = input.config.http;
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'tango-sync worker HTTP API',
      version: input.version,
      description:
        'The HTTP endpoints of a tango-sync worker (`tango-sync serve`): the Tango webhook receiver, health, ' +
        'metrics, managed backfills and the operator console. Generated from the code by ' +
        '`npm run docs:api`; do not edit by hand.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [
      { url: `http://${host}:${port}`, description: 'A local worker (HTTP_HOST, HTTP_PORT defaults)' },
    ],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: Object.fromEntries(
        Object.entries({ Error: ERROR_BODY_SCHEMA, ...RESPONSE_SCHEMAS }).sort(([a], [b]) =>
          a.localeCompare(b),
        ),
      ),
      securitySchemes: {
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'Authorization: Bearer <CONSOLE_TOKEN>. Without a configured token every guarded action answers 403.',
        },
      },
    },
  };
}

function webhookRoute(path: string, status: number): RouteFacts {
  return { key: `POST ${path}`, pathParameters: [], guards: [], status, headers: {} };
}
