import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { type CanActivate, Controller, Get, Logger, Post, UseGuards } from '@nestjs/common';
import { type HttpAdapterHost } from '@nestjs/core';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  apiDocuments,
  ASYNCAPI_PATH,
  defaultConfig,
  OPENAPI_PATH,
} from '../../../src/api-docs/api-doc-files';
import { buildAsyncApiDocument } from '../../../src/api-docs/asyncapi';
import { OPERATIONS, type OperationDoc } from '../../../src/api-docs/http-operations';
import { controllerRoutes } from '../../../src/api-docs/http-routes';
import {
  buildOpenApiDocument,
  workerHttpSurface,
  type WorkerHttpSurface,
} from '../../../src/api-docs/openapi';
import { AppError, type ErrorCode } from '../../../src/common/errors/app-error';
import { answerFor } from '../../../src/common/errors/error-answer';
import { HTTP_STATUS_BY_CODE } from '../../../src/common/errors/http-status';
import { RESOURCE_FAMILIES } from '../../../src/common/tango/resource-family';
import { type DatabaseHealth } from '../../../src/database/database-health';
import { buildChangeEvent, changeEventHeaders } from '../../../src/events/change-event.envelope';
import { changeEventJsonSchema } from '../../../src/events/change-event.json-schema';
import { CHANGE_TYPES } from '../../../src/events/change-event.schema';
import { stateHeaders } from '../../../src/events/state-message';
import { stateMessageJsonSchema } from '../../../src/events/state-message.json-schema';
import { Readiness } from '../../../src/health/readiness';
import { type ShutdownState } from '../../../src/health/shutdown-state';
import { type KafkaAdapter } from '../../../src/kafka/kafka-adapter';
import { type RejectionRecorder } from '../../../src/webhook/rejection-recorder';
import { WebhookHttpRoute } from '../../../src/webhook/webhook-http-route';
import { type IngestResult, type WebhookIngestService } from '../../../src/webhook/webhook-ingest.service';
import { rowsOfEveryChange, sampleRow } from '../events/support/event-fixtures';
import { validate as validateSubset } from '../events/support/json-schema-subset';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const REGENERATE = 'npm run docs:api';

type Json = Record<string, unknown>;

const clone = <T>(value: T): T => structuredClone(value);

function committed(path: string): Json {
  return JSON.parse(readFileSync(join(REPO_ROOT, path), 'utf8')) as Json;
}

/** The property at a path of plain keys (throws when it is missing, so a test cannot pass on nothing). */
function at(document: unknown, ...path: string[]): Json {
  let node = document;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !(key in node)) {
      throw new Error(`no ${path.join(' → ')} (stopped at ${key})`);
    }
    node = (node as Json)[key];
  }
  return node as Json;
}

async function openApiProblems(document: Json): Promise<string[]> {
  const result = await validateOpenApi(clone(document) as unknown as Parameters<typeof validateOpenApi>[0]);
  return result.valid ? [] : result.errors.map((error) => error.message);
}

/** Errors and warnings count; information and hints (such as "3.1.0 exists") do not. */
const WARNING: number = DiagnosticSeverity.Warning;

async function asyncApiProblems(document: Json): Promise<string[]> {
  // `source` makes the relative references (../events/*.schema.json) resolve as they do from the committed file.
  const diagnostics = await new Parser().validate(JSON.stringify(document), {
    source: join(REPO_ROOT, ASYNCAPI_PATH),
  });
  return diagnostics
    .filter((diagnostic) => {
      const severity: number = diagnostic.severity;
      return severity <= WARNING;
    })
    .map((diagnostic) => `${diagnostic.code}: ${diagnostic.message} at ${diagnostic.path.join('.')}`);
}

/** Validates values against schemas of the OpenAPI document (JSON Schema 2020-12, `#/components/...` refs). */
function openApiSchemas(document: Json): (pointer: string, value: unknown) => string[] {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema({ ...document, $id: 'urn:tango-sync:openapi' });
  return (pointer, value) => {
    const validate = ajv.getSchema(`urn:tango-sync:openapi#${pointer}`);
    if (validate === undefined) {
      throw new Error(`no schema at ${pointer}`);
    }
    return validate(value)
      ? []
      : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
  };
}

const escape = (segment: string): string => segment.replaceAll('~', '~0').replaceAll('/', '~1');

