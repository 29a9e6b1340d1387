import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { parseShape, type ShapeNode, ShapeSyntaxError } from '../../src/tango-contract/shape-grammar';
import {
  type ResourceContract,
  type TangoContract,
  vendoredContract,
} from '../../src/tango-contract/tango-contract';

export const CASSETTE_DIR = join(__dirname, '..', 'fixtures', 'tango-cassettes');

/** Each family's id field, as Tango names it (the stand-in is Tango: it does not read the worker's descriptors). */
const ID_FIELDS: Readonly<Record<string, string>> = {
  contracts: 'key',
  idvs: 'key',
  otas: 'key',
  otidvs: 'key',
  opportunities: 'opportunity_id',
  notices: 'notice_id',
  entities: 'uei',
  grants: 'grant_id',
  forecasts: 'id',
};

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = Record<string, Json>;

const cassetteSchema = z.object({
  interactions: z.array(
    z.object({
      request: z.object({ method: z.string(), url: z.string() }),
      response: z.object({
        status: z.number(),
        headers: z.record(z.string(), z.string()),
        body: z.json(),
      }),
    }),
  ),
});

export interface RecordedRecords {
  /** Records by family and id, as Tango answered them (the union of every recorded page). */
  readonly records: ReadonlyMap<string, ReadonlyMap<string, JsonObject>>;
  /** Response headers Tango sent (rate limits, API version), replayed on every answer. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Every record of the recorded list answers, per family, merged across cassettes (fields of all pages kept). */
export function loadRecordedRecords(dir: string = CASSETTE_DIR): RecordedRecords {
  const records = new Map<string, Map<string, JsonObject>>();
  let headers: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json'))) {
    const cassette = cassetteSchema.parse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    for (const { request, response } of cassette.interactions) {
      const family = /\/api\/([a-z_]+)\//.exec(new URL(request.url).pathname)?.[1];
      const idField = family === undefined ? undefined : ID_FIELDS[family];
      const body = response.body;
      if (response.status !== 200 || idField === undefined || family === undefined) {
        continue;
      }
      headers = response.headers;
      const results =
        body !== null && typeof body === 'object' && !Array.isArray(body) && Array.isArray(body.results)
          ? body.results
          : [];
      const byId = records.get(family) ?? new Map<string, JsonObject>();
      for (const result of results) {
        if (result === null || typeof result !== 'object' || Array.isArray(result)) {
          continue;
        }
        const raw = result[idField];
        if (typeof raw !== 'string' && typeof raw !== 'number') {
          continue;
        }
        const id = String(raw);
        byId.set(id, { ...byId.get(id), ...result });
      }
      records.set(family, byId);
    }
  }
  return { records, headers };
}

function project(value: Json, nodes: readonly ShapeNode[] | undefined): Json {
  if (nodes === undefined || nodes.some((node) => node.field === '*')) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => project(item, nodes));
  }
  if (value === null || typeof value !== 'object') {
    return value;
  }
  const out: JsonObject = {};
  for (const node of nodes) {
    const child = value[node.field];
    if (child !== undefined) {
      out[node.alias] = project(child, node.children);
    }
  }
  return out;
}

export interface CassetteTango {
  readonly baseUrl: string;
  /** Requests answered, by `METHOD path` and status. */
  readonly answered: Map<string, number>;
  /** List parameters Tango would have ignored, by family and name. */
  readonly ignoredParams: Map<string, number>;
  /** Shapes refused with 400 Invalid shape (the worker must send none). */
  readonly refusedShapes: string[];
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body: Json;
}
type ContractResource = ResourceContract;

/** What the stand-in serves and what it counts. */
interface StandIn {
  readonly apiKey: string;
  readonly records: RecordedRecords['records'];
  readonly contract: TangoContract;
  readonly ignoredParams: Map<string, number>;
  readonly refusedShapes: string[];
}

/** The `shape` parameter parsed and checked against Tango's contract, or Tango's `400 Invalid shape`. */
function checkShape(
  standIn: StandIn,
  family: string,
  resource: ContractResource,
  shapeParam: string | undefined,
): { shape: ShapeNode[] | undefined } | { refused: Answer } {
  if (shapeParam === undefined) {
    return { shape: undefined };
  }
  let shape: ShapeNode[];
  try {
    shape = parseShape(shapeParam);
  } catch (error) {
    if (error instanceof ShapeSyntaxError) {
      return {
        refused: {
          status: 400,
          body: { error: 'Invalid shape', issues: [{ path: shapeParam, reason: 'syntax_error' }] },
        },
      };
    }
    throw error;
  }
  const issues = resource.validateShape(shape);
  if (issues.length > 0) {
    standIn.refusedShapes.push(`${family}: ${shapeParam}`);
    return {
      refused: {
        status: 400,
        body: {
          error: 'Invalid shape',
          issues: issues.map((issue) => ({ path: issue.path, reason: issue.reason })),
          available_fields: resource.availableFields(),
        },
      },
    };
  }
  return { shape };
}

