import { posix } from 'node:path';
import { RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { CHANGE_EVENT_SCHEMA_DIR, changeEventSchemaFileName } from '../events/change-event.json-schema';
import {
  CHANGE_EVENT_CONTENT_TYPE,
  CHANGE_EVENT_SPEC_VERSION,
  CHANGE_TYPES,
  CHANGE_EVENT_TYPE_PREFIX,
  changeEventSource,
  changeTopicSuffix,
} from '../events/change-event.schema';
import { type TopicVersion } from '../events/released-event-schemas';
import { stateMessageSchemaFileName } from '../events/state-message.json-schema';
import {
  STATE_MESSAGE_CONTENT_TYPE,
  STATE_TOPIC_CONFIG,
  stateTopicSuffix,
} from '../events/state-message.schema';
import {
  FETCH_DEAD_LETTER_TOPIC,
  FETCH_REQUEST_TOPIC,
  type FetchRequest,
  fetchRequestSchema,
} from '../outbox/fetch-request';
import {
  dateTimeSchema,
  enumOf,
  integerSchema,
  type JsonSchema,
  nullable,
  objectSchema,
  ref,
  stringSchema,
  zodJsonSchema,
} from './json-schema';

/**
 * Builds the AsyncAPI 3.0 document of the Kafka topics the worker produces and consumes: the fetch-request topic
 * (payload from its zod schema), its dead-letter topic, and one change topic per family (payload: the committed
 * JSON Schema in docs/events, referenced, not copied) and one compacted state topic per family (payload: its committed
 * state schema, or a tombstone). Topic names are the suffixes the code publishes to
 * (FETCH_REQUEST_TOPIC, FETCH_DEAD_LETTER_TOPIC, changeTopicSuffix) behind KAFKA_TOPIC_PREFIX, as
 * KafkaAdapter.topicName joins them.
 */

export const ASYNCAPI_VERSION = '3.0.0';

/** Where the document is committed, relative to the repository root (change-event payloads are referenced from it). */
export const ASYNCAPI_PATH = 'docs/api/asyncapi.json';

const KAFKA_BINDING_VERSION = '0.5.0';

function channelName(family: ResourceFamily): string {
  return `${family}Changes`;
}

function changeMessageName(family: ResourceFamily): string {
  return `${family}ChangeEvent`;
}

function stateChannelName(family: ResourceFamily): string {
  return `${family}State`;
}

function stateMessageName(family: ResourceFamily): string {
  return `${family}State`;
}

function stateTombstoneName(family: ResourceFamily): string {
  return `${family}StateTombstone`;
}

function capitalized(family: ResourceFamily): string {
  return `${family[0]?.toUpperCase() ?? ''}${family.slice(1)}`;
}

function address(suffix: string): string {
  return `{prefix}.${suffix}`;
}

const familyKeyPattern = `^(${RESOURCE_FAMILIES.join('|')}):.+$`;

/** The value fetcher.service.ts (publishDeadLetters) sends for a record whose fetch failed for good. */
interface FetchDeadLetterValue {
  readonly resource: ResourceFamily;
  readonly recordId: string;
  readonly idKind: FetchRequest['idKind'];
  readonly attempts: number;
  readonly status: number | null;
  readonly error: string;
}

const fetchDeadLetterValue = objectSchema<FetchDeadLetterValue>(
  {
    resource: enumOf(RESOURCE_FAMILIES),
    recordId: stringSchema(),
    idKind: enumOf(fetchRequestSchema.shape.idKind.options),
    attempts: integerSchema('Fetch attempts made'),
    status: nullable(integerSchema("Tango's last HTTP status, when it answered")),
    error: stringSchema('The last error'),
  },
  { description: 'A record whose fetch failed for good (Tango refused it, or the attempts are spent)' },
);

/** Headers `changeEventHeaders` (change-event.envelope.ts) sets on each change event of `family`. */
function changeEventHeaders(family: ResourceFamily): JsonSchema {
  const typePattern = `^${CHANGE_EVENT_TYPE_PREFIX.replaceAll('.', '\\.')}\\.${family}\\.(${CHANGE_TYPES.join('|')})$`;
  return {
    type: 'object',
    description: 'CloudEvents Kafka binding (binary mode) `ce_*` attributes, plus routing headers',
    properties: {
      ce_specversion: { type: 'string', const: CHANGE_EVENT_SPEC_VERSION },
      ce_id: { type: 'string', format: 'uuid', description: 'The event id (stable across re-publishes)' },
      ce_type: { type: 'string', pattern: typePattern },
      ce_source: { type: 'string', const: changeEventSource(family) },
      ce_subject: { type: 'string', minLength: 1, description: 'The record id' },
      ce_time: dateTimeSchema('When the change was committed to the mirror'),
      'content-type': { type: 'string', const: CHANGE_EVENT_CONTENT_TYPE },
      'tango-sync-resource': { type: 'string', const: family },
      'tango-sync-change': enumOf(CHANGE_TYPES),
      'tango-sync-version': {
        type: 'string',
        pattern: '^[1-9][0-9]*$',
        description: "The record's mirror version",
      },
    },
    required: [
      'ce_specversion',
      'ce_id',
      'ce_type',
      'ce_source',
      'ce_subject',
      'ce_time',
      'content-type',
      'tango-sync-resource',
      'tango-sync-change',
      'tango-sync-version',
    ],
  };
}

function kafkaKey(key: JsonSchema): JsonSchema {
  return { kafka: { key, bindingVersion: KAFKA_BINDING_VERSION } };
}

export interface AsyncApiInput {
  readonly version: string;
  /** Supplies the defaults the document names (KAFKA_TOPIC_PREFIX, FETCHER_GROUP_ID). */
  readonly config: AppConfig;
  /** Every version of each resource's change topic (eventTopicVersions: the current schemas and the baseline). */
  readonly topicVersions: ReadonlyMap<string, readonly TopicVersion[]>;
}

/** The fetch-request and dead-letter messages (change events are one per family, see changeEventMessage). */
function fetchMessages(): Record<string, JsonSchema> {
  const fetchRequestHeaders = objectSchema<{ 'content-type': string; 'x-tango-sync-schema': string }>({
    'content-type': { type: 'string', const: 'application/json' },
    'x-tango-sync-schema': { type: 'string', const: fetchRequestSchema.shape.schema.value },
  });
  return {
    fetchRequest: {
      name: 'FetchRequest',
      title: 'Fetch request',
      summary: 'One record (or one alert sweep) to bring into the mirror',
      contentType: 'application/json',
      headers: fetchRequestHeaders,
      payload: ref('#/components/schemas/FetchRequest'),
      bindings: kafkaKey({
        type: 'string',
        pattern: familyKeyPattern,
        description:
          '`<resource>:<recordId>`. Id-list families go to the fixed partition `partitionSlot % partitions` so ' +
          'one consumer batch sees a burst; the others are partitioned by this key',
      }),
    },
    fetchDeadLetter: {
      name: 'FetchDeadLetter',
      title: 'Dead-lettered record',
      summary: 'A record the fetcher gave up on (also kept in fetch_failures; `redrive` retries it)',
      contentType: 'application/json',
      headers: objectSchema<{ 'content-type': string }>({
        'content-type': { type: 'string', const: 'application/json' },
      }),
      payload: ref('#/components/schemas/FetchDeadLetter'),
      bindings: kafkaKey({
        type: 'string',
        pattern: familyKeyPattern,
        description: '`<resource>:<recordId>`',
      }),
    },
    invalidFetchRequest: {
      name: 'InvalidFetchRequest',
      title: 'Invalid fetch request',
      summary: 'A message on the fetch-request topic that is not a valid fetch request, forwarded unchanged',
      contentType: 'application/octet-stream',
      headers: {
        type: 'object',
        description: "The original message's headers, plus the reason",
        properties: { 'x-tango-sync-error': { type: 'string', const: 'invalid fetch request' } },
        required: ['x-tango-sync-error'],
        additionalProperties: { type: 'string' },
      },
      payload: { description: "The original message's value, byte for byte (not necessarily JSON)" },
      bindings: kafkaKey({ type: ['string', 'null'], description: "The original message's key" }),
    },
  };
}

/** The change-event message of one family; its payload is the committed JSON Schema in `eventsDir`. */
function changeEventMessage(family: ResourceFamily, eventsDir: string): JsonSchema {
  return {
    name: `${family}ChangeEvent`,
    title: `${family} change event`,
    summary: `A ${family} record was created, updated or deleted in the mirror (or replayed as a snapshot)`,
    contentType: CHANGE_EVENT_CONTENT_TYPE,
    headers: changeEventHeaders(family),
    payload: ref(`${eventsDir}/${changeEventSchemaFileName(family)}`),
    bindings: kafkaKey({
      type: 'string',
      minLength: 1,
      description: "The record id (the event's `subject`): each record's events share a partition, in order",
    }),
  };
}

/** Headers `stateHeaders` (state-message.ts) sets on each state message and tombstone of `family`. */
function stateHeaders(family: ResourceFamily, tombstone: boolean): JsonSchema {
  const routing = {
    'tango-sync-resource': { type: 'string', const: family },
    'tango-sync-change': tombstone
      ? { type: 'string', const: 'deleted' }
      : enumOf(CHANGE_TYPES.filter((change) => change !== 'deleted')),
    'tango-sync-version': {
      type: 'string',
      pattern: '^[1-9][0-9]*$',
      description: "The record's mirror version (a tombstone's is the deletion's)",
    },
  };
  return {
    type: 'object',
    description: 'Routing headers: the change event that produced this state',
    properties: tombstone
      ? routing
      : { 'content-type': { type: 'string', const: STATE_MESSAGE_CONTENT_TYPE }, ...routing },
    required: [...(tombstone ? [] : ['content-type']), ...Object.keys(routing)],
  };
}

const STATE_KEY: JsonSchema = {
  type: 'string',
  minLength: 1,
  description:
    'The record id, as on the change topic (same partition count, same partitioner: same partition)',
};

/** A family's state message (payload: the committed state schema in `eventsDir`) and its tombstone. */
function stateMessages(family: ResourceFamily, eventsDir: string): Record<string, JsonSchema> {
  return {
    [stateMessageName(family)]: {
      name: `${family}State`,
      title: `${family} state`,
      summary: `The current state of a live ${family} record (written on created, updated, enriched, snapshot)`,
      contentType: STATE_MESSAGE_CONTENT_TYPE,
      headers: stateHeaders(family, false),
      payload: ref(`${eventsDir}/${stateMessageSchemaFileName(family)}`),
      bindings: kafkaKey(STATE_KEY),
    },
    [stateTombstoneName(family)]: {
      name: `${family}StateTombstone`,
      title: `${family} state tombstone`,
      summary: `A deleted ${family} record: a null value, which compaction turns into the key's absence`,
      headers: stateHeaders(family, true),
      payload: { type: 'null', description: 'Always null (a Kafka tombstone)' },
      bindings: kafkaKey(STATE_KEY),
    },
  };
}

function asyncApiMessages(): Record<string, JsonSchema> {
  const eventsDir = posix.relative(posix.dirname(ASYNCAPI_PATH), CHANGE_EVENT_SCHEMA_DIR);
  return {
    ...fetchMessages(),
    ...Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [changeMessageName(family), changeEventMessage(family, eventsDir)]),
    ),
    ...Object.fromEntries(
      RESOURCE_FAMILIES.flatMap((family) => Object.entries(stateMessages(family, eventsDir))),
    ),
  };
}

