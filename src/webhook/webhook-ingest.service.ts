import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { type Counter, type Histogram } from 'prom-client';
import { AppError } from '../common/errors/app-error';
import { knownError } from '../common/errors/error-answer';
import { HTTP_STATUS_BY_CODE } from '../common/errors/http-status';
import { withCorrelationId } from '../common/logging/correlation';
import { type AppConfig } from '../config/app-config';
import { type ResourceFamily } from '../common/tango/resource-family';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import { type FanOutLimits, fanOutLimitsOf, parseDelivery } from './delivery-parser';
import { RejectionRecorder } from './rejection-recorder';
import { WebhookSecrets } from './webhook-secrets';
import { verifySignature } from './signature';
import { DeliveryWriteQueue } from './delivery-write-queue';

export interface IncomingDelivery {
  readonly rawBody: Buffer;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly remoteAddress: string | null;
  readonly receivedAt: Date;
}

export type IngestResult =
  | {
      readonly outcome: 'accepted';
      readonly deliveryId: string | null;
      readonly status: string;
      readonly events: number;
      readonly targets: number;
    }
  | { readonly outcome: 'duplicate'; readonly deliveryId: string | null };

/** Headers kept with a stored delivery (never credentials). */
const KEPT_HEADERS = [
  'content-type',
  'content-length',
  'user-agent',
  'x-tango-signature',
  'x-tango-delivery-id',
  'x-tango-event',
  'x-tango-delivery-timestamp',
  'x-forwarded-for',
  'x-request-id',
];

/**
 * Verify, parse, store in one transaction, then answer. A delivery is acknowledged only after its transaction
 * committed (deliveries arriving together may share that transaction: see DeliveryWriteQueue); everything correctly signed is stored (unknown or malformed content included) and acknowledged, so
 * Tango's capped retries never run out on a body the parser does not understand yet.
 */
@Injectable()
export class WebhookIngestService {
  private readonly logger = new Logger(WebhookIngestService.name);
  private readonly deliveries: Counter<'outcome'>;
  private readonly verifiedBySecret: Counter<'secret_position'>;
  private readonly ackLatency: Histogram<'outcome'>;
  private readonly insecure: boolean;
  private readonly secrets: WebhookSecrets;

  private readonly fanOutLimits: FanOutLimits;
  private readonly mirrored: ReadonlySet<ResourceFamily>;

