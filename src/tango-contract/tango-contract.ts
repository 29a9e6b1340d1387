import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { compareApiVersions, parseApiVersion } from './api-version';
import { type ShapeNode } from './shape-grammar';

/**
 * Tango's own published contract (vendored in `vendor/`, see its README): per resource every `shape` field and
 * expand, every list filter, the ordering values, the pagination class and the shaping tier; and the JSON types
 * observed on the live API. This module is the only reader of those files. The worker, the simulator and the tests
 * ask it what Tango accepts; where our picture of Tango and this contract disagree, the contract wins.
 */

const VENDOR_DIR = join(__dirname, 'vendor');
/** The contract the worker, its tests and the simulator run on (one of the vendored versions). */
export const WORKER_CONTRACT_VERSION = '4.25.1';
/** A vendored contract file: `filter_shape_contract-<api version>.json`. */
const VENDORED_FILE = /^filter_shape_contract-(\d+\.\d+\.\d+)\.json$/;
/** The vendored contract file of one API version (whether or not it exists). */
export const contractFileOf = (version: string): string =>
  join(VENDOR_DIR, `filter_shape_contract-${version}.json`);
export const CONTRACT_FILE = contractFileOf(WORKER_CONTRACT_VERSION);
/** Observed live-API types (tango-node v1.3.0, API 4.22.0); they cover every resource later versions share. */
export const OBSERVED_TYPES_FILE = join(VENDOR_DIR, 'observed_shape_types.json');

interface RawExpand {
  readonly fields: readonly string[];
  readonly expands: Readonly<Record<string, RawExpand>>;
}

const expandSchema: z.ZodType<RawExpand> = z.lazy(() =>
  z.looseObject({
    fields: z.array(z.string()),
    expands: z.record(z.string(), expandSchema),
  }),
);

const filterDetailSchema = z.looseObject({
  filter_class: z.string().optional(),
  type: z.string().optional(),
  lookup: z.string().optional(),
  choices: z.array(z.string()).optional(),
});

const resourceSchema = z.looseObject({
  resource_key: z.string(),
  runtime: z.looseObject({
    filter_params: z.array(z.string()),
    filter_params_detail: z.record(z.string(), filterDetailSchema),
    ordering_aliases: z.array(z.string()).default([]),
    ordering_fields: z.array(z.string()).default([]),
    pagination: z.looseObject({ class: z.string(), max_page_size: z.number().int().positive() }),
    // null on resources that take no `shape` (`events`, `news`).
    shape: z
      .looseObject({ fields: z.array(z.string()), expands: z.record(z.string(), expandSchema) })
      .nullable()
      .transform((shape) => shape ?? { fields: [], expands: {} }),
    shape_flat_paths: z.array(z.string()).default([]),
    shape_supported: z.boolean(),
    shape_tier_required: z.string().nullable(),
    // New in API 4.25: per plan level, the shape paths that level may not ask for.
    shape_gated_by_level: z.record(z.string(), z.array(z.string())).default({}),
  }),
});

type RawResource = z.infer<typeof resourceSchema>;

const contractSchema = z.looseObject({
  meta: z.looseObject({ api_version: z.string(), schema_version: z.number() }),
  resources: z.record(z.string(), resourceSchema),
});

const observedPathSchema = z.looseObject({
  kind: z.enum(['scalar', 'object', 'code_object']),
  type: z.string().optional(),
  is_list: z.boolean().optional(),
  is_optional: z.boolean().optional(),
});

const observedSchema = z.record(
  z.string(),
  z.looseObject({ paths: z.record(z.string(), observedPathSchema), records_seen: z.number().optional() }),
);

/** The children a `shape` item may name under one expand. `*` among `fields` means any name. */
export interface ContractExpand {
  readonly fields: ReadonlySet<string>;
  readonly expands: ReadonlyMap<string, ContractExpand>;
}

/** Why a shape item is refused; the same vocabulary as Tango's `400 {"issues": [{path, reason}]}`. */
export type ShapeIssueReason = 'unknown_field' | 'not_expandable';

export interface ShapeIssue {
  readonly path: string;
  readonly reason: ShapeIssueReason;
}

export type PaginationKind = 'keyset' | 'page';

/** A JSON type observed on the live API for one field path. */
export interface ObservedType {
  readonly kind: 'scalar' | 'object' | 'code_object';
  /** `str`, `int`, `Decimal`, `date`, `datetime`, `bool` for scalars. */
  readonly type: string | null;
  readonly isList: boolean;
  readonly isOptional: boolean;
}

/** Query parameters every shaped endpoint takes besides its filters (response shaping). */
const SHAPING_PARAMS = ['shape', 'flat', 'flat_lists', 'joiner'] as const;

