import { type FastifyInstance } from 'fastify';
import { type Counters } from '../counters';
import { type FamilySpec } from '../dataset/families';
import { COMPACT_WHOLE_SHAPES, FULL_SHAPES } from '../dataset/full-shapes';
import { type JsonObject } from '../dataset/json';
import { type Dataset } from '../dataset/store';
import { FAMILIES, type Family } from '../options';
import { type ApiContext, type ApiRequest, type ApiResult, registerApiRoute } from './api-route';
import { HttpFailure, notFound } from './http-failure';
import { type ListEngine } from './list-engine';
import { type QueryParams, parseListQuery } from './list-query';
import { ShapeSyntaxError, type ShapeNode, applyShape, flatten, parseShape } from './shape';

export interface RecordRouteOptions {
  readonly defaultPageSize: number;
  readonly awardModifiedFilter: boolean;
  readonly refuseProShapes: () => boolean;
  readonly refuseProShapesStatus: number;
}

/**
 * The REST resources: list and detail per family, exactly under Tango's paths (trailing slashes). Shapes are
 * validated against Tango's contract (`dataset.contract`), list parameters the contract lacks are ignored and
 * counted, and every record is served through the contract (run-time field removals included).
 */
export class RecordRoutes {
  private readonly listShapes = new Map<Family, readonly ShapeNode[]>();
  /** The parsed whole shape per family: a record asked for with it is served as it is (it is that shape). */
  private readonly wholeShapes = new Map<Family, ShapeNode[]>();

  constructor(
    private readonly dataset: Dataset,
    private readonly engine: ListEngine,
    private readonly counters: Counters,
    private readonly options: RecordRouteOptions,
  ) {}

  register(app: FastifyInstance, ctx: ApiContext): void {
    for (const family of FAMILIES) {
      const spec = this.dataset.spec(family);
      registerApiRoute(app, ctx, 'GET', `/api/${family}/`, (request) => this.list(spec, request));
      registerApiRoute(app, ctx, 'GET', `/api/${family}/:id/`, (request) => this.detail(spec, request));
    }
  }

  /** The default list shape (names removed from the contract at run time are left out). */
  private listShape(spec: FamilySpec): readonly ShapeNode[] {
    let nodes = this.listShapes.get(spec.family);
    if (nodes === undefined) {
      nodes = parseShape(spec.listShape);
      this.listShapes.set(spec.family, nodes);
    }
    const contract = this.dataset.contract;
    return nodes.filter((node) => !contract.isRemoved(spec.family, node.field));
  }

  /** The requested shape, or undefined for the default; throws Tango's 400 (or the lower-tier refusal). */
  private shapeOf(spec: FamilySpec, request: ApiRequest): ShapeNode[] | undefined {
    const raw = request.query.shape;
    if (raw === undefined || raw === '') {
      return undefined;
    }
    const contract = this.dataset.contract;
    const tier = contract.resource(spec.family).shapeTierRequired;
    if (tier !== null && this.options.refuseProShapes()) {
      const tierName = `${tier.charAt(0).toUpperCase()}${tier.slice(1)}`;
      throw new HttpFailure(this.options.refuseProShapesStatus, {
        detail: `Custom response shaping on ${spec.family} requires the ${tierName} tier.`,
      });
    }
    let nodes: ShapeNode[];
    try {
      nodes =
        raw === FULL_SHAPES[spec.family] || raw === COMPACT_WHOLE_SHAPES[spec.family]
          ? this.wholeShape(spec.family)
          : parseShape(raw);
    } catch (error) {
      if (error instanceof ShapeSyntaxError) {
        throw new HttpFailure(400, {
          error: 'Invalid shape',
          issues: [{ path: raw, reason: 'syntax_error' }],
          available_fields: contract.availableFields(spec.family),
        });
      }
      throw error;
    }
    const issues = contract.validateShape(spec.family, nodes);
    if (issues.length > 0) {
      throw new HttpFailure(400, {
        error: 'Invalid shape',
        issues: issues.map((issue) => ({ path: issue.path, reason: issue.reason })),
        available_fields: contract.availableFields(spec.family),
      });
    }
    return nodes;
  }

