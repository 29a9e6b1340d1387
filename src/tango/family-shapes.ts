import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { FAMILIES, type ShapeItem } from '../common/tango/families';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { MetricsService } from '../metrics/metrics.service';
import { shapePaths, withoutPaths } from '../tango-contract/whole-shape';
import { ConfigValidationError, type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import {
  configuredShape,
  type ConfiguredShape,
  narrowingProblems,
  type NotMirroredPath,
  type ShapeNarrowing,
} from './shape-narrowing';
import { familyContract, type RequestShape } from './tango-requests';
import { type TangoRequestError } from './tango-errors';

/** A shape item Tango refused, dropped from the family's requests until a probe or an operator restores it. */
export interface DroppedShapeItem {
  /** The path Tango named (`synopsis`, `recipient.uei`). */
  readonly path: string;
  readonly reason: string;
  readonly since: string;
}

export interface FamilyShapeState {
  readonly family: ResourceFamily;
  /** `full`: the descriptor's shape; `reduced`: some items dropped; `unshaped`: the tier refuses any shape. */
  readonly status: 'full' | 'reduced' | 'unshaped';
  readonly dropped: readonly DroppedShapeItem[];
  readonly unshapedSince: Date | null;
  readonly unshapedReason: string | null;
  readonly degradedSince: Date | null;
  readonly driftEvents: number;
  readonly lastProbeAt: Date | null;
  readonly lastProbeOutcome: string | null;
  readonly restoredAt: Date | null;
  /** Every path of the whole record the family does not mirror, and why (narrowed, gated by plan, refused). */
  readonly notMirrored: readonly NotMirroredPath[];
  /** Paths of the whole record (Tango's contract) and how many of them the family asks for. */
  readonly paths: { readonly whole: number; readonly asked: number };
}

/** How Tango refused a request's shape, read from its answer. */
export type ShapeRefusal =
  | { readonly kind: 'items'; readonly issues: readonly { readonly path: string; readonly reason: string }[] }
  | { readonly kind: 'tier'; readonly message: string };

const issuesSchema = z.looseObject({
  issues: z
    .array(z.looseObject({ path: z.string().min(1), reason: z.string().default('unknown_field') }))
    .min(1),
});

const TIER_MESSAGE = /\b(tier|plan|upgrade|subscription|pro)\b/i;

/**
 * Whether a failed request was Tango refusing its `shape`, and how: `400 {"issues": [{path, reason}]}` names the
 * items it does not have; a refusal for the account's tier (families whose shapes need `pro`) is told by its
 * message, or by a 403, whatever the status code.
 */
export function classifyShapeRefusal(family: ResourceFamily, error: TangoRequestError): ShapeRefusal | null {
  if (error.status === null || error.status === 404 || error.status === 429 || error.status >= 500) {
    return null;
  }
  const issues = issuesSchema.safeParse(error.body);
  if (issues.success) {
    return { kind: 'items', issues: issues.data.issues.map(({ path, reason }) => ({ path, reason })) };
  }
  if (familyContract(family).shapeTierRequired === null) {
    return null;
  }
  const message = error.detail ?? error.message;
  if (TIER_MESSAGE.test(message) && /shap/i.test(message)) {
    return { kind: 'tier', message };
  }
  if (error.status === 403) {
    return { kind: 'tier', message };
  }
  return null;
}

/** A shape without the dropped paths (a path drops its node and what lies under it; see `withoutPaths`). */
export function reducedShape(items: readonly ShapeItem[], droppedPaths: readonly string[]): ShapeItem[] {
  return withoutPaths(items, new Set(droppedPaths));
}

/**
 * What dropping can heal in a refusal: each issue naming a path of the family's whole shape becomes the path to
 * drop; issues naming anything else, or the record's id, cannot be healed.
 */
export function droppableIssues(
  family: ResourceFamily,
  issues: readonly { readonly path: string; readonly reason: string }[],
): { droppable: { path: string; reason: string }[]; unhealable: string[] } {
  const descriptor = FAMILIES[family];
  const known = new Set(shapePaths(descriptor.shape));
  const droppable = new Map<string, string>();
  const unhealable: string[] = [];
  for (const { path, reason } of issues) {
    if (!known.has(path) || path === descriptor.idField) {
      unhealable.push(path);
    } else {
      droppable.set(path, reason);
    }
  }
  return { droppable: [...droppable].map(([path, reason]) => ({ path, reason })), unhealable };
}

/** Every family's configured shape; throws ConfigValidationError naming every bad setting at once. */
export function configuredShapes(narrowing: ShapeNarrowing): ReadonlyMap<ResourceFamily, ConfiguredShape> {
  const problems = narrowingProblems(narrowing);
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
  return new Map(RESOURCE_FAMILIES.map((family) => [family, configuredShape(family, narrowing)]));
}

const rowSchema = z.object({
  resource: z.enum(RESOURCE_FAMILIES),
  dropped: z.array(z.object({ path: z.string(), reason: z.string(), since: z.string() })).catch([]),
  unshaped_since: z.date().nullable(),
  unshaped_reason: z.string().nullable(),
  degraded_since: z.date().nullable(),
  drift_events: z.number().int(),
  last_probe_at: z.date().nullable(),
  last_probe_outcome: z.string().nullable(),
  restored_at: z.date().nullable(),
});

const SELECT_COLUMNS = `resource, dropped, unshaped_since, unshaped_reason, degraded_since, drift_events, last_probe_at,
  last_probe_outcome, restored_at`;

/** States are re-read this often, so every replica follows a drift another replica noticed. */
const REFRESH_MS = 5_000;

/** The state of a family nothing was refused for. */
export function fullShapeState(family: ResourceFamily): FamilyShapeState {
  return {
    family,
    status: 'full',
    dropped: [],
    unshapedSince: null,
    unshapedReason: null,
    degradedSince: null,
    driftEvents: 0,
    lastProbeAt: null,
    lastProbeOutcome: null,
    restoredAt: null,
    notMirrored: [],
    paths: { whole: wholePathCount(family), asked: wholePathCount(family) },
  };
}

const wholePathCount = (family: ResourceFamily): number => shapePaths(FAMILIES[family].shape).length;

function stateOf(row: z.infer<typeof rowSchema>): FamilyShapeState {
  return {
    family: row.resource,
    status: row.unshaped_since !== null ? 'unshaped' : row.dropped.length > 0 ? 'reduced' : 'full',
    dropped: row.dropped,
    unshapedSince: row.unshaped_since,
    unshapedReason: row.unshaped_reason,
    degradedSince: row.degraded_since,
    driftEvents: row.drift_events,
    lastProbeAt: row.last_probe_at,
    lastProbeOutcome: row.last_probe_outcome,
    restoredAt: row.restored_at,
    notMirrored: [],
    paths: { whole: wholePathCount(row.resource), asked: wholePathCount(row.resource) },
  };
}

/**
 * The shape each family asks Tango for, kept in step with what Tango accepts. When Tango refuses shape items
 * (`400 Invalid shape` with `issues`), they are dropped and the family keeps mirroring with what is left; when the
 * account's tier refuses shapes, the family is fetched without one. The state is in Postgres (`family_shapes`), so
 * every replica and restart uses it, until a probe finds Tango accepts the full shape again or an operator
 * restores it. While reduced, /health shows the family degraded with the dropped items.
 */
@Injectable()
export class FamilyShapes {
  private readonly logger = new Logger(FamilyShapes.name);
  private states = new Map<ResourceFamily, FamilyShapeState>();
  private loadedAt = 0;
  private loading: Promise<void> | undefined;
  private readonly driftEvents: Counter<'resource' | 'kind'>;
  private readonly restores: Counter<'resource'>;
  private readonly configured: ReadonlyMap<ResourceFamily, ConfiguredShape>;

  constructor(
    private readonly dataSource: DataSource,
    metrics: MetricsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.configured = configuredShapes({
      fields: config.tango.shapeFields,
      exclude: config.tango.shapeExclude,
      ...(config.tango.plan === undefined ? {} : { plan: config.tango.plan }),
    });
    this.driftEvents = metrics.counter(
      'tango_sync_shape_drift_events_total',
      'Times Tango refused a family shape (items dropped, or shapes refused for the tier)',
      ['resource', 'kind'],
    );
    this.restores = metrics.counter(
      'tango_sync_shape_restored_total',
      'Times a family went back to its full shape',
      ['resource'],
    );
  }

  /**
   * The shape to send for the family now: the configured one (the whole record less the operator's narrowing and
   * the plan's gates), less what Tango refused, or null (send none).
   */
  async requestShape(family: ResourceFamily): Promise<RequestShape> {
    const state = await this.storedState(family);
    if (state.status === 'unshaped') {
      return null;
    }
    const configured = this.configuredShape(family).shape;
    return state.status === 'full'
      ? configured
      : reducedShape(
          configured,
          state.dropped.map((item) => item.path),
        );
  }

  /** The family's shape before anything Tango refused at run time. */
  configuredShape(family: ResourceFamily): ConfiguredShape {
    return this.configured.get(family) ?? configuredShape(family, { fields: {}, exclude: {} });
  }

  /** The family's state with what it does not mirror (for reports; the request path reads `storedState`). */
  async state(family: ResourceFamily): Promise<FamilyShapeState> {
    return this.withConfiguration(await this.storedState(family));
  }

  /** What Tango refused for the family, as stored (no per-call work: every request reads it). */
  private async storedState(family: ResourceFamily): Promise<FamilyShapeState> {
    await this.refresh();
    return this.states.get(family) ?? fullShapeState(family);
  }

  async allStates(): Promise<FamilyShapeState[]> {
    await this.refresh(true);
    return RESOURCE_FAMILIES.map((family) =>
      this.withConfiguration(this.states.get(family) ?? fullShapeState(family)),
    );
  }

  /** The state with what the configuration leaves out besides what Tango refused. */
  private withConfiguration(state: FamilyShapeState): FamilyShapeState {
    const configured = this.configuredShape(state.family);
    const refused = state.dropped.map((item): NotMirroredPath => ({
      path: item.path,
      reason: 'refused',
      detail: `Tango refused it: ${item.reason}`,
    }));
    const asked =
      state.status === 'unshaped'
        ? 0
        : shapePaths(
            reducedShape(
              configured.shape,
              state.dropped.map((item) => item.path),
            ),
          ).length;
    return {
      ...state,
      notMirrored: [...configured.notMirrored, ...refused],
      paths: { whole: state.paths.whole, asked },
    };
  }

  /**
   * Drops the items Tango named. Returns false when nothing could be dropped (Tango named paths the shape does not
   * ask for, or the record's id): dropping cannot heal that, and the caller treats the answer as final.
   */
  async dropRefusedItems(
    family: ResourceFamily,
    issues: readonly { readonly path: string; readonly reason: string }[],
  ): Promise<boolean> {
    const { droppable } = droppableIssues(family, issues);
    const current = await this.storedState(family);
    const already = new Set(current.dropped.map((item) => item.path));
    const fresh = droppable.filter((issue) => !already.has(issue.path));
    if (fresh.length === 0) {
      // Another request (or replica) already dropped them: retrying with the current state is enough.
      return droppable.length > 0;
    }
    const since = new Date().toISOString();
    const items: DroppedShapeItem[] = fresh.map((issue) => ({ ...issue, since }));
    await this.write(
      `INSERT INTO family_shapes AS s (resource, dropped, degraded_since, drift_events)
       VALUES ($1, $2::jsonb, clock_timestamp(), 1)
       ON CONFLICT (resource) DO UPDATE SET
         dropped = (SELECT COALESCE(jsonb_agg(item ORDER BY item ->> 'path'), '[]'::jsonb)
                      FROM (SELECT DISTINCT ON (item ->> 'path') item
                              FROM jsonb_array_elements(s.dropped || EXCLUDED.dropped) AS item
                             ORDER BY item ->> 'path', item ->> 'since') AS merged),
         degraded_since = COALESCE(s.degraded_since, clock_timestamp()),
         drift_events = s.drift_events + 1,
         updated_at = clock_timestamp()
       RETURNING ${SELECT_COLUMNS}`,
      [family, JSON.stringify(items)],
    );
    this.driftEvents.inc({ resource: family, kind: 'items' });
    this.logger.warn(
      { resource: family, dropped: fresh.map((issue) => issue.path) },
      'Tango refused shape items: dropped from the family shape until Tango accepts them again',
    );
    return true;
  }

  /** The account's tier refuses shapes on this family: fetch it without one. */
  async noteTierRefusal(family: ResourceFamily, message: string): Promise<void> {
    const current = await this.storedState(family);
    if (current.status === 'unshaped') {
      return;
    }
    await this.write(
      `INSERT INTO family_shapes AS s (resource, unshaped_since, unshaped_reason, degraded_since, drift_events)
       VALUES ($1, clock_timestamp(), $2, clock_timestamp(), 1)
       ON CONFLICT (resource) DO UPDATE SET
         unshaped_since = COALESCE(s.unshaped_since, clock_timestamp()),
         unshaped_reason = EXCLUDED.unshaped_reason,
         degraded_since = COALESCE(s.degraded_since, clock_timestamp()),
         drift_events = s.drift_events + 1,
         updated_at = clock_timestamp()
       RETURNING ${SELECT_COLUMNS}`,
      [family, message.slice(0, 500)],
    );
    this.driftEvents.inc({ resource: family, kind: 'tier' });
    this.logger.warn(
      { resource: family, message },
      "Tango refuses shapes on this family for the account's tier: fetching it without a shape",
    );
  }

  /** Back to the full shape (a probe found Tango accepts it again, or an operator said so). */
  async restore(family: ResourceFamily, outcome: string): Promise<void> {
    const before = await this.storedState(family);
    await this.write(
      `INSERT INTO family_shapes AS s (resource, last_probe_at, last_probe_outcome, restored_at)
       VALUES ($1, clock_timestamp(), $2, clock_timestamp())
       ON CONFLICT (resource) DO UPDATE SET
         dropped = '[]'::jsonb, unshaped_since = NULL, unshaped_reason = NULL, degraded_since = NULL,
         last_probe_at = clock_timestamp(), last_probe_outcome = $2,
         restored_at = CASE WHEN s.degraded_since IS NULL THEN s.restored_at ELSE clock_timestamp() END,
         updated_at = clock_timestamp()
       RETURNING ${SELECT_COLUMNS}`,
      [family, outcome.slice(0, 500)],
    );
    if (before.status !== 'full') {
      this.restores.inc({ resource: family });
      this.logger.log({ resource: family, outcome }, 'family shape restored to the full shape');
    }
  }

  /** Records a probe that did not restore the shape. */
  async noteProbe(family: ResourceFamily, outcome: string): Promise<void> {
    await this.write(
      // A SELECT around the UPDATE: TypeORM returns [rows, count] for a bare UPDATE … RETURNING.
      `WITH probed AS (
         UPDATE family_shapes SET last_probe_at = clock_timestamp(), last_probe_outcome = $2, updated_at = clock_timestamp()
          WHERE resource = $1
         RETURNING ${SELECT_COLUMNS}
       )
       SELECT * FROM probed`,
      [family, outcome.slice(0, 500)],
    );
  }

  /** Families whose shape is not the full one. */
  async degradedFamilies(): Promise<ResourceFamily[]> {
    return (await this.allStates()).filter((state) => state.status !== 'full').map((state) => state.family);
  }

  private async write(sql: string, params: unknown[]): Promise<void> {
    const rows = await this.dataSource.query<unknown[]>(sql, params);
    for (const raw of rows) {
      const row = rowSchema.parse(raw);
      this.states.set(row.resource, stateOf(row));
    }
  }

  private async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.loadedAt < REFRESH_MS) {
      return;
    }
    this.loading ??= (async () => {
      try {
        const rows = await this.dataSource.query<unknown[]>(`SELECT ${SELECT_COLUMNS} FROM family_shapes`);
        const states = new Map<ResourceFamily, FamilyShapeState>();
        for (const raw of rows) {
          const row = rowSchema.parse(raw);
          states.set(row.resource, stateOf(row));
        }
        this.states = states;
        this.loadedAt = Date.now();
      } finally {
        this.loading = undefined;
      }
    })();
    await this.loading;
  }
}