/** What Tango's contract says about one REST resource (`contracts`, `idvs`, …). */
export class ResourceContract {
  readonly fields: ReadonlySet<string>;
  readonly expands: ReadonlyMap<string, ContractExpand>;
  readonly filterParams: ReadonlySet<string>;
  readonly orderingValues: ReadonlySet<string>;
  readonly pagination: {
    readonly kind: PaginationKind;
    readonly className: string;
    readonly maxPageSize: number;
  };
  readonly shapeSupported: boolean;
  /** The account tier that custom shapes need (`pro`), or null. */
  readonly shapeTierRequired: string | null;
  /** Every path a shape can reach (`recipient`, `recipient.uei`, …). */
  readonly flatPaths: ReadonlySet<string>;
  /** Per plan level (`free`, `pro`, …), the shape paths that level may not ask for (empty before API 4.25). */
  readonly shapeGatedByLevel: ReadonlyMap<string, readonly string[]>;
  private readonly filterDetails: ReadonlyMap<
    string,
    { readonly type: string | null; readonly filterClass: string | null }
  >;

  constructor(
    readonly name: string,
    readonly apiVersion: string,
    raw: RawResource,
    private readonly observed: ReadonlyMap<string, ObservedType>,
  ) {
    const runtime = raw.runtime;
    this.fields = new Set(runtime.shape.fields);
    this.expands = toExpands(runtime.shape.expands);
    this.filterParams = new Set(runtime.filter_params.filter((param) => param !== 'ordering'));
    this.filterDetails = new Map(
      Object.entries(runtime.filter_params_detail).map(([param, detail]) => [
        param,
        { type: detail.type ?? null, filterClass: detail.filter_class ?? null },
      ]),
    );
    const orderingChoices = runtime.filter_params_detail.ordering?.choices;
    const orderingFields = [...runtime.ordering_fields, ...runtime.ordering_aliases];
    this.orderingValues = new Set(orderingChoices ?? orderingFields.flatMap((field) => [field, `-${field}`]));
    this.pagination = {
      kind: runtime.pagination.class === 'KeysetPagination' ? 'keyset' : 'page',
      className: runtime.pagination.class,
      maxPageSize: runtime.pagination.max_page_size,
    };
    this.shapeSupported = runtime.shape_supported;
    this.shapeTierRequired = runtime.shape_tier_required;
    this.flatPaths = new Set(runtime.shape_flat_paths);
    this.shapeGatedByLevel = new Map(Object.entries(runtime.shape_gated_by_level));
  }

  /** The pagination parameters of this resource's list (`limit` and `cursor`, or `limit` and `page`). */
  get paginationParams(): readonly string[] {
    return this.pagination.kind === 'keyset' ? ['limit', 'cursor'] : ['limit', 'page'];
  }

  /** Whether `ordering` is a parameter of this list at all. */
  get takesOrdering(): boolean {
    return this.orderingValues.size > 0;
  }

  /** The declared type of a list filter (`date`, `string`, `number`, …), or undefined when it is not one. */
  filterType(param: string): string | null | undefined {
    return this.filterParams.has(param) ? (this.filterDetails.get(param)?.type ?? null) : undefined;
  }

  /** The server-side filter class of a list filter (`IdListFilter`, `DateFilter`, …), or undefined. */
  filterClass(param: string): string | null | undefined {
    return this.filterParams.has(param) ? (this.filterDetails.get(param)?.filterClass ?? null) : undefined;
  }

  /**
   * The query parameters of a list request that Tango would silently ignore: not a filter, not a pagination or
   * shaping parameter, or an `ordering` value the resource does not accept.
   */
  unknownListParams(query: Readonly<Record<string, string>>): string[] {
    const unknown: string[] = [];
    for (const [param, value] of Object.entries(query)) {
      if (param === 'ordering') {
        const terms = value.split(',').map((term) => term.trim());
        if (!this.takesOrdering || terms.some((term) => !this.orderingValues.has(term))) {
          unknown.push(`ordering=${value}`);
        }
        continue;
      }
      const known =
        this.filterParams.has(param) ||
        this.paginationParams.includes(param) ||
        (this.shapeSupported && (SHAPING_PARAMS as readonly string[]).includes(param));
      if (!known) {
        unknown.push(param);
      }
    }
    return unknown;
  }

  /**
   * The items of a shape this resource refuses: a name that is neither a field nor an expand (`unknown_field`),
   * children under a plain field (`not_expandable`), or a child its expand does not have.
   */
  validateShape(nodes: readonly ShapeNode[]): ShapeIssue[] {
    const issues: ShapeIssue[] = [];
    for (const node of nodes) {
      if (node.field === '*') {
        continue;
      }
      const expand = this.expands.get(node.field);
      if (node.children === undefined) {
        if (!this.fields.has(node.field) && expand === undefined) {
          issues.push({ path: node.field, reason: 'unknown_field' });
        }
        continue;
      }
      if (expand === undefined) {
        issues.push({
          path: node.field,
          reason: this.fields.has(node.field) ? 'not_expandable' : 'unknown_field',
        });
        continue;
      }
      issues.push(...validateChildren(node.children, expand, `${node.field}.`));
    }
    return issues;
  }

  /** The type observed on the live API at a dotted path, when one was observed. */
  observedType(path: string): ObservedType | undefined {
    return this.observed.get(path);
  }

  /** Every observed path of this resource. */
  observedPaths(): ReadonlyMap<string, ObservedType> {
    return this.observed;
  }

