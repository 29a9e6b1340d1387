import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { type IncomingMessage, type ManagedConsumer } from '../kafka/kafka.types';
import {
  FETCH_DEAD_LETTER_TOPIC,
  FETCH_REQUEST_TOPIC,
  type FetchRequest,
  fetchRequestSchema,
} from '../outbox/fetch-request';
import { FetcherService } from './fetcher.service';
import { abortableSleep } from '../common/abortable-sleep';

/**
 * The fetcher consumer group (thin): validates each message, hands the batch to FetcherService, and marks the
 * messages processed only after its database transaction committed. A message that is not a valid fetch request
 * is poison: it goes to the dead-letter topic and is skipped.
 */
@Injectable()
export class FetchRequestConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FetchRequestConsumer.name);
  private consumer: ManagedConsumer | undefined;
  private starting: Promise<void> | undefined;
  private readonly stopWaiting = new AbortController();

  constructor(
    private readonly kafka: KafkaAdapter,
    private readonly fetcher: FetcherService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.fetcher.enabled) {
      this.logger.log('the fetcher is switched off in this process (FETCHER_ENABLED=false)');
      return;
    }
    // Never waits for Kafka at boot: the consumer joins its group once Kafka answers (and again if it fails to).
    this.starting = this.startWhenKafkaAnswers();
  }

  private async startWhenKafkaAnswers(): Promise<void> {
    let delayMs = 1_000;
    const stopped = this.stopWaiting.signal;
    // A call, not a property read: the signal is aborted from outside while this waits.
    const shuttingDown = (): boolean => stopped.aborted;
    while (!shuttingDown()) {
      try {
        await this.kafka.whenConnected(stopped);
        await this.start();
        return;
      } catch (error) {
        if (shuttingDown()) {
          return;
        }
        this.logger.warn({ err: error }, 'the fetcher could not join its consumer group yet; retrying');
        await this.consumer?.stop().catch(() => undefined);
        this.consumer = undefined;
        await abortableSleep(delayMs, stopped);
        delayMs = Math.min(delayMs * 2, 15_000);
      }
    }
  }

  private async start(): Promise<void> {
    const topic = this.kafka.topicName(FETCH_REQUEST_TOPIC);
    await this.kafka.ensureTopics([{ name: topic }, { name: this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC) }]);
    this.consumer = this.kafka.createConsumer({
      groupId: this.config.fetcher.groupId,
      topics: [topic],
      fromBeginning: true,
      partitionsConcurrently: this.config.fetcher.concurrency,
    });
    await this.consumer.run(async (batch, context) => {
      const valid: { message: IncomingMessage; request: FetchRequest }[] = [];
      const poison: IncomingMessage[] = [];
      for (const message of batch.messages) {
        const parsed = fetchRequestSchema.safeParse(safeJson(message.value?.toString('utf8') ?? ''));
        if (parsed.success) {
          valid.push({ message, request: parsed.data });
        } else {
          poison.push(message);
        }
      }
      if (poison.length > 0) {
        this.logger.error(
          { count: poison.length, firstOffset: poison[0]?.offset },
          'invalid fetch requests sent to the dead-letter topic',
        );
        await this.kafka.send(
          this.kafka.topicName(FETCH_DEAD_LETTER_TOPIC),
          poison.map((message) => ({
            key: message.key,
            value: message.value ?? '',
            headers: { ...message.headers, 'x-tango-sync-error': 'invalid fetch request' },
          })),
        );
      }
      for (let start = 0; start < valid.length; start += this.config.fetcher.batchSize * 5) {
        if (!context.shouldContinue()) {
          return;
        }
        const slice = valid.slice(start, start + this.config.fetcher.batchSize * 5);
        await this.fetcher.processBatch(slice.map((item) => item.request));
        await context.heartbeat();
      }
      // Committed to Postgres: the whole batch (poison included) is done.
      for (const message of batch.messages) {
        context.markProcessed(message);
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopWaiting.abort();
    await this.starting?.catch(() => undefined);
    await this.consumer?.stop();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
