import { Module } from '@nestjs/common';
import { WebhookHttpRoute } from './webhook-http-route';
import { WebhookModule } from './webhook.module';

/** The HTTP endpoint of the webhook module (left out of the command-line tools, which have no HTTP server). */
@Module({
  imports: [WebhookModule],
  providers: [WebhookHttpRoute],
})
export class WebhookHttpModule {}
