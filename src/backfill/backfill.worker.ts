import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { BackfillEngine } from './backfill-engine';

/**
 * Lets every worker read backfill segments: every BACKFILL_POLL_INTERVAL_MS it claims what it has room for (at
 * once again while it finds work). BACKFILL_CONCURRENCY=0 turns it off for this worker.
 */
@Injectable()
export class BackfillWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(BackfillWorker.name);
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly engine: BackfillEngine,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.backfill.concurrency === 0) {
      this.logger.log('backfill reading disabled (BACKFILL_CONCURRENCY=0)');
      return;
    }
    this.timer = setInterval(() => void this.tick(), this.config.backfill.pollIntervalMs);
    this.timer.unref();
    this.engine.onSlotFreed = () => void this.tick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.engine.stop();
    await this.engine.drain();
  }

  /** Claims segments until none are left or this process is full. */
  async tick(): Promise<void> {
    if (this.pumping) {
      return;
    }
    this.pumping = true;
    try {
      while ((await this.engine.pump()) > 0) {
        // Claimed something: there may be more, and room for it.
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'claiming backfill segments failed; trying again at the next tick');
    } finally {
      this.pumping = false;
    }
  }
}
