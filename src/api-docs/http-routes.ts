import 'reflect-metadata';
import { type DynamicModule, type ForwardReference, RequestMethod, type Type } from '@nestjs/common';
import {
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  METHOD_METADATA,
  MODULE_METADATA,
  PATH_METADATA,
} from '@nestjs/common/constants';

/**
 * The worker's HTTP routes as Nest declares them: read from the decorators' metadata on the controller classes
 * of a module graph (nothing is instantiated, no application is created).
 */

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'options' | 'head';

export interface ControllerRoute {
  /** `GET /backfills/{id}`: the key of the route's documentation. */
  readonly key: string;
  readonly method: HttpMethod;
  /** The OpenAPI path (`/backfills/{id}`). */
  readonly path: string;
  /** Path parameter names, in order. */
  readonly pathParameters: readonly string[];
  readonly controller: string;
  readonly handler: string;
  /** The guards that run before the handler (class-level ones first), by class name. */
  readonly guards: readonly string[];
  /** The success status: `@HttpCode`, else Nest's default (201 for POST, 200 otherwise). */
  readonly status: number;
  /** Headers set with `@Header`, lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
}

type ModuleEntry = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

interface ModuleParts {
  readonly controllers: readonly Type[];
  readonly providers: readonly unknown[];
  readonly imports: readonly ModuleEntry[];
}

const METHOD_NAMES: Readonly<Partial<Record<RequestMethod, HttpMethod>>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.PUT]: 'put',
  [RequestMethod.POST]: 'post',
  [RequestMethod.DELETE]: 'delete',
  [RequestMethod.PATCH]: 'patch',
  [RequestMethod.OPTIONS]: 'options',
  [RequestMethod.HEAD]: 'head',
};

function isForwardReference(entry: ModuleEntry): entry is ForwardReference {
  return typeof entry === 'object' && 'forwardRef' in entry;
}

function isDynamicModule(entry: ModuleEntry): entry is DynamicModule {
  return typeof entry === 'object' && 'module' in entry;
}

function metadataList(key: string, target: object): readonly unknown[] {
  const value: unknown = Reflect.getMetadata(key, target);
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function partsOf(entry: Type | DynamicModule): ModuleParts {
  const moduleClass = isDynamicModule(entry) ? entry.module : entry;
  const dynamic: Partial<DynamicModule> = isDynamicModule(entry) ? entry : {};
  return {
    controllers: [
      ...(metadataList(MODULE_METADATA.CONTROLLERS, moduleClass) as Type[]),
      ...(dynamic.controllers ?? []),
    ],
    providers: [...metadataList(MODULE_METADATA.PROVIDERS, moduleClass), ...(dynamic.providers ?? [])],
    imports: [
      ...(metadataList(MODULE_METADATA.IMPORTS, moduleClass) as ModuleEntry[]),
      ...(dynamic.imports ?? []),
    ],
  };
}

/** Every controller and provider of a module and the modules it imports, each once. */
export function moduleGraph(root: Type | DynamicModule): { controllers: Type[]; providers: unknown[] } {
  const controllers = new Set<Type>();
  const providers = new Set<unknown>();
  const seen = new Set<unknown>();
  const visit = (entry: ModuleEntry): void => {
    if (entry instanceof Promise) {
      throw new Error('asynchronous dynamic modules cannot be read without running them');
    }
    const forward: unknown = isForwardReference(entry) ? entry.forwardRef : undefined;
    const resolved = typeof forward === 'function' ? ((forward as () => unknown)() as ModuleEntry) : entry;
    if (resolved instanceof Promise || isForwardReference(resolved)) {
      visit(resolved);
      return;
    }
    if (seen.has(resolved)) {
      return;
    }
    seen.add(resolved);
    const parts = partsOf(resolved);
    parts.controllers.forEach((controller) => controllers.add(controller));
    parts.providers.forEach((provider) => providers.add(provider));
    parts.imports.forEach(visit);
  };
  visit(root);
  return { controllers: [...controllers], providers: [...providers] };
}

function paths(value: unknown): string[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value ?? '/'];
  return list.map((item) => {
    if (typeof item !== 'string') {
      throw new Error(`unsupported route path ${String(item)}`);
    }
    return item;
  });
}

/** `health` + `/` → `/health`; `backfills` + `:id/:action` → `/backfills/{id}/{action}`. */
function openApiPath(controllerPath: string, methodPath: string): { path: string; parameters: string[] } {
  const segments = [controllerPath, methodPath]
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '');
  const parameters: string[] = [];
  const path = segments.map((segment) => {
    const parameter = /^:([A-Za-z0-9_]+)$/.exec(segment)?.[1];
    if (parameter === undefined) {
      if (/[:*?()]/.test(segment)) {
        throw new Error(`unsupported route segment "${segment}"`);
      }
      return segment;
    }
    parameters.push(parameter);
    return `{${parameter}}`;
  });
  return { path: `/${path.join('/')}`, parameters };
}

function guardNames(target: object): string[] {
  return metadataList(GUARDS_METADATA, target).map((guard) =>
    typeof guard === 'function' ? guard.name : (guard as object).constructor.name,
  );
}

function handlerNames(controller: Type): string[] {
  const names = new Set<string>();
  for (
    let prototype: unknown = controller.prototype;
    prototype !== null && prototype !== Object.prototype;
    prototype = Object.getPrototypeOf(prototype)
  ) {
    Object.getOwnPropertyNames(prototype)
      .filter((name) => name !== 'constructor')
      .forEach((name) => names.add(name));
  }
  return [...names];
}

/** The routes of the given controllers, sorted by path then method. */
export function controllerRoutes(controllers: readonly Type[]): ControllerRoute[] {
  const routes: ControllerRoute[] = [];
  for (const controller of controllers) {
    const prototype = controller.prototype as Record<string, unknown>;
    for (const controllerPath of paths(Reflect.getMetadata(PATH_METADATA, controller))) {
      for (const handler of handlerNames(controller)) {
        const target = prototype[handler];
        if (typeof target !== 'function') {
          continue;
        }
        const methodPaths: unknown = Reflect.getMetadata(PATH_METADATA, target);
        if (methodPaths === undefined) {
          continue;
        }
        const requestMethod = Reflect.getMetadata(METHOD_METADATA, target) as RequestMethod;
        const method = METHOD_NAMES[requestMethod];
        if (method === undefined) {
          throw new Error(
            `${controller.name}.${handler}: method ${RequestMethod[requestMethod]} cannot be documented`,
          );
        }
        const status = Reflect.getMetadata(HTTP_CODE_METADATA, target) as number | undefined;
        const headers = Object.fromEntries(
          (metadataList(HEADERS_METADATA, target) as { name: string; value: string }[]).map(
            ({ name, value }) => [name.toLowerCase(), value],
          ),
        );
        for (const methodPath of paths(methodPaths)) {
          const { path, parameters } = openApiPath(controllerPath, methodPath);
          routes.push({
            key: `${method.toUpperCase()} ${path}`,
            method,
            path,
            pathParameters: parameters,
            controller: controller.name,
            handler,
            guards: [...guardNames(controller), ...guardNames(target)],
            status: status ?? (method === 'post' ? 201 : 200),
            headers,
          });
        }
      }
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}
