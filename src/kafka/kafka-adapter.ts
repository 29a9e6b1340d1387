import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  type Admin,
  ConfigResourceTypes,
  type Consumer,
  type EachBatchPayload,
  type ICustomPartitioner,
  Kafka,
  type Message,
  Partitioners,
  type Producer,
} from 'kafkajs';
import { withinTime } from '../common/within-time';
import { abortableSleep } from '../common/abortable-sleep';
import { AppError } from '../common/errors/app-error';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { kafkaLogCreator } from './kafka-log-bridge';
import {
  type BatchHandler,
  type ConsumerOptions,
  type IncomingMessage,
  type ManagedConsumer,
  type OutgoingMessage,
  type PartitionLag,
  type SendObserver,
  type TopicSpec,
} from './kafka.types';

/** How long boot waits for a first connection to Kafka before going on without it. */
const BOOT_CONNECT_GRACE_MS = 3_000;

/**
 * The only owner of kafkajs. Connects the shared producer and admin client in the background from module init,
 * retrying until Kafka answers, so the worker boots and acknowledges webhooks (which need only Postgres) while
 * Kafka is down; relays and the fetcher wait for `whenConnected()`. Creates topics on request, hands out
 * consumers, and on shutdown stops consumers first (no new work), then flushes and closes the producer, then the
 * admin client.
 */
