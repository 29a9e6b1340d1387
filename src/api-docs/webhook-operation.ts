import { type AppConfig } from '../config/app-config';
import { OTHER_METHODS } from '../webhook/webhook-http-route';
import { type ErrorCode } from '../common/errors/app-error';
import { DATABASE_ERRORS } from './error-responses';
import { type HttpMethod } from './http-routes';
import { type OperationDoc } from './http-operations';
import { arraySchema, type JsonSchema, stringSchema } from './json-schema';
import { responseSchema } from './response-schemas';

/**
 * The webhook receiver (WebhookHttpRoute): registered on Fastify directly, so not in Nest's metadata. It answers
 * POST at WEBHOOK_PATH and refuses the other methods it registers there (OTHER_METHODS) with 405.
 */

const deliveryBody: JsonSchema = {
  type: 'object',
  description:
    'A Tango delivery: the alerts envelope `{ timestamp, delivery_id, events: [...] }`, the legacy subject-based ' +
    'envelope (`events[]` of `{ event_type, subject_type, subject_ids }`), or one event object at the top level. ' +
    'The raw bytes are verified and stored as received; whatever cannot be understood is still stored and ' +
    'acknowledged (status `malformed` or `unrecognized`), so Tango never retries a body the parser does not know.',
  properties: {
    delivery_id: stringSchema('Delivery id (else X-Tango-Delivery-Id)'),
    timestamp: stringSchema('When Tango sent it (ISO 8601)'),
    events: arraySchema(
      {
        type: 'object',
        properties: {
          event_type: stringSchema('e.g. alerts.contract.match, awards.new_award'),
        },
      },
      'The events of the delivery',
    ),
    event_type: stringSchema('The event type of a single event sent at the top level'),
  },
};

/** Errors the POST can answer: transport refusals, signature failures, and storage failures. */
export const WEBHOOK_ERRORS: readonly ErrorCode[] = [
  'WEBHOOK.SIGNATURE_MISSING',
  'WEBHOOK.SIGNATURE_INVALID',
  'REQUEST.PAYLOAD_TOO_LARGE',
  'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  ...DATABASE_ERRORS,
];

export function webhookOperation(config: AppConfig): OperationDoc {
  return {
    operationId: 'receiveWebhook',
    tag: 'webhooks',
    summary: 'Receive a signed Tango webhook delivery',
    description:
      `Registered at WEBHOOK_PATH (default \`${config.webhook.path}\`). The signature is checked over the raw ` +
      `bytes, then the delivery is stored in one transaction before the answer. Bodies are limited to ` +
      `WEBHOOK_MAX_BODY_BYTES (default ${config.webhook.maxBodyBytes}) bytes; only application/json and ` +
      'application/*+json are accepted. With no WEBHOOK_SECRETS and WEBHOOK_INSECURE_NO_SIGNATURE=true, no ' +
      'signature is needed.',
    headerParameters: [
      {
        name: 'X-Tango-Signature',
        required: true,
        description:
          'HMAC-SHA256 of the raw body with one of WEBHOOK_SECRETS, as `sha256=<hex>` (algorithm name in any ' +
          'case) or bare hex (legacy)',
        schema: {
          type: 'string',
          examples: ['sha256=5d41402abc4b2a76b9719d911017c592f5d41402abc4b2a76b9719d911017c59'],
        },
      },
      {
        name: 'X-Tango-Delivery-Id',
        required: false,
        description: 'Delivery id, used when the body has no `delivery_id`; stored with the delivery',
      },
      { name: 'X-Tango-Event', required: false, description: 'Event type; stored with the delivery' },
      {
        name: 'X-Tango-Delivery-Timestamp',
        required: false,
        description: 'When Tango sent it; stored with the delivery',
      },
    ],
    body: {
      description: 'The delivery, as raw JSON bytes',
      content: { 'application/json': deliveryBody },
    },
    responses: {
      202: {
        description: 'Stored; fetch targets were created for what it names',
        content: { 'application/json': responseSchema('WebhookAccepted') },
      },
      200: {
        description: 'A duplicate of a stored delivery (same id and body)',
        content: { 'application/json': responseSchema('WebhookDuplicate') },
      },
    },
    errors: WEBHOOK_ERRORS,
  };
}

/** The methods other than POST that the route answers with 405 (`Allow: POST`). */
export function webhookRefusedMethods(): HttpMethod[] {
  return OTHER_METHODS.map((method) => method.toLowerCase() as Lowercase<(typeof OTHER_METHODS)[number]>);
}
