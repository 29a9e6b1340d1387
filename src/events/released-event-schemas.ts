import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGE_EVENT_SCHEMA_DIR } from './change-event.json-schema';
import { compareSchemas, type Incompatibility, type SchemaNode } from './schema-compatibility';

/**
 * The schema gate. `docs/events/released/<resource>.changes.v<N>.schema.json` is the baseline: a copy of the schema
 * each topic version was released with, what its consumers were promised. It changes only through
 * `npm run events:release` (releaseEventSchemas), which refuses to overwrite a baseline with an incompatible schema
 * of the same version. `npm run check:events` (checkEventSchemas) compares each current schema in docs/events with
 * the baseline of the same topic version and fails on any change that breaks its consumers (schema-compatibility.ts
 * says which); a topic version without a baseline is new and passes.
 */

/** Where the baseline is committed, relative to the repository root. */
export const RELEASED_EVENT_SCHEMA_DIR = `${CHANGE_EVENT_SCHEMA_DIR}/released`;

const TOPIC_SCHEMA_FILE = /^([a-z0-9_]+)\.changes\.v([1-9][0-9]*)\.schema\.json$/;

/** One topic version's schema file: `grants.changes.v1.schema.json` is resource `grants`, version 1. */
export interface TopicSchemaFile {
  readonly resource: string;
  readonly version: number;
  /** `grants.changes.v1` (the topic behind KAFKA_TOPIC_PREFIX). */
  readonly topic: string;
  readonly fileName: string;
}

export function parseTopicSchemaFileName(fileName: string): TopicSchemaFile | undefined {
  const match = TOPIC_SCHEMA_FILE.exec(fileName);
  if (match?.[1] === undefined || match[2] === undefined) {
    return undefined;
  }
  const version = Number(match[2]);
  return { resource: match[1], version, topic: `${match[1]}.changes.v${version}`, fileName };
}

/** The topic schema files of a directory (relative to `root`), by topic; none when it does not exist. */
export function topicSchemaFiles(root: string, dir: string): Map<string, TopicSchemaFile> {
  const path = join(root, dir);
  if (!existsSync(path)) {
    return new Map();
  }
  const files = readdirSync(path)
    .sort()
    .map(parseTopicSchemaFileName)
    .filter((file): file is TopicSchemaFile => file !== undefined);
  return new Map(files.map((file) => [file.topic, file]));
}

function readSchema(root: string, dir: string, file: TopicSchemaFile): SchemaNode {
  return JSON.parse(readFileSync(join(root, dir, file.fileName), 'utf8')) as SchemaNode;
}

/** One current topic version checked against its baseline. */
export interface TopicVerdict {
  readonly topic: string;
  readonly currentPath: string;
  /** Undefined for a topic version not released yet (nothing to break). */
  readonly releasedPath: string | undefined;
  readonly incompatibilities: readonly Incompatibility[];
}

/** What the gate found in a tree. */
export interface EventSchemaCheck {
  readonly verdicts: readonly TopicVerdict[];
  /** Released topic versions that have no current schema any more (their consumers get no new events). */
  readonly retired: readonly string[];
}

export function checkEventSchemas(root: string): EventSchemaCheck {
  const current = topicSchemaFiles(root, CHANGE_EVENT_SCHEMA_DIR);
  const released = topicSchemaFiles(root, RELEASED_EVENT_SCHEMA_DIR);
  const verdicts = [...current.values()].map((file) => verdictOf(root, file, released.get(file.topic)));
  const retired = [...released.keys()].filter((topic) => !current.has(topic));
  return { verdicts, retired };
}

function verdictOf(root: string, file: TopicSchemaFile, baseline: TopicSchemaFile | undefined): TopicVerdict {
  const currentPath = `${CHANGE_EVENT_SCHEMA_DIR}/${file.fileName}`;
  if (baseline === undefined) {
    return { topic: file.topic, currentPath, releasedPath: undefined, incompatibilities: [] };
  }
  return {
    topic: file.topic,
    currentPath,
    releasedPath: `${RELEASED_EVENT_SCHEMA_DIR}/${baseline.fileName}`,
    incompatibilities: compareSchemas(
      readSchema(root, RELEASED_EVENT_SCHEMA_DIR, baseline),
      readSchema(root, CHANGE_EVENT_SCHEMA_DIR, file),
    ),
  };
}

