import { Inject, Injectable, Logger } from '@nestjs/common';
import { isResourceFamily } from '../common/tango/resource-family';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { KafkaAdapter } from './kafka-adapter';
import { type PartitionLag } from './kafka.types';

/** A scrape must not wait on a slow broker longer than this; the lag is then left out of that scrape. */
export const LAG_TIMEOUT_MS = 2_000;
/** Scrapes within this long share one broker read (several Prometheus servers scraping the same replica). */
export const LAG_CACHE_MS = 5_000;

const PRODUCE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/**
 * The kind of a topic, for a label with a few values: the name without the prefix and version, and without the
 * family of a per-family topic (`tango.contracts.changes.v1` → `changes`, `tango.fetch.requests.v1` →
 * `fetch.requests`); `other` outside the prefix.
 */
export function topicKind(topic: string, prefix: string): string {
  if (!topic.startsWith(`${prefix}.`)) {
    return 'other';
  }
  const segments = topic
    .slice(prefix.length + 1)
    .split('.')
    .filter((segment) => !/^v\d+$/.test(segment));
  if (segments.length > 1 && isResourceFamily(segments[0] ?? '')) {
    segments.shift();
  }
  return segments.length > 0 ? segments.join('.') : 'other';
}

/**
 * Kafka's side of /metrics: produce latency per topic kind (`tango_sync_kafka_produce_seconds{topic_kind}`), and
 * the lag of this process's consumer groups as the broker reports it, under kafka-exporter's name and labels
 * (`kafka_consumergroup_lag{consumergroup,topic,partition}`) so its stock dashboards and alerts work unchanged.
 * The lag is read at scrape time (at most every LAG_CACHE_MS, within LAG_TIMEOUT_MS) and left out while Kafka does
 * not answer; every replica running the group reports the same figures, so aggregate them with `max`, not `sum`.
 */
@Injectable()
export class KafkaMetrics {
  private readonly logger = new Logger(KafkaMetrics.name);
  private lag: { at: number; partitions: Promise<PartitionLag[] | null> } | undefined;

  constructor(
    private readonly kafka: KafkaAdapter,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    const produce = metrics.histogram(
      'tango_sync_kafka_produce_seconds',
      'Time for the broker to acknowledge a producer send (acks=all), failed sends included, by topic kind',
      PRODUCE_BUCKETS,
      ['topic_kind'],
    );
    kafka.observeSends((topic, seconds) => {
      produce.observe({ topic_kind: topicKind(topic, config.kafka.topicPrefix) }, seconds);
    });
    const cachedLag = (): Promise<PartitionLag[] | null> => this.cachedLag();
    metrics.gauge(
      'kafka_consumergroup_lag',
      'Messages a consumer group has not committed yet, per partition (broker end offset minus committed offset)',
      ['consumergroup', 'topic', 'partition'],
      async function collect() {
        const partitions = await cachedLag();
        this.reset();
        for (const { group, topic, partition, lag } of partitions ?? []) {
          this.set({ consumergroup: group, topic, partition: String(partition) }, lag);
        }
      },
    );
  }

  /** The lag read at most LAG_CACHE_MS ago; null when the broker did not answer (logged at debug level only). */
  private cachedLag(): Promise<PartitionLag[] | null> {
    const now = Date.now();
    if (this.lag === undefined || now - this.lag.at > LAG_CACHE_MS) {
      this.lag = {
        at: now,
        partitions: this.kafka.consumerGroupLag(LAG_TIMEOUT_MS).catch((error: unknown) => {
          this.logger.debug({ err: error }, 'consumer-group lag not read; left out of this scrape');
          return null;
        }),
      };
    }
    return this.lag.partitions;
  }
}