/**
 * `x-versions` of a change channel: each version of the topic, whether the worker publishes it now, and the
 * released baseline its consumers were promised (docs/events/released; none yet for a version not released).
 */
function topicVersionList(
  family: ResourceFamily,
  topicVersions: ReadonlyMap<string, readonly TopicVersion[]>,
): JsonSchema[] {
  const releasedDir = posix.dirname(ASYNCAPI_PATH);
  return (topicVersions.get(family) ?? []).map((version) => ({
    version: `v${version.version}`,
    address: address(version.topic),
    published: version.current,
    ...(version.releasedPath === undefined
      ? {}
      : { releasedSchema: posix.relative(releasedDir, version.releasedPath) }),
  }));
}

function asyncApiChannels(
  topicVersions: ReadonlyMap<string, readonly TopicVersion[]>,
): Record<string, JsonSchema> {
  const prefix = { $ref: '#/components/parameters/prefix' };
  return {
    fetchRequests: {
      address: address(FETCH_REQUEST_TOPIC),
      title: 'Fetch requests',
      description:
        'Records to fetch from Tango, relayed from the fetch_targets outbox and consumed in batches by the fetcher.',
      parameters: { prefix },
      messages: { fetchRequest: ref('#/components/messages/fetchRequest') },
    },
    fetchDeadLetters: {
      address: address(FETCH_DEAD_LETTER_TOPIC),
      title: 'Fetch dead letters',
      description:
        'Records the fetcher gave up on, and messages of the fetch-request topic it could not read.',
      parameters: { prefix },
      messages: {
        fetchDeadLetter: ref('#/components/messages/fetchDeadLetter'),
        invalidFetchRequest: ref('#/components/messages/invalidFetchRequest'),
      },
    },
    ...Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [
        channelName(family),
        {
          address: address(changeTopicSuffix(family)),
          title: `${family} changes`,
          description: `One change event per real change of a mirrored ${family} record, keyed by record id.`,
          parameters: { prefix },
          messages: { changeEvent: ref(`#/components/messages/${changeMessageName(family)}`) },
          'x-versions': topicVersionList(family, topicVersions),
        },
      ]),
    ),
    ...Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [stateChannelName(family), stateChannel(family)]),
    ),
  };
}