function responsePointer(path: string, method: string, status: number, type = 'application/json'): string {
  return `/paths/${escape(path)}/${method}/responses/${status}/content/${escape(type)}/schema`;
}

describe('API documents (docs/api)', () => {
  let generated: Map<string, Json>;
  let openapi: Json;
  let asyncapi: Json;

  beforeAll(async () => {
    // answerFor and the webhook route log the 5xx answers these tests provoke on purpose.
    Logger.overrideLogger(false);
    generated = await apiDocuments(REPO_ROOT);
    openapi = committed(OPENAPI_PATH);
    asyncapi = committed(ASYNCAPI_PATH);
  }, 60_000);

  describe('are current', () => {
    it.each([OPENAPI_PATH, ASYNCAPI_PATH])(`%s holds what \`${REGENERATE}\` generates now`, (path) => {
      const fresh = generated.get(path);
      const onDisk = committed(path);
      // On failure: the code changed; run `npm run docs:api` and commit the documents.
      expect({ path, document: onDisk }).toEqual({ path, document: fresh });
      // Member order too (toEqual ignores it; the committed text does not).
      expect(JSON.stringify(onDisk)).toBe(JSON.stringify(fresh));
    });

    it(`is formatted the way \`${REGENERATE}\` writes it (Prettier)`, () => {
      expect(() =>
        execFileSync(
          process.execPath,
          [require.resolve('prettier/bin/prettier.cjs'), '--check', OPENAPI_PATH, ASYNCAPI_PATH],
          { cwd: REPO_ROOT, stdio: 'pipe' },
        ),
      ).not.toThrow();
    });
  });

  describe('OpenAPI 3.1 (validated by @readme/openapi-parser)', () => {
    it('is a valid OpenAPI 3.1 document', async () => {
      expect(openapi.openapi).toMatch(/^3\.1\./);
      expect(await openApiProblems(openapi)).toEqual([]);
    });

    it.each<[string, (document: Json) => void]>([
      [
        'a path that does not start with a slash',
        (d) => {
          at(d, 'paths').metrics = at(d, 'paths', '/metrics');
        },
      ],
      [
        'a response without a description',
        (d) => delete at(d, 'paths', '/health', 'get', 'responses', '200').description,
      ],
      [
        'a parameter in the body (OpenAPI 2)',
        (d) => {
          (at(d, 'paths', '/backfills', 'get').parameters as Json[])[0] = { name: 'limit', in: 'body' };
        },
      ],
      [
        'a reference to a schema that does not exist',
        (d) => {
          at(d, 'components', 'schemas').BackfillJob = undefined;
          delete at(d, 'components', 'schemas').BackfillJob;
        },
      ],
      [
        'a security scheme of an unknown type',
        (d) => {
          at(d, 'components', 'securitySchemes', 'operatorToken').type = 'password';
        },
      ],
    ])('rejects %s', async (_what, corrupt) => {
      const document = clone(openapi);
      corrupt(document);
      expect(await openApiProblems(document)).not.toEqual([]);
    });

    it('documents every route the controllers declare, and the webhook receiver at WEBHOOK_PATH', () => {
      const config = defaultConfig();
      const surface = workerHttpSurface(config);
      const paths = at(openapi, 'paths');
      expect(surface.webhook).toBe(true);
      for (const route of surface.routes) {
        expect({ route: route.key, documented: at(paths, route.path)[route.method] !== undefined }).toEqual({
          route: route.key,
          documented: true,
        });
      }
      expect(Object.keys(at(paths, config.webhook.path)).sort()).toEqual(
        ['delete', 'get', 'options', 'patch', 'post', 'put'].sort(),
      );
      for (const path of ['/health', '/health/live', '/health/ready', '/health/operational', '/metrics']) {
        expect(at(paths, path, 'get')).toBeDefined();
      }
    });

    it('marks exactly the guarded routes with the operatorToken scheme and their 401/403 answers', () => {
      const surface = workerHttpSurface(defaultConfig());
      const guarded = surface.routes.filter((route) => route.guards.length > 0);
      expect(guarded.map((route) => route.key).sort()).toEqual([
        'POST /backfills',
        'POST /backfills/{id}/{action}',
        'POST /console/api/gaps/{id}/sweep',
        'POST /console/api/redrive',
      ]);
      for (const route of surface.routes) {
        const operation = at(openapi, 'paths', route.path, route.method);
        const responses = at(operation, 'responses');
        const isGuarded = route.guards.length > 0;
        expect({
          route: route.key,
          security: operation.security,
          '401': '401' in responses,
          '403': '403' in responses,
        }).toEqual({
          route: route.key,
          security: isGuarded ? [{ operatorToken: [] }] : undefined,
          '401': isGuarded,
          '403': isGuarded,
        });
      }
    });

    it('takes query and body schemas from the zod schemas the controllers parse with', () => {
      const list = at(openapi, 'paths', '/backfills', 'get').parameters as Json[];
      expect(list.map((parameter) => [parameter.name, parameter.in, parameter.required])).toEqual([
        ['limit', 'query', false],
        ['active', 'query', false],
      ]);
      const start = at(
        openapi,
        'paths',
        '/backfills',
        'post',
        'requestBody',
        'content',
        'application/json',
        'schema',
      );
      expect(start).toMatchObject({ required: ['families'], additionalProperties: false });
      expect(at(start, 'properties', 'families', 'items', 'enum')).toEqual([...RESOURCE_FAMILIES]);
    });

    it('answers every error code with the status and body the one mapping gives', () => {
      const check = openApiSchemas(openapi);
      const listed = new Map<ErrorCode, string[]>();
      for (const [path, item] of Object.entries(at(openapi, 'paths'))) {
        for (const [method, operation] of Object.entries(item as Json)) {
          for (const [status, response] of Object.entries(at(operation, 'responses'))) {
            const schema = (response as Json).content as Json | undefined;
            const codes = (schema?.['application/json'] as Json | undefined)?.schema as Json | undefined;
            const enumerated = ((codes?.properties as Json | undefined)?.error as Json | undefined)
              ?.properties as Json | undefined;
            for (const code of ((enumerated?.code as Json | undefined)?.enum ?? []) as ErrorCode[]) {
              listed.set(code, [...(listed.get(code) ?? []), `${method} ${path} ${status}`]);
              const answer = answerFor(new AppError(code, 'test', { issues: [] }), new Logger('test'));
              expect({ code, status: Number(status) }).toEqual({ code, status: answer.status });
              expect(check(responsePointer(path, method, Number(status)), answer.body)).toEqual([]);
              if (answer.headers['Retry-After'] !== undefined) {
                const headers = ((response as Json).headers ?? {}) as Json;
                expect({ code, status, retryAfterDocumented: 'Retry-After' in headers }).toEqual({
                  code,
                  status,
                  retryAfterDocumented: true,
                });
              }
            }
          }
        }
      }
      // Codes no HTTP route raises: configuration and migration failures stop the process instead.
      expect(Object.keys(HTTP_STATUS_BY_CODE).filter((code) => !listed.has(code as ErrorCode))).toEqual([
        'CONFIG.INVALID',
        'DATABASE.MIGRATION_FAILED',
        'KAFKA.UNAVAILABLE',
      ]);
    });

    it('describes what Readiness really answers', async () => {
      const check = openApiSchemas(openapi);
      const config = defaultConfig();
      for (const [database, kafka, draining] of [
        [true, true, false],
        [true, false, false],
        [false, true, true],
      ] as const) {
        const readiness = new Readiness(
          {
            ping: () => (database ? Promise.resolve() : Promise.reject(new Error('down'))),
          } as unknown as DatabaseHealth,
          {
            isConnected: true,
            ping: () => (kafka ? Promise.resolve() : Promise.reject(new Error('down'))),
          } as unknown as KafkaAdapter,
          { isDraining: draining } as unknown as ShutdownState,
          config,
        );
        const report = JSON.parse(JSON.stringify(await readiness.check())) as unknown;
        expect(check('/components/schemas/ReadinessReport', report)).toEqual([]);
      }
      expect(check('/components/schemas/ReadinessReport', { status: 'ok' })).not.toEqual([]);
    });
  });

  describe('the webhook receiver answers as documented (real Fastify route, fake ingest)', () => {
    let fastify: FastifyInstance;
    let outcome: () => Promise<IngestResult>;
    const config = defaultConfig();
    const path = config.webhook.path;

    beforeAll(async () => {
      fastify = Fastify();
      const route = new WebhookHttpRoute(
        { httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost,
        { ingest: () => outcome() } as unknown as WebhookIngestService,
        { record: () => undefined } as unknown as RejectionRecorder,
        config,
      );
      route.onModuleInit();
      await fastify.ready();
    });

    afterAll(async () => {
      await fastify.close();
    });

    it.each<[string, () => Promise<IngestResult>, Record<string, string>, number]>([
      [
        'accepted',
        () =>
          Promise.resolve({
            outcome: 'accepted',
            deliveryId: 'd-1',
            status: 'processed',
            events: 2,
            targets: 3,
          }),
        { 'content-type': 'application/json' },
        202,
      ],
      [
        'stored as malformed',
        () =>
          Promise.resolve({
            outcome: 'accepted',
            deliveryId: null,
            status: 'malformed',
            events: 0,
            targets: 0,
          }),
        { 'content-type': 'application/json' },
        202,
      ],
      [
        'a duplicate',
        () => Promise.resolve({ outcome: 'duplicate', deliveryId: 'd-1' }),
        { 'content-type': 'application/json' },
        200,
      ],
      [
        'an invalid signature',
        () =>
          Promise.reject(
            new AppError('WEBHOOK.SIGNATURE_INVALID', 'signature mismatch', { reason: 'mismatch' }),
          ),
        { 'content-type': 'application/json' },
        401,
      ],
      [
        'a database outage',
        () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
        { 'content-type': 'application/json' },
        503,
      ],
      [
        'a body that is not JSON',
        () => Promise.reject(new Error('not reached')),
        { 'content-type': 'text/plain' },
        415,
      ],
    ])('%s', async (_what, ingest, headers, status) => {
      outcome = ingest;
      const answer = await fastify.inject({ method: 'POST', url: path, headers, payload: '{"events":[]}' });
      expect(answer.statusCode).toBe(status);
      const response = at(openapi, 'paths', path, 'post', 'responses', String(status));
      expect(openApiSchemas(openapi)(responsePointer(path, 'post', status), answer.json())).toEqual([]);
      for (const header of Object.keys(response.headers ?? {})) {
        expect(answer.headers[header.toLowerCase()]).toBeDefined();
      }
    });

    it('a body over the limit', async () => {
      const answer = await fastify.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json' },
        payload: 'x'.repeat(config.webhook.maxBodyBytes + 1),
      });
      expect(answer.statusCode).toBe(413);
      expect(openApiSchemas(openapi)(responsePointer(path, 'post', 413), answer.json())).toEqual([]);
    });

    it('another method', async () => {
      const answer = await fastify.inject({ method: 'GET', url: path });
      expect(answer.statusCode).toBe(405);
      expect(at(openapi, 'paths', path, 'get', 'responses', '405', 'headers', 'Allow')).toBeDefined();
      expect(answer.headers.allow).toBe('POST');
      expect(openApiSchemas(openapi)(responsePointer(path, 'get', 405), answer.json())).toEqual([]);
    });
  });

  describe('generation refuses a route and its documentation disagreeing', () => {
    const config = defaultConfig();
    let surface: WorkerHttpSurface;

    beforeAll(() => {
      surface = workerHttpSurface(config);
    });

    const build = (
      operations: Readonly<Record<string, OperationDoc>>,
      routes: WorkerHttpSurface['routes'] = surface.routes,
    ): Json =>
      buildOpenApiDocument({ version: '0.0.0', config, surface: { ...surface, routes }, operations });

    it('builds with the real routes and documentation', () => {
      expect(() => build(OPERATIONS)).not.toThrow();
    });

    it('a route without documentation', () => {
      const { 'GET /health/live': _removed, ...rest } = OPERATIONS;
      expect(() => build(rest)).toThrow(/GET \/health\/live \(HealthController\.live\) has no documentation/);
    });

    it('a new controller route nobody documented', () => {
      class TokenGuard implements CanActivate {
        canActivate(): boolean {
          return true;
        }
      }
      @Controller('new')
      class NewController {
        @Get(':id')
        read(): string {
          return '';
        }

        @Post()
        @UseGuards(TokenGuard)
        write(): string {
          return '';
        }
      }
      const routes = controllerRoutes([NewController]);
      expect(routes.map((route) => [route.key, route.status, route.guards])).toEqual([
        ['POST /new', 201, ['TokenGuard']],
        ['GET /new/{id}', 200, []],
      ]);
      expect(() => build(OPERATIONS, [...surface.routes, ...routes])).toThrow(
        /POST \/new \(NewController\.write\) has no documentation/,
      );
      expect(() =>
        build(
          {
            ...OPERATIONS,
            'GET /new/{id}': {
              ...at(OPERATIONS, 'GET /health/live'),
              pathParameters: { id: { description: 'id' } },
            } as unknown as OperationDoc,
            'POST /new': { ...at(OPERATIONS, 'POST /backfills') } as unknown as OperationDoc,
          },
          [...surface.routes, ...routes],
        ),
      ).toThrow(/guard TokenGuard has no documentation/);
    });

    it('documentation of a route no controller declares', () => {
      const routes = surface.routes.filter((route) => route.key !== 'GET /metrics');
      expect(() => build(OPERATIONS, routes)).toThrow(
        /documented routes that no controller declares: GET \/metrics/,
      );
    });

    it('a success status the documentation does not list', () => {
      const routes = surface.routes.map((route) =>
        route.key === 'POST /backfills' ? { ...route, status: 200 } : route,
      );
      expect(() => build(OPERATIONS, routes)).toThrow(/POST \/backfills .* answers 200 on success/);
    });

    it('a path parameter the documentation does not describe', () => {
      const { pathParameters: _dropped, ...undocumented } = at(
        OPERATIONS,
        'GET /backfills/{id}',
      ) as unknown as OperationDoc;
      expect(() => build({ ...OPERATIONS, 'GET /backfills/{id}': undocumented })).toThrow(/path parameters/);
    });

    it('a content type the route does not send', () => {
      const metrics = at(OPERATIONS, 'GET /metrics') as unknown as OperationDoc;
      expect(() =>
        build({
          ...OPERATIONS,
          'GET /metrics': {
            ...metrics,
            responses: { 200: { description: 'x', content: { 'text/html': {} } } },
          },
        }),
      ).toThrow(/sends Content-Type text\/plain/);
    });
  });

  describe('AsyncAPI 3.0 (validated by @asyncapi/parser)', () => {
    it('is a valid AsyncAPI 3.0 document (errors and warnings)', async () => {
      expect(asyncapi.asyncapi).toBe('3.0.0');
      expect(await asyncApiProblems(asyncapi)).toEqual([]);
    });

    it.each<[string, (document: Json) => void]>([
      [
        'an operation with an AsyncAPI 2 action',
        (d) => {
          at(d, 'operations', 'publishFetchRequests').action = 'publish';
        },
      ],
      [
        'a payload reference to a missing schema file',
        (d) => {
          at(d, 'components', 'messages', 'contractsChangeEvent', 'payload').$ref =
            '../events/nope.schema.json';
        },
      ],
      [
        'an operation sending a message its channel does not carry',
        (d) => {
          at(d, 'operations', 'publishFetchRequests').messages = [
            { $ref: '#/channels/fetchDeadLetters/messages/fetchDeadLetter' },
          ];
        },
      ],
      [
        'an invalid payload schema',
        (d) => {
          at(d, 'components', 'schemas', 'FetchRequest').type = 5;
        },
      ],
      [
        'a document without its info',
        (d) => {
          delete d.info;
        },
      ],
    ])(
      'rejects %s',
      async (_what, corrupt) => {
        const document = clone(asyncapi);
        corrupt(document);
        expect(await asyncApiProblems(document)).not.toEqual([]);
      },
      30_000,
    );

    it('has the fetch-request topic, its dead-letter topic and one change and one state topic per family', () => {
      const addresses = Object.values(at(asyncapi, 'channels')).map((channel) => (channel as Json).address);
      expect(addresses.sort()).toEqual(
        [
          '{prefix}.fetch.requests.v1',
          '{prefix}.fetch.dead-letter.v1',
          ...RESOURCE_FAMILIES.map((family) => `{prefix}.${family}.changes.v1`),
          ...RESOURCE_FAMILIES.map((family) => `{prefix}.${family}.state.v1`),
        ].sort(),
      );
      expect(at(asyncapi, 'components', 'parameters', 'prefix').default).toBe('tango');
    });

    it.each(RESOURCE_FAMILIES)('the %s change payload is the committed docs/events schema', (family) => {
      const payload = at(asyncapi, 'components', 'messages', `${family}ChangeEvent`, 'payload');
      const file = join(REPO_ROOT, dirname(ASYNCAPI_PATH), String(payload.$ref));
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(changeEventJsonSchema(family));
    });

    it.each(RESOURCE_FAMILIES)(
      'the %s channel lists its topic versions, with the released baseline of each',
      (family) => {
        const versions = at(asyncapi, 'channels', `${family}Changes`)['x-versions'];
        expect(versions).toEqual([
          {
            version: 'v1',
            address: `{prefix}.${family}.changes.v1`,
            published: true,
            releasedSchema: `../events/released/${family}.changes.v1.schema.json`,
          },
        ]);
        const baseline = join(
          REPO_ROOT,
          dirname(ASYNCAPI_PATH),
          `../events/released/${family}.changes.v1.schema.json`,
        );
        expect(existsSync(baseline)).toBe(true);
      },
    );

    it('derives x-versions from the topic versions it is given (a retired v1 and an unreleased v2)', () => {
      const document = buildAsyncApiDocument({
        version: '0.0.0',
        config: defaultConfig(),
        topicVersions: new Map([
          [
            'grants',
            [
              {
                version: 1,
                topic: 'grants.changes.v1',
                current: false,
                releasedPath: 'docs/events/released/grants.changes.v1.schema.json',
              },
              { version: 2, topic: 'grants.changes.v2', current: true, releasedPath: undefined },
            ],
          ],
        ]),
      });
      expect(at(document, 'channels', 'grantsChanges')['x-versions']).toEqual([
        {
          version: 'v1',
          address: '{prefix}.grants.changes.v1',
          published: false,
          releasedSchema: '../events/released/grants.changes.v1.schema.json',
        },
        { version: 'v2', address: '{prefix}.grants.changes.v2', published: true },
      ]);
    });

    it('documents exactly the headers the relay sets on change events', () => {
      const headers = at(asyncapi, 'components', 'messages', 'contractsChangeEvent', 'headers');
      const rows = rowsOfEveryChange('contracts');
      expect(rows.map((row) => row.changeType)).toEqual([...CHANGE_TYPES]);
      for (const row of rows) {
        const sent = changeEventHeaders(buildChangeEvent(row));
        expect(Object.keys(sent).sort()).toEqual(Object.keys(at(headers, 'properties')).sort());
        expect(validateSubset(headers, sent)).toEqual([]);
      }
      expect(
        validateSubset(headers, { ...changeEventHeaders(buildChangeEvent(sampleRow())), ce_source: 'x' }),
      ).not.toEqual([]);
    });

    it.each(RESOURCE_FAMILIES)(
      'the %s state channel is compacted and carries the committed state schema or a tombstone',
      (family) => {
        const channel = at(asyncapi, 'channels', `${family}State`);
        expect(at(channel, 'bindings', 'kafka', 'topicConfiguration')).toEqual({
          'cleanup.policy': ['compact'],
        });
        const payload = at(asyncapi, 'components', 'messages', `${family}State`, 'payload');
        const file = join(REPO_ROOT, dirname(ASYNCAPI_PATH), String(payload.$ref));
        expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(stateMessageJsonSchema(family));
        expect(at(asyncapi, 'components', 'messages', `${family}StateTombstone`, 'payload').type).toBe(
          'null',
        );
        expect(
          at(asyncapi, 'operations', `publish${family[0]?.toUpperCase() ?? ''}${family.slice(1)}State`),
        ).toMatchObject({
          action: 'send',
          channel: { $ref: `#/channels/${family}State` },
        });
      },
    );

    it('documents exactly the headers the relay sets on state messages and tombstones', () => {
      const state = at(asyncapi, 'components', 'messages', 'contractsState', 'headers');
      const tombstone = at(asyncapi, 'components', 'messages', 'contractsStateTombstone', 'headers');
      for (const row of rowsOfEveryChange('contracts')) {
        const headers = row.changeType === 'deleted' ? tombstone : state;
        const sent = {
          ...(row.changeType === 'deleted' ? {} : { 'content-type': 'application/json' }),
          ...stateHeaders(buildChangeEvent(row)),
        };
        expect(Object.keys(sent).sort()).toEqual(Object.keys(at(headers, 'properties')).sort());
        expect(validateSubset(headers, sent)).toEqual([]);
      }
      const deleted = rowsOfEveryChange('contracts').find((row) => row.changeType === 'deleted');
      expect(deleted).toBeDefined();
      if (deleted !== undefined) {
        expect(
          validateSubset(state, {
            'content-type': 'application/json',
            ...stateHeaders(buildChangeEvent(deleted)),
          }),
        ).not.toEqual([]);
      }
    });
  });
});
