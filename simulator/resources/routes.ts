import { type FastifyInstance } from 'fastify';
import { type Counters } from '../counters';
import { type JsonObject } from '../dataset/json';
import { type ApiContext, type ApiRequest, type ApiResult, registerApiRoute } from '../rest/api-route';
import { HttpFailure, notFound } from '../rest/http-failure';
import { type QueryParams } from '../rest/list-query';
import { ShapeSyntaxError, type ShapeNode, applyShape, flatten, parseShape } from '../rest/shape';
import { RESOURCES, type ResourceSpec } from './catalog';
import { listResourcePage, parseResourceListQuery } from './list';
import { type ResourceStore } from './store';

export interface ResourceRouteOptions {
  readonly defaultPageSize: number;
  readonly refuseProShapes: () => boolean;
  readonly refuseProShapesStatus: number;
}

/**
 * `GET /api/<collection>/` for every resource of the identity table, and `GET /api/<collection>/<id>/` where the
 * table says Tango has the route. Behind the same gates as the families (API key, rate limits, faults, counters).
 * Without `shape`, lists and details answer the whole record.
 */
export class ResourceRoutes {
  constructor(
    private readonly store: ResourceStore,
    private readonly counters: Counters,
    private readonly options: ResourceRouteOptions,
  ) {}

  register(app: FastifyInstance, ctx: ApiContext): void {
    for (const name of RESOURCES) {
      const spec = this.store.spec(name);
      const base = `/api/${spec.identity.collection}/`;
      registerApiRoute(app, ctx, 'GET', base, (request) => this.list(spec, request));
      if (spec.identity.detailRoute) {
        registerApiRoute(app, ctx, 'GET', `${base}:id/`, (request) => this.detail(spec, request));
      }
    }
  }

  /** The requested shape, or undefined for the whole record; throws Tango's 400 (or the lower-tier refusal). */
  private shapeOf(spec: ResourceSpec, request: ApiRequest): ShapeNode[] | undefined {
    const raw = request.query.shape;
    if (raw === undefined || raw === '') {
      return undefined;
    }
    const resource = spec.contract;
    const tier = resource.shapeTierRequired;
    if (tier !== null && this.options.refuseProShapes()) {
      const tierName = `${tier.charAt(0).toUpperCase()}${tier.slice(1)}`;
      throw new HttpFailure(this.options.refuseProShapesStatus, {
        detail: `Custom response shaping on ${spec.identity.collection} requires the ${tierName} tier.`,
      });
    }
    let nodes: ShapeNode[];
    try {
      nodes = parseShape(raw);
    } catch (error) {
      if (error instanceof ShapeSyntaxError) {
        throw new HttpFailure(400, {
          error: 'Invalid shape',
          issues: [{ path: raw, reason: 'syntax_error' }],
          available_fields: resource.availableFields(),
        });
      }
      throw error;
    }
    const issues = resource.validateShape(nodes);
    if (issues.length > 0) {
      throw new HttpFailure(400, {
        error: 'Invalid shape',
        issues: issues.map((issue) => ({ path: issue.path, reason: issue.reason })),
        available_fields: resource.availableFields(),
      });
    }
    return nodes;
  }

  private render(
    spec: ResourceSpec,
    record: JsonObject,
    shape: readonly ShapeNode[] | undefined,
    request: ApiRequest,
  ): JsonObject {
    const out = shape === undefined ? record : applyShape(record, shape, spec.contract);
    return request.query.flat === 'true' ? flatten(out, request.query.joiner ?? '.') : out;
  }

  private link(request: ApiRequest, page: number): string {
    const url = new URL(request.url, request.linkBase);
    url.searchParams.set('page', String(page));
    if (page === 1) {
      url.searchParams.delete('page');
    }
    return url.toString();
  }

  /** Counts what Tango would silently ignore, and requests without any contract filter (as for the families). */
  private countListParameters(spec: ResourceSpec, query: QueryParams): void {
    const present: Record<string, string> = {};
    for (const [param, value] of Object.entries(query)) {
      if (value !== undefined) {
        present[param] = value;
      }
    }
    const resource = spec.contract;
    for (const entry of resource.unknownListParams(present)) {
      if (!entry.startsWith('ordering=')) {
        this.counters.ignoredListParam(spec.name, entry);
      } else if (!resource.takesOrdering) {
        this.counters.ignoredListParam(spec.name, 'ordering');
      }
    }
    const filtered = Object.entries(present).some(
      ([param, value]) => resource.filterParams.has(param) && value.trim() !== '',
    );
    if (!filtered) {
      this.counters.unfilteredListRequest(spec.name);
    }
  }

  private list(spec: ResourceSpec, request: ApiRequest): ApiResult {
    this.countListParameters(spec, request.query);
    const shape = this.shapeOf(spec, request);
    const query = parseResourceListQuery(spec, request.query, this.options.defaultPageSize);
    const page = listResourcePage(this.store.entries(spec.name), query);
    return {
      status: 200,
      body: {
        count: page.count,
        next: page.nextPage === undefined ? null : this.link(request, page.nextPage),
        previous: page.previousPage === undefined ? null : this.link(request, page.previousPage),
        results: page.entries.map((entry) => this.render(spec, entry.record, shape, request)),
      },
    };
  }

  private detail(spec: ResourceSpec, request: ApiRequest): ApiResult {
    const entry = this.store.get(spec.name, request.params.id ?? '');
    if (entry === undefined) {
      throw notFound(spec.identity.modelName);
    }
    return { status: 200, body: this.render(spec, entry.record, this.shapeOf(spec, request), request) };
  }
}