@Injectable()
export class KafkaAdapter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KafkaAdapter.name);
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  /** Separate client for health probes: no retries, so a probe answers within its timeout. */
  private readonly probeAdmin: Admin;
  private readonly consumers = new Set<ManagedConsumerImpl>();
  /** The consumer groups this process has joined, for their lag; kept after a consumer stops (its lag still grows). */
  private readonly consumedGroups = new Map<string, ConsumedGroup>();
  private readonly sendObservers: SendObserver[] = [];
  private readonly knownTopics = new Set<string>();
  /** The partition keys of messages being sent, for the partitioner (kafkajs hands it the objects it was given). */
  private readonly placements = new WeakMap<Message, Placement>();
  private connected = false;
  private stopping = false;
  private connecting: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly stopController = new AbortController();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const clientConfig = {
      clientId: config.kafka.clientId,
      brokers: [...config.kafka.brokers],
      connectionTimeout: config.kafka.connectionTimeoutMs,
      requestTimeout: config.kafka.requestTimeoutMs,
      logCreator: kafkaLogCreator,
    };
    this.kafka = new Kafka({
      ...clientConfig,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    // One request in flight per broker keeps per-key order across retries. Not the idempotent producer: it
    // needs unbounded retries, and a send must fail (and be retried by its relay) while Kafka is down.
    // Consumers de-duplicate by event id, so a retried send that was in fact written is harmless.
    this.producer = this.kafka.producer({
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: placingPartitioner(this.placements),
    });
    this.admin = this.kafka.admin();
    this.probeAdmin = new Kafka({ ...clientConfig, retry: { retries: 0 } }).admin({ retry: { retries: 0 } });
  }

  /**
   * Starts connecting, and waits for it at most BOOT_CONNECT_GRACE_MS: with Kafka up, the worker is connected (and
   * its topics exist) by the time it listens; with Kafka down, boot goes on without it.
   */
  async onModuleInit(): Promise<void> {
    this.connecting = this.connectUntilUp();
    const grace = new AbortController();
    await Promise.race([
      this.whenConnected(grace.signal).catch(() => undefined),
      abortableSleep(BOOT_CONNECT_GRACE_MS, grace.signal),
    ]);
    grace.abort();
  }

  /**
   * Creates topics now when Kafka is connected (awaited), otherwise as soon as it connects (in the background, so
   * that consumers can subscribe before the first message); a failure is logged, and whoever publishes to the topic
   * creates it again then.
   */
  async ensureTopicsWhenConnected(specs: readonly TopicSpec[]): Promise<void> {
    const create = (): Promise<void> =>
      this.ensureTopics(specs).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'topics not created yet; they are created when first published to');
      });
    if (this.connected) {
      await create();
      return;
    }
    void this.whenConnected()
      .then(create)
      .catch(() => undefined);
  }

  /** Whether the producer and admin client are connected (kafkajs reconnects them by itself after that). */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves once Kafka is connected; rejects when the process shuts down (or `signal` aborts) first. */
  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.connected) {
      return Promise.resolve();
    }
    if (this.stopping || signal?.aborted === true) {
      return Promise.reject(this.unavailable('no longer waiting for it'));
    }
    return new Promise<void>((resolve, reject) => {
      const signals = [this.stopController.signal, ...(signal === undefined ? [] : [signal])];
      const forget = (): void => {
        this.waiters.delete(done);
        signals.forEach((each) => {
          each.removeEventListener('abort', stopped);
        });
      };
      const done = (): void => {
        forget();
        resolve();
      };
      const stopped = (): void => {
        forget();
        reject(this.unavailable('no longer waiting for it'));
      };
      this.waiters.add(done);
      signals.forEach((each) => {
        each.addEventListener('abort', stopped, { once: true });
      });
    });
  }

  /** Connects the admin client and the producer, retrying with backoff until Kafka answers or the process stops. */
  private async connectUntilUp(): Promise<void> {
    let delayMs = 500;
    let warned = false;
    while (!this.stopping) {
      try {
        await this.admin.connect();
        await this.producer.connect();
        this.connected = true;
        this.logger.log({ brokers: this.config.kafka.brokers }, 'connected to Kafka');
        [...this.waiters].forEach((wake) => {
          wake();
        });
        return;
      } catch (error) {
        if (!warned) {
          warned = true;
          this.logger.warn(
            { brokers: this.config.kafka.brokers, err: error },
            'Kafka is unavailable: webhooks are still acknowledged and stored; relays and the fetcher wait for it',
          );
        }
        await abortableSleep(delayMs, this.stopController.signal);
        delayMs = Math.min(delayMs * 2, 10_000);
      }
    }
  }

  private unavailable(why: string): AppError {
    return new AppError(
      'KAFKA.UNAVAILABLE',
      `Kafka at ${this.config.kafka.brokers.join(',')} is unavailable: ${why}`,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.stopController.abort();
    await this.connecting;
    await Promise.allSettled([...this.consumers].map((consumer) => consumer.stop()));
    await this.producer.disconnect().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'producer disconnect failed');
    });
    await Promise.allSettled([this.admin.disconnect(), this.probeAdmin.disconnect()]);
    this.logger.log('disconnected from Kafka');
  }

  /** `<prefix>.<suffix>`, e.g. `tango.fetch.requests.v1`. */
  topicName(suffix: string): string {
    return `${this.config.kafka.topicPrefix}.${suffix}`;
  }

  /**
   * Creates the topics that do not exist yet (idempotent; existing topics keep their partition count and config:
   * a config that differs from the spec's is logged, never altered). Topics whose partition count follows another
   * (`partitionsOf`) are created after the others, with that topic's count.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<void> {
    const missing = specs.filter((spec) => !this.knownTopics.has(spec.name));
    if (missing.length === 0) {
      return;
    }
    if (!this.connected) {
      throw this.unavailable('not connected yet');
    }
    const existing = new Set(await this.admin.listTopics());
    const toCreate = missing.filter((spec) => !existing.has(spec.name));
    await this.createTopics(toCreate.filter((spec) => spec.partitionsOf === undefined));
    await this.createTopics(await this.withFollowedPartitions(toCreate.filter((spec) => spec.partitionsOf)));
    await this.warnOnConfigDrift(missing.filter((spec) => existing.has(spec.name)));
    for (const spec of missing) {
      this.knownTopics.add(spec.name);
    }
  }

  private async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    if (specs.length === 0) {
      return;
    }
    await this.admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions ?? this.config.kafka.topicPartitions,
        replicationFactor: this.config.kafka.replicationFactor,
        configEntries: Object.entries(spec.configEntries ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    this.logger.log({ topics: specs.map((spec) => spec.name) }, 'created Kafka topics');
  }

  /** The specs with `partitions` set to the count of the topic each follows (unchanged when it does not exist). */
  private async withFollowedPartitions(specs: readonly TopicSpec[]): Promise<TopicSpec[]> {
    return Promise.all(
      specs.map(async (spec) => {
        const count = spec.partitionsOf === undefined ? 0 : await this.partitionCount(spec.partitionsOf);
        return count > 0 ? { ...spec, partitions: count } : spec;
      }),
    );
  }

  /** Logs existing topics whose config differs from what their spec would have created them with. */
  private async warnOnConfigDrift(specs: readonly TopicSpec[]): Promise<void> {
    const wanted = specs.filter((spec) => Object.keys(spec.configEntries ?? {}).length > 0);
    if (wanted.length === 0) {
      return;
    }
    const described = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: wanted.map((spec) => ({
        type: ConfigResourceTypes.TOPIC,
        name: spec.name,
        configNames: Object.keys(spec.configEntries ?? {}),
      })),
    });
    for (const spec of wanted) {
      const actual = described.resources.find((resource) => resource.resourceName === spec.name);
      const differences = configDifferences(spec.configEntries ?? {}, actual?.configEntries ?? []);
      if (differences.length > 0) {
        this.logger.warn(
          { topic: spec.name, differences },
          'existing Kafka topic has another config than tango-sync creates it with; left as it is',
        );
      }
    }
  }

  async partitionCount(topic: string): Promise<number> {
    const metadata = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0]?.partitions.length ?? 0;
  }

  /** Sends messages to one topic and resolves once the broker acknowledged all of them (acks=all). */
  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) {
      return;
    }
    if (!this.connected) {
      throw this.unavailable('not connected yet');
    }
    const started = performance.now();
    try {
      await this.produce(topic, messages);
    } finally {
      // Failed sends count too: a broker that times out shows as latency instead of vanishing from the histogram.
      const seconds = (performance.now() - started) / 1000;
      this.sendObservers.forEach((observe) => {
        observe(topic, seconds);
      });
    }
  }

  /** Registers a function told the duration of every send (the produce-latency histogram, see KafkaMetrics). */
  observeSends(observer: SendObserver): void {
    this.sendObservers.push(observer);
  }

  private async produce(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.producer.send({
      topic,
      acks: -1,
      messages: messages.map((message) => {
        const outgoing: Message = {
          key: message.key,
          value: message.value,
          headers: message.headers ? { ...message.headers } : undefined,
          timestamp: message.timestamp,
        };
        if (message.partitionSlot !== undefined || message.partitionKey !== undefined) {
          this.placements.set(outgoing, { slot: message.partitionSlot, key: message.partitionKey });
        }
        return outgoing;
      }),
    });
  }

  /** Whether the cluster answers a metadata request within the time given. */
  async ping(timeoutMs: number): Promise<void> {
    await withinTime(
      this.probeAdmin.connect().then(() => this.probeAdmin.describeCluster()),
      timeoutMs,
    );
  }

  /**
   * The lag of every consumer group this process has joined, per partition of its topics, read from the broker
   * (end offsets and the group's committed offsets) with the probe client, so it answers or fails within
   * `timeoutMs`. Empty while Kafka is not connected.
   */
  async consumerGroupLag(timeoutMs: number): Promise<PartitionLag[]> {
    if (!this.connected || this.consumedGroups.size === 0) {
      return [];
    }
    return withinTime(this.readGroupLag(), timeoutMs);
  }

  private async readGroupLag(): Promise<PartitionLag[]> {
    await this.probeAdmin.connect();
    const topics = [...new Set([...this.consumedGroups.values()].flatMap((group) => [...group.topics]))];
    const ends = new Map(
      await Promise.all(
        topics.map(async (topic) => [topic, await this.probeAdmin.fetchTopicOffsets(topic)] as const),
      ),
    );
    const lags = await Promise.all(
      [...this.consumedGroups].map(async ([groupId, group]) => {
        const committed = await this.probeAdmin.fetchOffsets({ groupId, topics: [...group.topics] });
        return committed.flatMap(({ topic, partitions }) =>
          partitions.map(({ partition, offset }) => {
            const end = ends.get(topic)?.find((entry) => entry.partition === partition);
            return {
              group: groupId,
              topic,
              partition,
              lag: end === undefined ? 0 : partitionLag(end, offset, group.fromBeginning),
            };
          }),
        );
      }),
    );
    return lags.flat();
  }

  createConsumer(options: ConsumerOptions): ManagedConsumer {
    this.consumedGroups.set(options.groupId, {
      topics: new Set([...(this.consumedGroups.get(options.groupId)?.topics ?? []), ...options.topics]),
      fromBeginning: options.fromBeginning ?? false,
    });
    const consumer = new ManagedConsumerImpl(
      this.kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
        allowAutoTopicCreation: false,
      }),
      options,
      () => this.consumers.delete(consumer),
    );
    this.consumers.add(consumer);
    return consumer;
  }
}

