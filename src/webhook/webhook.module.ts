import { Module } from '@nestjs/common';
import { DeliveryReprocessor } from './delivery-reprocessor';
import { DeliveryWriteQueue } from './delivery-write-queue';
import { RejectionRecorder } from './rejection-recorder';
import { WebhookIngestService } from './webhook-ingest.service';
import { WebhookRepository } from './webhook.repository';

/** Receives Tango's signed deliveries and records them, with their fetch targets, in one transaction. */
@Module({
  providers: [
    WebhookRepository,
    DeliveryWriteQueue,
    RejectionRecorder,
    WebhookIngestService,
    DeliveryReprocessor,
  ],
  exports: [WebhookRepository, WebhookIngestService, DeliveryReprocessor, RejectionRecorder],
})
export class WebhookModule {}