/** One record by its id (case-insensitive, as Tango matches), shaped. */
function detailAnswer(
  familyRecords: ReadonlyMap<string, JsonObject>,
  id: string,
  shape: ShapeNode[] | undefined,
): Answer {
  const wanted = decodeURIComponent(id).toLowerCase();
  const found = [...familyRecords.entries()].find(([key]) => key.toLowerCase() === wanted)?.[1];
  return found === undefined
    ? { status: 404, body: { detail: 'No record matches the given query.' } }
    : { status: 200, body: project(found, shape) };
}

/** A list page: the id-list filter applied, parameters the contract lacks ignored (and counted), shaped. */
function listAnswer(
  standIn: StandIn,
  family: string,
  resource: ContractResource,
  query: Record<string, string>,
  shape: ShapeNode[] | undefined,
): Answer {
  for (const param of resource.unknownListParams(query)) {
    const key = `${family}.${param}`;
    standIn.ignoredParams.set(key, (standIn.ignoredParams.get(key) ?? 0) + 1);
  }
  const idField = ID_FIELDS[family] ?? 'id';
  const familyRecords = standIn.records.get(family) ?? new Map<string, JsonObject>();
  const idList = [...resource.filterParams].find((param) => resource.filterClass(param) === 'IdListFilter');
  const ids =
    idList === undefined ? undefined : query[idList]?.split('|').map((value) => value.toLowerCase());
  const results = [...familyRecords.values()].filter((record) => {
    const raw = record[idField];
    return (
      ids === undefined ||
      ((typeof raw === 'string' || typeof raw === 'number') && ids.includes(String(raw).toLowerCase()))
    );
  });
  const keyset = resource.pagination.kind === 'keyset';
  return {
    status: 200,
    body: {
      count: results.length,
      next: null,
      previous: null,
      ...(keyset ? { cursor: null, previous_cursor: null } : {}),
      results: results.slice(0, 100).map((record) => project(record, shape)),
    },
  };
}

/** Tango's answer to one request: the API key, the family, the shape, then the detail or the list. */
function answer(standIn: StandIn, request: IncomingMessage): Answer {
  if (request.headers['x-api-key'] !== standIn.apiKey) {
    return { status: 401, body: { detail: 'Invalid API key.' } };
  }
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const match = /^\/api\/([a-z_]+)\/(?:([^/]+)\/)?$/.exec(url.pathname);
  const family = match?.[1];
  if (family === undefined || ID_FIELDS[family] === undefined) {
    return { status: 404, body: { detail: 'Not found.' } };
  }
  const resource = standIn.contract.resource(family);
  const query = Object.fromEntries(url.searchParams.entries());
  const checked = checkShape(standIn, family, resource, query.shape);
  if ('refused' in checked) {
    return checked.refused;
  }
  const id = match?.[2];
  return id !== undefined
    ? detailAnswer(standIn.records.get(family) ?? new Map<string, JsonObject>(), id, checked.shape)
    : listAnswer(standIn, family, resource, query, checked.shape);
}

/**
 * A stand-in for Tango built from its own recorded answers: the recorded records at their real paths (list with
 * id-list filters, and detail), the recorded headers, `X-API-KEY` required, `shape` checked against Tango's
 * contract (a bad one answers `400 Invalid shape` with `issues`, as Tango does) and applied to the record, and
 * every list parameter the contract lacks ignored, as Tango ignores it, and counted.
 */
export async function startCassetteTango(apiKey: string): Promise<CassetteTango> {
  const { records, headers } = loadRecordedRecords();
  const standIn: StandIn = {
    apiKey,
    records,
    // The contract of the API version the recordings were made on (4.22.0), whichever one the worker runs on.
    contract: vendoredContract(headers['x-tango-api-version'] ?? 'unrecorded'),
    ignoredParams: new Map<string, number>(),
    refusedShapes: [],
  };
  const answered = new Map<string, number>();
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const { status, body } = answer(standIn, request);
    const path = new URL(request.url ?? '/', 'http://stand-in').pathname;
    const key = `${request.method ?? 'GET'} ${path.replace(/\/api\/([a-z_]+)\/[^/]+\/$/, '/api/$1/:id/')} ${status}`;
    answered.set(key, (answered.get(key) ?? 0) + 1);
    response.writeHead(status, { ...headers, 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    answered,
    ignoredParams: standIn.ignoredParams,
    refusedShapes: standIn.refusedShapes,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.close((error) => {
          if (error) {
            reject(error);
          } else {
            resolve();
          }
        }),
      ),
  };
}
