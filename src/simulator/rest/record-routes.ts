import { type FastifyInstance } from 'fastify';
import { type FamilySpec } from '../dataset/families';
import { type JsonObject } from '../dataset/json';
import { type Dataset } from '../dataset/store';
import { FAMILIES, type Family } from '../options';
import { type ApiContext, type ApiRequest, type ApiResult, registerApiRoute } from './api-route';
import { HttpFailure, notFound } from './http-failure';
import { type ListEngine } from './list-engine';
import { parseListQuery } from './list-query';
import {
  ShapeSyntaxError,
  type ShapeNode,
  applyShape,
  availableFields,
  flatten,
  parseShape,
  validateShape,
} from './shape';

export interface RecordRouteOptions {
  readonly defaultPageSize: number;
  readonly awardModifiedFilter: boolean;
  readonly refuseProShapes: () => boolean;
  readonly refuseProShapesStatus: number;
}

/** The REST resources: list and detail per family, exactly under Tango's paths (trailing slashes). */
export class RecordRoutes {
  private readonly samples = new Map<Family, JsonObject>();

  constructor(
    private readonly dataset: Dataset,
    private readonly engine: ListEngine,
    private readonly options: RecordRouteOptions,
  ) {}

  register(app: FastifyInstance, ctx: ApiContext): void {
    for (const family of FAMILIES) {
      const spec = this.dataset.spec(family);
      registerApiRoute(app, ctx, 'GET', `/api/${family}/`, (request) => this.list(spec, request));
      registerApiRoute(app, ctx, 'GET', `/api/${family}/:id/`, (request) => this.detail(spec, request));
    }
  }

  private sample(spec: FamilySpec): JsonObject {
    let sample = this.samples.get(spec.family);
    if (sample === undefined) {
      sample = spec.generate(this.dataset.ctx, 0);
      this.samples.set(spec.family, sample);
    }
    return sample;
  }

  /** The requested shape, or undefined for the family's default; throws the documented 400s. */
  private shapeOf(spec: FamilySpec, request: ApiRequest): ShapeNode[] | undefined {
    const raw = request.query.shape;
    if (raw === undefined || raw === '') {
      return undefined;
    }
    if (spec.proShapeTier && this.options.refuseProShapes()) {
      throw new HttpFailure(this.options.refuseProShapesStatus, {
        detail: `Custom response shaping on ${spec.family} requires the Pro tier.`,
      });
    }
    let nodes: ShapeNode[];
    try {
      nodes = parseShape(raw);
    } catch (error) {
      if (error instanceof ShapeSyntaxError) {
        throw new HttpFailure(400, {
          issues: [{ path: raw, reason: 'syntax_error', message: error.message }],
        });
      }
      throw error;
    }
    const sample = this.sample(spec);
    const issues = validateShape(nodes, sample);
    if (issues.length > 0) {
      throw new HttpFailure(400, {
        issues: issues.map((issue) => ({ ...issue })),
        available_fields: availableFields(sample),
      });
    }
    return nodes;
  }

  private render(
    record: JsonObject,
    shape: ShapeNode[] | undefined,
    fallback: readonly string[] | undefined,
    request: ApiRequest,
  ): JsonObject {
    let out: JsonObject;
    if (shape !== undefined) {
      out = applyShape(record, shape);
    } else if (fallback !== undefined) {
      out = {};
      for (const field of fallback) {
        const value = record[field];
        if (value !== undefined) {
          out[field] = value;
        }
      }
    } else {
      out = record;
    }
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

  private list(spec: FamilySpec, request: ApiRequest): ApiResult {
    const shape = this.shapeOf(spec, request);
    const query = parseListQuery(spec, this.dataset, request.query, this.options);
    const page = this.engine.list(spec, query);
    const results = page.items.map((item) => this.render(item.record, shape, spec.listShape, request));
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
          count_type: request.query.count_type === 'exact' ? 'exact' : 'approximate',
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
    return { status: 200, body: this.render(record, shape, undefined, request) };
  }
}
