import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AppConfig, parseToolConfig } from '../config/app-config';
import { eventTopicVersions } from '../events/released-event-schemas';
import { ASYNCAPI_PATH, buildAsyncApiDocument } from './asyncapi';
import { buildOpenApiDocument, workerHttpSurface } from './openapi';

/**
 * The committed API contracts (docs/api/openapi.json, docs/api/asyncapi.json), built from the code.
 * scripts/generate-api-docs.ts writes them formatted with the repository's Prettier settings (or checks them); the
 * unit test test/unit/api-docs/api-docs.spec.ts fails when they are stale.
 */

export const OPENAPI_PATH = 'docs/api/openapi.json';
export { ASYNCAPI_PATH };

/** Stands in for DATABASE_URL: the documents need the configuration's defaults only; nothing connects. */
const NO_DATABASE_URL = 'postgres://api-docs@127.0.0.1:1/unused';

/** The configuration whose defaults the documents name (never the environment of whoever generates them). */
export function defaultConfig(): AppConfig {
  return parseToolConfig({ DATABASE_URL: NO_DATABASE_URL });
}

export async function packageVersion(root: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof manifest.version !== 'string') {
    throw new Error('package.json has no version');
  }
  return manifest.version;
}

/** Both documents, by path relative to the repository root. */
export async function apiDocuments(root: string): Promise<Map<string, Record<string, unknown>>> {
  const version = await packageVersion(root);
  const config = defaultConfig();
  return new Map([
    [OPENAPI_PATH, buildOpenApiDocument({ version, config, surface: workerHttpSurface(config) })],
    [ASYNCAPI_PATH, buildAsyncApiDocument({ version, config, topicVersions: eventTopicVersions(root) })],
  ]);
}