  /** The fields `available_fields` lists in Tango's 400 answer: each field and expand with its children. */
  availableFields(): Record<string, string[] | null> {
    const out: Record<string, string[] | null> = {};
    for (const field of [...this.fields].sort()) {
      out[field] = null;
    }
    for (const [name, expand] of [...this.expands.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      out[name] = [...expand.fields, ...expand.expands.keys()].sort();
    }
    return out;
  }
}

function validateChildren(
  children: readonly ShapeNode[],
  expand: ContractExpand,
  prefix: string,
): ShapeIssue[] {
  if (expand.fields.has('*')) {
    return [];
  }
  const issues: ShapeIssue[] = [];
  for (const child of children) {
    if (child.field === '*') {
      continue;
    }
    const nested = expand.expands.get(child.field);
    const path = `${prefix}${child.field}`;
    if (child.children === undefined) {
      if (!expand.fields.has(child.field) && nested === undefined) {
        issues.push({ path, reason: 'unknown_field' });
      }
      continue;
    }
    if (nested === undefined) {
      issues.push({ path, reason: expand.fields.has(child.field) ? 'not_expandable' : 'unknown_field' });
      continue;
    }
    issues.push(...validateChildren(child.children, nested, `${path}.`));
  }
  return issues;
}

function toExpands(raw: Readonly<Record<string, RawExpand>>): ReadonlyMap<string, ContractExpand> {
  return new Map(
    Object.entries(raw).map(([name, expand]) => [
      name,
      { fields: new Set(expand.fields), expands: toExpands(expand.expands) },
    ]),
  );
}

/** Tango's contract: the API version it describes and its resources. */
export class TangoContract {
  private readonly resources = new Map<string, ResourceContract>();

  constructor(
    readonly apiVersion: string,
    private readonly rawResources: Readonly<Record<string, RawResource>>,
    private readonly observed: z.infer<typeof observedSchema>,
  ) {}

  /** The resource's contract; throws when the contract has no such resource (a typo is a bug, not a default). */
  resource(name: string): ResourceContract {
    let resource = this.resources.get(name);
    if (resource === undefined) {
      const raw = this.rawResources[name];
      if (raw === undefined) {
        throw new Error(`Tango's contract (API ${this.apiVersion}) has no resource "${name}"`);
      }
      const paths = this.observed[name]?.paths ?? {};
      const observed = new Map(
        Object.entries(paths).map(([path, type]) => [
          path,
          {
            kind: type.kind,
            type: type.type ?? null,
            isList: type.is_list ?? false,
            isOptional: type.is_optional ?? true,
          } satisfies ObservedType,
        ]),
      );
      resource = new ResourceContract(name, this.apiVersion, raw, observed);
      this.resources.set(name, resource);
    }
    return resource;
  }

  resourceNames(): string[] {
    return Object.keys(this.rawResources);
  }
}

/** A contract version that is not vendored (the message lists the ones that are). */
export class UnknownContractVersionError extends Error {}

/** Reads and checks one contract file (zod, every resource); `files` points elsewhere for the refresh script. */
export function loadTangoContract(
  files: { contract: string; observed: string } = { contract: CONTRACT_FILE, observed: OBSERVED_TYPES_FILE },
): TangoContract {
  const contract = contractSchema.safeParse(JSON.parse(readFileSync(files.contract, 'utf8')));
  if (!contract.success) {
    throw new Error(`${files.contract} is not Tango's filter/shape contract: ${contract.error.message}`);
  }
  const observed = observedSchema.safeParse(JSON.parse(readFileSync(files.observed, 'utf8')));
  if (!observed.success) {
    throw new Error(`${files.observed} is not Tango's observed shape types: ${observed.error.message}`);
  }
  return new TangoContract(contract.data.meta.api_version, contract.data.resources, observed.data);
}

/** The API versions of the vendored contracts, oldest first. */
export function vendoredContractVersions(): string[] {
  return readdirSync(VENDOR_DIR)
    .flatMap((file) => parseApiVersion(VENDORED_FILE.exec(file)?.[1]) ?? [])
    .sort(compareApiVersions)
    .map((version) => version.text);
}

const vendored = new Map<string, TangoContract>();

/**
 * One vendored contract by its API version (read and checked once per process); throws
 * UnknownContractVersionError when that version is not vendored, and an Error when the file does not describe it.
 */
export function vendoredContract(version: string): TangoContract {
  let contract = vendored.get(version);
  if (contract === undefined) {
    const versions = vendoredContractVersions();
    if (!versions.includes(version)) {
      throw new UnknownContractVersionError(
        `no vendored Tango contract for API ${version} (vendored: ${versions.join(', ')})`,
      );
    }
    contract = loadTangoContract({ contract: contractFileOf(version), observed: OBSERVED_TYPES_FILE });
    if (contract.apiVersion !== version) {
      throw new Error(`${contractFileOf(version)} describes API ${contract.apiVersion}, not ${version}`);
    }
    vendored.set(version, contract);
  }
  return contract;
}

/** The contract the worker runs on (WORKER_CONTRACT_VERSION), read once per process. */
export function tangoContract(): TangoContract {
  return vendoredContract(WORKER_CONTRACT_VERSION);
}