  constructor(
    private readonly writes: DeliveryWriteQueue,
    private readonly rejections: RejectionRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.insecure = config.webhook.secrets.length === 0 && config.webhook.insecureNoSignature;
    this.secrets = new WebhookSecrets(config.webhook.secrets, config.webhook.secretsFile);
    this.fanOutLimits = fanOutLimitsOf(config);
    this.mirrored = new Set(config.tango.resources);
    this.deliveries = metrics.counter(
      'tango_sync_webhook_deliveries_total',
      'Webhook deliveries by outcome',
      ['outcome'],
    );
    this.verifiedBySecret = metrics.counter(
      'tango_sync_webhook_verified_total',
      'Deliveries whose signature matched, by the position of the secret in WEBHOOK_SECRETS (1 = first); when the ' +
        'old secret of a rotation stops counting, it can be removed',
      ['secret_position'],
    );
    this.ackLatency = metrics.histogram(
      'tango_sync_webhook_ack_seconds',
      'Time from receiving a delivery to answering it',
      [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      ['outcome'],
    );
  }

  async ingest(delivery: IncomingDelivery): Promise<IngestResult> {
    const started = process.hrtime.bigint();
    const bodySha256 = createHash('sha256').update(delivery.rawBody).digest('hex');
    const headerDeliveryId = singleHeader(delivery.headers['x-tango-delivery-id']);
    const verifiedBy = this.verify(delivery, bodySha256, headerDeliveryId);
    const parsed = parseDelivery(delivery.rawBody, headerDeliveryId, this.fanOutLimits, this.mirrored);
    return withCorrelationId(parsed.deliveryId ?? `sha256:${bodySha256.slice(0, 16)}`, async () => {
      let stored;
      try {
        stored = await this.writes.write({
          deliveryKey: `${parsed.deliveryId ?? '-'}:${bodySha256}`,
          bodySha256,
          rawBody: delivery.rawBody,
          headers: keptHeaders(delivery.headers),
          receivedAt: delivery.receivedAt,
          verifiedBy,
          parsed,
        });
      } catch (error) {
        // Named for what happened (down, timed out, conflicting, or a bug), answered by the one error mapping.
        const known = knownError(error);
        const code = known?.code ?? 'INTERNAL';
        this.rejections.record({
          occurredAt: delivery.receivedAt,
          httpStatus: HTTP_STATUS_BY_CODE[code],
          code,
          deliveryId: parsed.deliveryId,
          bodySha256,
          bodyBytes: delivery.rawBody.length,
          remoteAddress: delivery.remoteAddress,
          detail: error instanceof Error ? error.message : String(error),
        });
        this.finish(STORE_FAILURE_OUTCOME[code] ?? 'error', started);
        throw known ?? error;
      }
      if (stored.outcome === 'duplicate') {
        const latencyMs = this.finish('duplicate', started);
        this.logger.log(
          { deliveryId: parsed.deliveryId, outcome: 'duplicate', latencyMs },
          'webhook delivery',
        );
        return { outcome: 'duplicate', deliveryId: parsed.deliveryId };
      }
      const outcome = parsed.status === 'processed' ? 'accepted' : parsed.status;
      const latencyMs = this.finish(outcome, started);
      const log = {
        deliveryId: parsed.deliveryId,
        outcome,
        format: parsed.format,
        events: parsed.events.length,
        targets: stored.targetCount,
        latencyMs,
        verifiedBy,
      };
      if (parsed.status === 'processed') {
        this.logger.log(log, 'webhook delivery');
      } else {
        this.logger.warn(
          {
            ...log,
            problems: parsed.problems.length + parsed.events.filter((e) => e.problems.length > 0).length,
          },
          'webhook delivery stored with problems',
        );
      }
      return {
        outcome: 'accepted',
        deliveryId: parsed.deliveryId,
        status: parsed.status,
        events: parsed.events.length,
        targets: stored.targetCount,
      };
    });
  }

  private verify(
    delivery: IncomingDelivery,
    bodySha256: string,
    headerDeliveryId: string | undefined,
  ): string {
    if (this.insecure) {
      return 'insecure-no-signature';
    }
    const header = singleHeader(delivery.headers['x-tango-signature']);
    let check = verifySignature(delivery.rawBody, header, this.secrets.current());
    if (!check.ok && check.reason === 'mismatch' && this.secrets.reloadAfterMismatch()) {
      // The secrets file changed (a rotation, or a new endpoint's secret): try again with what it holds now.
      check = verifySignature(delivery.rawBody, header, this.secrets.current());
    }
    if (check.ok) {
      this.verifiedBySecret.inc({ secret_position: String(check.secretPosition) });
      return `secret:${check.secretFingerprint}`;
    }
    const code = check.reason === 'missing' ? 'WEBHOOK.SIGNATURE_MISSING' : 'WEBHOOK.SIGNATURE_INVALID';
    this.rejections.record({
      occurredAt: delivery.receivedAt,
      httpStatus: 401,
      code,
      deliveryId: headerDeliveryId ?? null,
      bodySha256,
      bodyBytes: delivery.rawBody.length,
      remoteAddress: delivery.remoteAddress,
      detail: check.reason,
    });
    this.deliveries.inc({ outcome: 'rejected_signature' });
    throw new AppError(code, `signature ${check.reason.replace('_', ' ')}`, { reason: check.reason });
  }

  private finish(outcome: string, started: bigint): number {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.deliveries.inc({ outcome });
    this.ackLatency.observe({ outcome }, seconds);
    return Math.round(seconds * 10_000) / 10;
  }
}

/** The ack metric's outcome label for a delivery that could not be stored. */
const STORE_FAILURE_OUTCOME: Partial<Record<string, string>> = {
  'DATABASE.UNAVAILABLE': 'unavailable',
  'DATABASE.TIMEOUT': 'timeout',
  'DATABASE.CONFLICT': 'conflict',
};

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function keptHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = singleHeader(headers[name]);
    if (value !== undefined) {
      kept[name] = value.slice(0, 500);
    }
  }
  return kept;
}
