import { Module } from '@nestjs/common';
import { RejectionRecorder } from './rejection-recorder';
import { WebhookHttpRoute } from './webhook-http-route';
import { WebhookIngestService } from './webhook-ingest.service';
import { WebhookRepository } from './webhook.repository';

/** Receives Tango's signed deliveries and records them, with their fetch targets, in one transaction. */
@Module({
  providers: [WebhookRepository, RejectionRecorder, WebhookIngestService, WebhookHttpRoute],
  exports: [WebhookRepository, WebhookIngestService],
})
export class WebhookModule {}