export function isBroken(verdict: TopicVerdict): boolean {
  return verdict.incompatibilities.length > 0;
}

/** The failure message of one topic: what broke where, and the fix. */
export function describeBrokenTopic(verdict: TopicVerdict): string {
  const nextVersion = (parseTopicSchemaFileName(`${verdict.topic}.schema.json`)?.version ?? 1) + 1;
  const nextTopic = verdict.topic.replace(/\.v[0-9]+$/, `.v${nextVersion}`);
  return [
    `topic ${verdict.topic}: ${verdict.currentPath} breaks consumers of the released ${verdict.releasedPath ?? ''}`,
    ...verdict.incompatibilities.map((found) => `  ${found.pointer || '/'}: ${found.problem}`),
    `  fix: publish the change on a new topic version (bump the topic's suffix to ${nextTopic}, ` +
      `changeTopicSuffix in src/events/change-event.schema.ts, then npm run events:release), ` +
      `or revert the change`,
  ].join('\n');
}

/** What `npm run events:release` did, or refused to do. */
export interface EventSchemaRelease {
  /** Baselines written: new topic versions, and compatible changes of released ones. */
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  /** Topic versions whose current schema breaks their baseline; when any, nothing is written. */
  readonly refused: readonly TopicVerdict[];
}

/** Copies every current schema to the baseline, unless one of them breaks its baseline (then writes nothing). */
export function releaseEventSchemas(root: string): EventSchemaRelease {
  const { verdicts } = checkEventSchemas(root);
  const refused = verdicts.filter(isBroken);
  if (refused.length > 0) {
    return { written: [], unchanged: [], refused };
  }
  mkdirSync(join(root, RELEASED_EVENT_SCHEMA_DIR), { recursive: true });
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const verdict of verdicts) {
    const target = `${RELEASED_EVENT_SCHEMA_DIR}/${verdict.currentPath.slice(CHANGE_EVENT_SCHEMA_DIR.length + 1)}`;
    if (sameContent(root, verdict.currentPath, target)) {
      unchanged.push(target);
      continue;
    }
    copyFileSync(join(root, verdict.currentPath), join(root, target));
    written.push(target);
  }
  return { written, unchanged, refused };
}

function sameContent(root: string, a: string, b: string): boolean {
  const target = join(root, b);
  return existsSync(target) && readFileSync(join(root, a), 'utf8') === readFileSync(target, 'utf8');
}

/** A topic version, and whether it is published now and has a baseline (the AsyncAPI document lists them). */
export interface TopicVersion {
  readonly version: number;
  readonly topic: string;
  readonly current: boolean;
  /** The baseline file, relative to the repository root; undefined when not released yet. */
  readonly releasedPath: string | undefined;
}

/** Every version of each resource's topic, from the current schemas and the baseline, oldest first. */
export function eventTopicVersions(root: string): Map<string, TopicVersion[]> {
  const current = topicSchemaFiles(root, CHANGE_EVENT_SCHEMA_DIR);
  const released = topicSchemaFiles(root, RELEASED_EVENT_SCHEMA_DIR);
  const byResource = new Map<string, TopicVersion[]>();
  for (const file of [...released.values(), ...current.values()]) {
    const versions = byResource.get(file.resource) ?? [];
    if (!versions.some((known) => known.topic === file.topic)) {
      const baseline = released.get(file.topic);
      versions.push({
        version: file.version,
        topic: file.topic,
        current: current.has(file.topic),
        releasedPath: baseline ? `${RELEASED_EVENT_SCHEMA_DIR}/${baseline.fileName}` : undefined,
      });
    }
    byResource.set(
      file.resource,
      versions.sort((a, b) => a.version - b.version),
    );
  }
  return byResource;
}
