import {
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';

/** Flips to "draining" as soon as shutdown begins, so readiness fails and load balancers stop sending work. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(ShutdownState.name);
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  beforeApplicationShutdown(signal?: string): void {
    this.draining = true;
    this.logger.log({ signal }, 'shutting down: no new work is taken');
  }

  onApplicationShutdown(signal?: string): void {
    this.logger.log({ signal }, 'shutdown complete');
  }
}