/** Config entries of `wanted` whose value on the broker is another (or missing). */
export function configDifferences(
  wanted: Readonly<Record<string, string>>,
  actual: readonly { readonly configName: string; readonly configValue: string | null }[],
): { name: string; wanted: string; actual: string | null }[] {
  return Object.entries(wanted).flatMap(([name, value]) => {
    const found = actual.find((entry) => entry.configName === name)?.configValue ?? null;
    return found === value ? [] : [{ name, wanted: value, actual: found }];
  });
}

interface ConsumedGroup {
  readonly topics: ReadonlySet<string>;
  /** Where the group starts on a partition it has committed nothing on: there, its lag is all or nothing. */
  readonly fromBeginning: boolean;
}

/**
 * Messages a group has still to consume on a partition: end − committed offset; with nothing committed (`-1`), the
 * whole retained log when the group starts from the beginning, else none (it starts at the end).
 */
export function partitionLag(
  end: { readonly high: string; readonly low: string },
  committed: string,
  fromBeginning: boolean,
): number {
  const high = BigInt(end.high);
  const from = BigInt(committed) >= 0n ? BigInt(committed) : fromBeginning ? BigInt(end.low) : high;
  return Number(high > from ? high - from : 0n);
}

interface Placement {
  readonly slot: number | undefined;
  readonly key: string | undefined;
}