  private wholeShape(family: Family): ShapeNode[] {
    let nodes = this.wholeShapes.get(family);
    if (nodes === undefined) {
      nodes = parseShape(FULL_SHAPES[family]);
      this.wholeShapes.set(family, nodes);
    }
    return nodes;
  }

  private render(
    spec: FamilySpec,
    record: JsonObject,
    shape: readonly ShapeNode[] | undefined,
    request: ApiRequest,
  ): JsonObject {
    const served = this.dataset.project(spec.family, record);
    // Every served record is whole (`whole-record.ts`): the whole shape would select all of it, in its order.
    const whole = shape === undefined || shape === this.wholeShapes.get(spec.family);
    const out = whole ? served : applyShape(served, shape, this.dataset.contract.resource(spec.family));
    return request.query.flat === 'true' ? flatten(out, request.query.joiner ?? '.') : out;
  }

  private link(request: ApiRequest, set: Record<string, string>): string {
    const url = new URL(request.url, request.linkBase);
    for (const [key, value] of Object.entries(set)) {
      url.searchParams.set(key, value);
    }
    if ('page' in set && set.page === '1') {
      url.searchParams.delete('page');
    }
    return url.toString();
  }

  /**
   * Counts what Tango would silently ignore (parameters outside the family's contract; an `ordering` where the
   * contract has none) and requests without any contract filter.
   */
  private countListParameters(spec: FamilySpec, query: QueryParams): void {
    const resource = this.dataset.contract.resource(spec.family);
    const present: Record<string, string> = {};
    for (const [param, value] of Object.entries(query)) {
      if (value !== undefined) {
        present[param] = value;
      }
    }
    for (const entry of resource.unknownListParams(present)) {
      if (!entry.startsWith('ordering=')) {
        this.counters.ignoredListParam(spec.family, entry);
      } else if (!resource.takesOrdering && !spec.rejectsOrdering) {
        // An ordering the family's contract does not take is ignored; a bad value of one it takes is a 400.
        this.counters.ignoredListParam(spec.family, 'ordering');
      }
    }
    const filtered = Object.entries(present).some(
      ([param, value]) => resource.filterParams.has(param) && value.trim() !== '',
    );
    if (!filtered) {
      this.counters.unfilteredListRequest(spec.family);
    }
  }

  private list(spec: FamilySpec, request: ApiRequest): ApiResult {
    this.countListParameters(spec, request.query);
    const shape = this.shapeOf(spec, request) ?? this.listShape(spec);
    const query = parseListQuery(
      spec,
      this.dataset,
      request.query,
      this.options,
      this.dataset.contract.resource(spec.family),
    );
    const page = this.engine.list(spec, query);
    const results = page.items.map((item) => this.render(spec, item.record, shape, request));
    if (spec.pagination === 'keyset') {
      return {
        status: 200,
        body: {
          count: page.count,
          next: page.nextCursor === undefined ? null : this.link(request, { cursor: page.nextCursor }),
          previous:
            page.previousCursor === undefined ? null : this.link(request, { cursor: page.previousCursor }),
          cursor: page.nextCursor ?? null,
          previous_cursor: page.previousCursor ?? null,
          results,
        },
      };
    }
    return {
      status: 200,
      body: {
        count: page.count,
        next: page.nextPage === undefined ? null : this.link(request, { page: String(page.nextPage) }),
        previous:
          page.previousPage === undefined ? null : this.link(request, { page: String(page.previousPage) }),
        results,
      },
    };
  }

  private detail(spec: FamilySpec, request: ApiRequest): ApiResult {
    const id = decodeURIComponent(request.params.id ?? '');
    const index = this.dataset.resolve(spec.family, id);
    const record = index === undefined ? undefined : this.dataset.get(spec.family, index);
    if (record === undefined) {
      if (spec.family === 'opportunities') {
        const noticeIndex = this.dataset.resolve('notices', id);
        const parent =
          noticeIndex === undefined ? undefined : this.dataset.get('notices', noticeIndex)?.opportunity_id;
        if (typeof parent === 'string' && this.dataset.resolve('opportunities', parent) !== undefined) {
          return { status: 302, headers: { location: `/api/opportunities/${parent}/` } };
        }
      }
      throw notFound(spec.modelName);
    }
    const shape = this.shapeOf(spec, request);
    return { status: 200, body: this.render(spec, record, shape, request) };
  }
}
