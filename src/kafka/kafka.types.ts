/** The adapter's own message types, so that nothing outside src/kafka depends on kafkajs. */
export interface OutgoingMessage {
  readonly key: string | null;
  /**
   * Hashed instead of `key` to choose the partition (the message keeps `key`): messages that must be consumed
   * together share a partition key. Absent: the partition comes from `key`.
   */
  readonly partitionKey?: string;
  /**
   * Places the message on partition `partitionSlot % partitions` (ahead of `partitionKey` and `key`): for a few
   * groups that must each stay on one partition without two of them landing on the same one by hash collision.
   */
  readonly partitionSlot?: number;
  /** null: a tombstone (on a compacted topic, deletes the key once the log cleaner has run). */
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch, as a string (Kafka's convention); the broker's time when absent. */
  readonly timestamp?: string;
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly timestamp: string;
}

export interface IncomingBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly IncomingMessage[];
}

export interface BatchContext {
  /** Marks a message as done; its offset is committed after the handler returns (never before). */
  markProcessed(message: IncomingMessage): void;
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the partition was revoked: stop early, the rest will come again. */
  shouldContinue(): boolean;
}

export type BatchHandler = (batch: IncomingBatch, context: BatchContext) => Promise<void>;

export interface ConsumerOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
  /** Partitions whose batches are handled at the same time (order within a partition is always kept). */
  readonly partitionsConcurrently?: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions?: number;
  /**
   * Creates the topic with the partition count of this other topic (one of the same call, or an existing one), so
   * that a key lands on the same partition number in both; ahead of `partitions` when that topic exists.
   */
  readonly partitionsOf?: string;
  /** Topic configuration at creation (`cleanup.policy`, …); an existing topic keeps its own (a difference is logged). */
  readonly configEntries?: Readonly<Record<string, string>>;
}

export interface ManagedConsumer {
  readonly groupId: string;
  run(handler: BatchHandler): Promise<void>;
  stop(): Promise<void>;
}

/** What a consumer group has not committed yet on one partition, as the broker sees it. */
export interface PartitionLag {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** Messages between the group's committed offset and the partition's end. */
  readonly lag: number;
}

/** Told the duration of every producer send, acknowledged or failed. */
export type SendObserver = (topic: string, seconds: number) => void;
