import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { DataSource } from 'typeorm';
import { DESCRIBED_FAMILIES, type ResourceFamily } from '../../../../src/common/tango/resource-family';
import { type AppConfig } from '../../../../src/config/app-config';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options';
import { PostgresNotifications } from '../../../../src/database/postgres-notifications';
import { type ChangeEventRelay } from '../../../../src/events/change-event-relay';
import { ChangeEventOutbox } from '../../../../src/outbox/change-event-outbox';
import { ChangeEventRepository } from '../../../../src/events/change-event.repository';
import { type ChangeEvent } from '../../../../src/events/change-event.schema';
import { KafkaAdapter } from '../../../../src/kafka/kafka-adapter';
import { MetricsService } from '../../../../src/metrics/metrics.service';
import { requireEnv, testConfig } from '../../../support/test-config';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One relay "replica": its own pool, Kafka producer, notifications connection and metrics. */
export interface Replica<R extends ChangeEventRelay = ChangeEventRelay> {
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly repository: ChangeEventRepository;
  readonly kafka: KafkaAdapter;
  readonly relay: R;
  readonly applicationName: string;
  close(): Promise<void>;
}

export type RelayConstructor<R extends ChangeEventRelay> = new (
  ...args: ConstructorParameters<typeof ChangeEventRelay>
) => R;

export async function startReplica<R extends ChangeEventRelay>(
  options: {
    databaseUrl: string;
    topicPrefix: string;
    applicationName: string;
    env?: Record<string, string>;
  },
  Relay: RelayConstructor<R>,
): Promise<Replica<R>> {
  const config = testConfig({
    DATABASE_URL: options.databaseUrl,
    KAFKA_TOPIC_PREFIX: options.topicPrefix,
    ...options.env,
  });
  const dataSource = new DataSource(buildDataSourceOptions(config.db, options.applicationName));
  await dataSource.initialize();
  const kafka = new KafkaAdapter(config);
  await kafka.onModuleInit();
  await kafka.whenConnected();
  const notifications = new PostgresNotifications(config);
  const repository = new ChangeEventRepository(dataSource, new ChangeEventOutbox(dataSource));
  const relay = new Relay(repository, kafka, notifications, config, new MetricsService());
  return {
    config,
    dataSource,
    repository,
    kafka,
    relay,
    applicationName: options.applicationName,
    close: async () => {
      await relay.beforeApplicationShutdown();
      await notifications.onApplicationShutdown();
      await kafka.onApplicationShutdown();
      if (dataSource.isInitialized) {
        await dataSource.destroy();
      }
    },
  };
}

export interface ReceivedEvent {
  readonly topic: string;
  readonly partition: number;
  readonly key: string | null;
  readonly raw: string;
  readonly event: ChangeEvent;
  readonly headers: Readonly<Record<string, string>>;
}

/** A plain kafkajs consumer on the change topics of a prefix, as a downstream consumer would run it. */
export class TopicCollector {
  readonly received: ReceivedEvent[] = [];
  private consumer: Consumer | undefined;

  async start(
    topicPrefix: string,
    groupId: string,
    resources: readonly ResourceFamily[] = DESCRIBED_FAMILIES,
  ): Promise<void> {
    const kafka = new Kafka({
      clientId: 'events-int-consumer',
      brokers: requireEnv('TEST_KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({
      // The change topics of the resources turned on (the test configuration's TANGO_RESOURCES=families by default).
      topics: resources.map((family) => `${topicPrefix}.${family}.changes.v1`),
      fromBeginning: true,
    });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    await consumer.run({
      eachMessage: ({ topic, partition, message }) => {
        const raw = message.value?.toString('utf8') ?? '';
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (Buffer.isBuffer(value)) {
            headers[name] = value.toString('utf8');
          } else if (typeof value === 'string') {
            headers[name] = value;
          }
        }
        this.received.push({
          topic,
          partition,
          key: message.key?.toString('utf8') ?? null,
          raw,
          event: JSON.parse(raw) as ChangeEvent,
          headers,
        });
        return Promise.resolve();
      },
    });
    await waitFor(() => joined, 30_000, 'the test consumer to join its group');
  }

  of(subjects: ReadonlySet<string>): ReceivedEvent[] {
    return this.received.filter((received) => subjects.has(received.event.subject));
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export interface OutboxRow {
  readonly resource: ResourceFamily;
  readonly recordId: string;
  readonly version: number;
  readonly changeType: 'created' | 'updated' | 'deleted';
}

/** Inserts an outbox row as the mirror would (same event id and lane expressions); returns its event id. */
export async function insertOutboxRow(dataSource: DataSource, row: OutboxRow): Promise<string> {
  const deleted = row.changeType === 'deleted';
  const record = deleted ? null : { id: row.recordId, version: row.version, amount: row.version * 10 };
  const [inserted] = await dataSource.query<{ event_id: string }[]>(
    `INSERT INTO change_events (event_id, resource, record_id, change_type, version, previous_hash, hash,
                                changed_fields, record, provenance, lane)
     VALUES (md5($1::text || ':' || $2::text || ':' || $3::int)::uuid, $1, $2, $4, $3::int, $5, $6, $7, $8::jsonb,
             $9::jsonb, abs(hashtext($1::text || ':' || $2::text)) % 64)
     RETURNING event_id::text AS event_id`,
    [
      row.resource,
      row.recordId,
      row.version,
      row.changeType,
      row.version === 1 ? null : sha256(`${row.recordId}:${row.version - 1}`),
      deleted ? null : sha256(`${row.recordId}:${row.version}`),
      row.changeType === 'updated' ? ['amount', 'version'] : [],
      record === null ? null : JSON.stringify(record),
      JSON.stringify({
        deliveryIds: [`delivery-${row.version}`],
        eventTypes: ['alerts.contract.match'],
        alertIds: ['alert-1'],
        reasons: ['changed'],
      }),
    ],
  );
  if (inserted === undefined) {
    throw new Error('insert returned nothing');
  }
  return inserted.event_id;
}
