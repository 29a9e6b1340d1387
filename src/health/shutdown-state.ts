import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';

/** Flips to "draining" as soon as shutdown begins, so readiness fails and load balancers stop sending work. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