function stateChannel(family: ResourceFamily): JsonSchema {
  return {
    address: address(stateTopicSuffix(family)),
    title: `${family} state`,
    description:
      `The current state of every ${family} record, keyed by record id: a compacted topic ` +
      `(${Object.entries(STATE_TOPIC_CONFIG)
        .map(([name, value]) => `${name}=${value}`)
        .join(', ')}) with the change topic's partition count. Read it from the beginning to bootstrap, ` +
      'then follow the change topic (docs/events/README.md).',
    parameters: { prefix: { $ref: '#/components/parameters/prefix' } },
    messages: {
      state: ref(`#/components/messages/${stateMessageName(family)}`),
      tombstone: ref(`#/components/messages/${stateTombstoneName(family)}`),
    },
    bindings: {
      kafka: {
        topicConfiguration: { 'cleanup.policy': ['compact'] },
        bindingVersion: KAFKA_BINDING_VERSION,
      },
    },
  };
}

function asyncApiOperations(config: AppConfig): Record<string, JsonSchema> {
  return {
    publishFetchRequests: {
      action: 'send',
      channel: ref('#/channels/fetchRequests'),
      summary: 'The fetch-target relay publishes pending fetch targets (acks=all, then marks them sent)',
      messages: [ref('#/channels/fetchRequests/messages/fetchRequest')],
    },
    consumeFetchRequests: {
      action: 'receive',
      channel: ref('#/channels/fetchRequests'),
      summary: 'The fetcher reads fetch requests in batches; offsets are committed only once processed',
      messages: [ref('#/channels/fetchRequests/messages/fetchRequest')],
      bindings: {
        kafka: {
          groupId: { type: 'string', enum: [config.fetcher.groupId], description: 'FETCHER_GROUP_ID' },
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    },
    publishFetchDeadLetters: {
      action: 'send',
      channel: ref('#/channels/fetchDeadLetters'),
      summary: 'The fetcher dead-letters records it gave up on and unreadable fetch requests',
      messages: [
        ref('#/channels/fetchDeadLetters/messages/fetchDeadLetter'),
        ref('#/channels/fetchDeadLetters/messages/invalidFetchRequest'),
      ],
    },
    ...Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [
        `publish${capitalized(family)}Changes`,
        {
          action: 'send',
          channel: ref(`#/channels/${channelName(family)}`),
          summary: `The change-event relay publishes the ${family} change-event outbox`,
          messages: [ref(`#/channels/${channelName(family)}/messages/changeEvent`)],
        },
      ]),
    ),
    ...Object.fromEntries(
      RESOURCE_FAMILIES.map((family) => [
        `publish${capitalized(family)}State`,
        {
          action: 'send',
          channel: ref(`#/channels/${stateChannelName(family)}`),
          summary:
            `The change-event relay writes each ${family} record's new state (or a tombstone) after the ` +
            "batch's change events, before marking them published",
          messages: [
            ref(`#/channels/${stateChannelName(family)}/messages/state`),
            ref(`#/channels/${stateChannelName(family)}/messages/tombstone`),
          ],
        },
      ]),
    ),
  };
}