/**
 * A message with a partition slot goes to partition `slot % partitions` (partition ids in order); otherwise
 * kafkajs's default partitioner (murmur2 of the key, as the Java client) places it, fed its partition key in place
 * of its key when it has one. The message on the wire always keeps its own key.
 */
function placingPartitioner(placements: WeakMap<Message, Placement>): ICustomPartitioner {
  return () => {
    const byKey = Partitioners.DefaultPartitioner();
    return ({ topic, partitionMetadata, message }) => {
      const placement = placements.get(message);
      if (placement?.slot !== undefined && partitionMetadata.length > 0) {
        const ids = partitionMetadata.map((partition) => partition.partitionId).sort((a, b) => a - b);
        return ids[placement.slot % ids.length] ?? 0;
      }
      return byKey({
        topic,
        partitionMetadata,
        message: placement?.key === undefined ? message : { ...message, key: placement.key },
      });
    };
  };
}

class ManagedConsumerImpl implements ManagedConsumer {
  private readonly logger = new Logger('KafkaConsumer');
  private stopping = false;
  private started = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: ConsumerOptions,
    private readonly onStopped: () => void,
  ) {}

  get groupId(): string {
    return this.options.groupId;
  }

  async run(handler: BatchHandler): Promise<void> {
    if (this.started) {
      throw new Error(`consumer ${this.options.groupId} is already running`);
    }
    this.started = true;
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.options.topics],
      fromBeginning: this.options.fromBeginning ?? false,
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1,
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => this.handleBatch(payload, handler),
    });
    this.logger.log({ groupId: this.options.groupId, topics: this.options.topics }, 'consumer running');
  }

  private async handleBatch(payload: EachBatchPayload, handler: BatchHandler): Promise<void> {
    const { batch } = payload;
    const messages: IncomingMessage[] = batch.messages.map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: message.offset,
      key: message.key ? message.key.toString('utf8') : null,
      value: message.value,
      headers: decodeHeaders(message.headers),
      timestamp: message.timestamp,
    }));
    const processed = new Set<string>();
    try {
      await handler(
        { topic: batch.topic, partition: batch.partition, messages },
        {
          markProcessed: (message) => {
            processed.add(message.offset);
          },
          heartbeat: () => payload.heartbeat(),
          shouldContinue: () => !this.stopping && payload.isRunning() && !payload.isStale(),
        },
      );
    } finally {
      // Commit the processed prefix of the batch, also when the handler failed part-way: everything from the
      // first unprocessed message on comes again (after a restart or rebalance; at once when the handler threw).
      let lastDone: string | undefined;
      for (const message of messages) {
        if (!processed.has(message.offset)) {
          break;
        }
        lastDone = message.offset;
      }
      if (lastDone !== undefined) {
        payload.resolveOffset(lastDone);
        await this.consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastDone) + 1n).toString() },
        ]);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) {
      return;
    }
    this.stopping = true;
    try {
      await this.consumer.disconnect();
    } finally {
      this.onStopped();
    }
  }
}

function decodeHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (Buffer.isBuffer(value)) {
      decoded[name] = value.toString('utf8');
    } else if (typeof value === 'string') {
      decoded[name] = value;
    }
  }
  return decoded;
}
