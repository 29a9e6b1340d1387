import { contentHash } from './canonical-hash';
import { type Counters } from './counters';
import { recordId } from './dataset/families';
import { type Dataset } from './dataset/store';
import { FAMILIES, type Family } from './options';
import { type Resource } from './resources/catalog';
import { type ResourceStore } from './resources/store';

const CHUNK_RECORDS = 500;

/** The resources beyond the nine families whose truth a stream includes (`resources.ts` names them). */
export interface ResourceTruth {
  readonly store: ResourceStore;
  readonly names: readonly Resource[];
}

/** `"<name>":{"count":N,"records":{...}}` for each named resource (they are small: one chunk each). */
function resourceSections(resources: ResourceTruth): string {
  return resources.names
    .map((name) => {
      const records = [...resourceTruthSnapshot(resources.store, name)]
        .map(([id, hash]) => `${JSON.stringify(id)}:"${hash}"`)
        .join(',');
      return `${JSON.stringify(name)}:{"count":${resources.store.liveCount(name)},"records":{${records}}}`;
    })
    .join(',');
}

/**
 * The ground truth as a stream of JSON text chunks, never holding more than one chunk of records:
 * `{"counters":{...},"families":{"<family>":{"count":N,"records":{"<id>":"<sha256>",...}},...},
 * "resources":{"<mirror name>":{"count":N,"records":{...}},...}}` (`resources` when a store is given).
 * Ids are strings (integer ids as decimal text); hashes follow `canonical-hash.ts` and are taken of the record as
 * served (without fields removed from the contract at run time).
 */
export async function* groundTruthChunks(
  dataset: Dataset,
  counters: Counters,
  only?: readonly Family[],
  resources?: ResourceTruth,
): AsyncGenerator<string> {
  yield `{"counters":${JSON.stringify(counters.snapshot())},"families":{`;
  let firstFamily = true;
  for (const family of only ?? FAMILIES) {
    const spec = dataset.spec(family);
    yield `${firstFamily ? '' : ','}${JSON.stringify(family)}:{"count":${dataset.liveCount(family)},"records":{`;
    firstFamily = false;
    let buffer: string[] = [];
    let first = true;
    for (const index of dataset.orderedIndices(family)) {
      const record = dataset.get(family, index);
      if (record === undefined) {
        continue;
      }
      buffer.push(
        `${first ? '' : ','}${JSON.stringify(recordId(spec, record))}:"${contentHash(dataset.project(family, record))}"`,
      );
      first = false;
      if (buffer.length >= CHUNK_RECORDS) {
        yield buffer.join('');
        buffer = [];
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    yield `${buffer.join('')}}}`;
  }
  yield resources === undefined ? '}}' : `},"resources":{${resourceSections(resources)}}}`;
}

/**
 * The same content as NDJSON lines: `{"family","id","hash"}` per family record, `{"resource","id","hash"}` per
 * resource record, then one `{"counters":...}` line.
 */
export async function* groundTruthNdjson(
  dataset: Dataset,
  counters: Counters,
  only?: readonly Family[],
  resources?: ResourceTruth,
): AsyncGenerator<string> {
  for (const family of only ?? FAMILIES) {
    const spec = dataset.spec(family);
    let buffer: string[] = [];
    for (const index of dataset.orderedIndices(family)) {
      const record = dataset.get(family, index);
      if (record === undefined) {
        continue;
      }
      buffer.push(
        `${JSON.stringify({ family, id: recordId(spec, record), hash: contentHash(dataset.project(family, record)) })}\n`,
      );
      if (buffer.length >= CHUNK_RECORDS) {
        yield buffer.join('');
        buffer = [];
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    yield buffer.join('');
  }
  if (resources !== undefined) {
    for (const name of resources.names) {
      const truth = resourceTruthSnapshot(resources.store, name);
      yield [...truth].map(([id, hash]) => `${JSON.stringify({ resource: name, id, hash })}\n`).join('');
    }
  }
  yield `${JSON.stringify({ counters: counters.snapshot() })}\n`;
}

/** Ground truth as an in-memory object (for tests on small datasets). */
export function groundTruthSnapshot(dataset: Dataset, family: Family): Map<string, string> {
  const spec = dataset.spec(family);
  const out = new Map<string, string>();
  for (const index of dataset.orderedIndices(family)) {
    const record = dataset.get(family, index);
    if (record !== undefined) {
      out.set(recordId(spec, record), contentHash(dataset.project(family, record)));
    }
  }
  return out;
}

/**
 * A resource's ground truth: `id -> content hash` of every live record (the whole record as served), in default
 * list order. Ids are the id field's value as text.
 */
export function resourceTruthSnapshot(store: ResourceStore, name: Resource): Map<string, string> {
  return new Map(store.entries(name).map((entry) => [entry.id, contentHash(entry.record)]));
}
