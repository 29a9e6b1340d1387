import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { type ResourceFamily } from '../common/tango/resource-family';
import { APP_CONFIG } from '../config/config.module';
import { type FanOutLimits, fanOutLimitsOf, parseDelivery } from './delivery-parser';
import { WebhookRepository } from './webhook.repository';

export interface ReprocessSummary {
  readonly examined: number;
  readonly nowProcessed: number;
  /** Now known as events of families the mirror does not cover: never re-parsed again. */
  readonly nowNotMirrored: number;
  readonly stillUnrecognized: number;
  readonly stillMalformed: number;
  readonly targetsEnqueued: number;
}

const PAGE_SIZE = 200;

/**
 * Re-parses stored deliveries that were `unrecognized` or `malformed` (never `not_mirrored` ones) with the current parser and enqueues their
 * targets, so a parser fix recovers what arrived before it. Safe to run repeatedly: targets coalesce.
 */
@Injectable()
export class DeliveryReprocessor {
  private readonly logger = new Logger(DeliveryReprocessor.name);

  private readonly limits: FanOutLimits;
  private readonly mirrored: ReadonlySet<ResourceFamily>;

  constructor(
    private readonly repository: WebhookRepository,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limits = fanOutLimitsOf(config);
    this.mirrored = new Set(config.tango.resources);
  }

  async reprocessAll(options: { dryRun: boolean }): Promise<ReprocessSummary> {
    let afterPk = '0';
    const summary = {
      examined: 0,
      nowProcessed: 0,
      nowNotMirrored: 0,
      stillUnrecognized: 0,
      stillMalformed: 0,
      targetsEnqueued: 0,
    };
    for (;;) {
      const page = await this.repository.listNeedingReprocess(afterPk, PAGE_SIZE);
      if (page.length === 0) {
        return summary;
      }
      for (const stored of page) {
        afterPk = stored.deliveryPk;
        summary.examined += 1;
        const parsed = parseDelivery(
          stored.rawBody,
          stored.headerDeliveryId ?? undefined,
          this.limits,
          this.mirrored,
        );
        if (parsed.status === 'processed') {
          summary.nowProcessed += 1;
        } else if (parsed.status === 'not_mirrored') {
          summary.nowNotMirrored += 1;
        } else if (parsed.status === 'unrecognized') {
          summary.stillUnrecognized += 1;
        } else {
          summary.stillMalformed += 1;
        }
        if (!options.dryRun) {
          summary.targetsEnqueued += await this.repository.replaceParse(stored.deliveryPk, parsed);
        }
        this.logger.debug(
          { deliveryPk: stored.deliveryPk, before: stored.status, after: parsed.status },
          'delivery reprocessed',
        );
      }
    }
  }
}
