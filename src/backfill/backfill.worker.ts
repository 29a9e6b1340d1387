import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Ticker } from '../common/ticker';
import { BackfillEngine } from './backfill-engine';

/**
 * Lets every worker read backfill segments: every BACKFILL_POLL_INTERVAL_MS it claims what it has room for (at
 * once again while it finds work). BACKFILL_CONCURRENCY=0 turns it off for this worker.
 */
@Injectable()
export class BackfillWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackfillWorker.name);
  private readonly ticker = new Ticker(() => this.claimWhileRoom());

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly engine: BackfillEngine,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.backfill.concurrency === 0) {
      this.logger.log('backfill reading disabled (BACKFILL_CONCURRENCY=0)');
      return;
    }
    this.ticker.start(this.config.backfill.pollIntervalMs);
    this.engine.onSlotFreed = () => void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.ticker.stop();
    this.engine.stop();
    await this.engine.drain();
  }

  /** Claims segments until none are left or this process is full (joins a claim loop already running). */
  tick(): Promise<void> {
    return this.ticker.runNow();
  }

  private async claimWhileRoom(): Promise<void> {
    try {
      while ((await this.engine.pump()) > 0) {
        // Claimed something: there may be more, and room for it.
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'claiming backfill segments failed; trying again at the next tick');
    }
  }
}
