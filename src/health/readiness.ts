import { Inject, Injectable } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DatabaseHealth } from '../database/database-health';
import { KafkaAdapter } from '../kafka/kafka-adapter';
import { ShutdownState } from './shutdown-state';

export interface DependencyCheck {
  readonly status: 'up' | 'down';
  readonly message?: string;
}

/**
 * What the process can do now. `canIngest`: it may be sent webhooks (not shutting down, Postgres answers): ingest
 * needs nothing else, so a Kafka outage keeps the process in the load balancer. `fullyOperational`: Kafka answers
 * too, so fetch requests and change events flow. `info` holds the checks that are up, `error` those that are down
 * (as terminus reports them); `degraded` says what does not work while the process still takes webhooks.
 */
export interface ReadinessReport {
  readonly status: 'ok' | 'degraded' | 'error';
  readonly canIngest: boolean;
  readonly fullyOperational: boolean;
  readonly info: Readonly<Record<string, DependencyCheck>>;
  readonly error: Readonly<Record<string, DependencyCheck>>;
  readonly degraded: readonly string[];
}

@Injectable()
export class Readiness {
  constructor(
    private readonly database: DatabaseHealth,
    private readonly kafka: KafkaAdapter,
    private readonly shutdown: ShutdownState,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(): Promise<ReadinessReport> {
    const timeoutMs = this.config.health.checkTimeoutMs;
    const [postgres, kafka] = await Promise.all([
      probe(() => this.database.ping(timeoutMs)),
      this.kafka.isConnected
        ? probe(() => this.kafka.ping(timeoutMs))
        : Promise.resolve<DependencyCheck>({ status: 'down', message: 'not connected yet' }),
    ]);
    const checks: Record<string, DependencyCheck> = {
      lifecycle: this.shutdown.isDraining ? { status: 'down', message: 'shutting down' } : { status: 'up' },
      postgres,
      kafka,
    };
    const canIngest = checks.lifecycle?.status === 'up' && postgres.status === 'up';
    const fullyOperational = canIngest && kafka.status === 'up';
    const degraded =
      canIngest && kafka.status === 'down'
        ? [
            `Kafka is unavailable (${kafka.message ?? 'down'}): webhooks are acknowledged and stored; fetching and ` +
              'change events resume when it answers',
          ]
        : [];
    return {
      status: fullyOperational ? 'ok' : canIngest ? 'degraded' : 'error',
      canIngest,
      fullyOperational,
      info: Object.fromEntries(Object.entries(checks).filter(([, check]) => check.status === 'up')),
      error: Object.fromEntries(Object.entries(checks).filter(([, check]) => check.status === 'down')),
      degraded,
    };
  }
}

async function probe(ping: () => Promise<void>): Promise<DependencyCheck> {
  try {
    await ping();
    return { status: 'up' };
  } catch (error) {
    return { status: 'down', message: error instanceof Error ? error.message : String(error) };
  }
}