export function buildAsyncApiDocument(input: AsyncApiInput): Record<string, unknown> {
  const { config } = input;
  return {
    asyncapi: ASYNCAPI_VERSION,
    id: 'urn:tango-sync:kafka',
    info: {
      title: 'tango-sync Kafka topics',
      version: input.version,
      description:
        'The topics a tango-sync worker produces and consumes. Generated from the code by `npm run docs:api`; ' +
        'do not edit by hand. Change-event and state payloads are the JSON Schemas in docs/events; the ' +
        '`x-versions` of each change channel list the versions of its topic, whether they are published, and ' +
        'their released schema (docs/events/released, npm run events:release).',
      license: { name: 'Apache-2.0' },
    },
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'A local broker (KAFKA_BROKERS lists the real ones)',
      },
    },
    defaultContentType: 'application/json',
    channels: asyncApiChannels(input.topicVersions),
    operations: asyncApiOperations(config),
    components: {
      parameters: {
        prefix: {
          default: config.kafka.topicPrefix,
          description: 'KAFKA_TOPIC_PREFIX',
          examples: [config.kafka.topicPrefix],
        },
      },
      schemas: {
        FetchDeadLetter: fetchDeadLetterValue,
        FetchRequest: zodJsonSchema(fetchRequestSchema, { io: 'output', target: 'draft-7' }),
      },
      messages: asyncApiMessages(),
    },
  };
}
