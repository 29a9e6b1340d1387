import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { AppError, type ErrorCode } from '../common/errors/app-error';
import { answerFor } from '../common/errors/error-answer';
import { type AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { RejectionRecorder } from './rejection-recorder';
import { WebhookIngestService } from './webhook-ingest.service';

const JSON_CONTENT_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;
export const OTHER_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * The webhook endpoint, registered straight on Fastify in its own encapsulated scope: the body stays raw bytes (the
 * signature covers them), only JSON content types are accepted, and the size limit is enforced while the body is
 * read. The handler is thin: transport checks here, everything else in WebhookIngestService.
 */
@Injectable()
export class WebhookHttpRoute implements OnModuleInit {
  private readonly logger = new Logger(WebhookHttpRoute.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly ingest: WebhookIngestService,
    private readonly rejections: RejectionRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (this.config.webhook.secrets.length === 0 && this.config.webhook.insecureNoSignature) {
      this.logger.warn('WEBHOOK_INSECURE_NO_SIGNATURE is set: deliveries are accepted without a signature');
    }
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const { path, maxBodyBytes } = this.config.webhook;
    void fastify.register((scope, _options, done) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser(
        JSON_CONTENT_TYPE,
        { parseAs: 'buffer', bodyLimit: maxBodyBytes },
        (_request, body, parsed) => {
          parsed(null, body);
        },
      );
      // Anything that is not JSON (including a missing content type) is refused by name, not parsed.
      scope.addContentTypeParser('*', (_request, _payload, parsed) => {
        parsed(
          new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'deliveries must be application/json'),
          undefined,
        );
      });
      scope.setErrorHandler((error: unknown, request, reply) => this.answerError(error, request, reply));
      scope.post(path, { bodyLimit: maxBodyBytes }, (request, reply) => this.receive(request, reply));
      scope.route({
        method: [...OTHER_METHODS],
        url: path,
        handler: () => {
          throw new AppError('REQUEST.METHOD_NOT_ALLOWED', 'only POST is accepted here');
        },
      });
      done();
    });
  }

  private async receive(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const body = request.body;
    if (!Buffer.isBuffer(body)) {
      throw new AppError('REQUEST.UNSUPPORTED_MEDIA_TYPE', 'deliveries must be application/json with a body');
    }
    const result = await this.ingest.ingest({
      rawBody: body,
      headers: request.headers,
      remoteAddress: request.ip,
      receivedAt: new Date(),
    });
    if (result.outcome === 'duplicate') {
      return reply.code(200).send({ status: 'duplicate', delivery_id: result.deliveryId });
    }
    return reply.code(202).send({
      status: result.status === 'processed' ? 'accepted' : result.status,
      delivery_id: result.deliveryId,
      events: result.events,
      targets: result.targets,
    });
  }

  /** Answers through the one error mapping (`answerFor`); transport refusals are recorded as rejections here. */
  private answerError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const answer = answerFor(error, this.logger);
    // Signature and storage failures were recorded by the ingest service; transport refusals are recorded here.
    if (answer.code !== null && RECORDED_HERE.has(answer.code)) {
      const deliveryId = request.headers['x-tango-delivery-id'];
      const length = Number(request.headers['content-length']);
      this.rejections.record({
        occurredAt: new Date(),
        httpStatus: answer.status,
        code: answer.code,
        deliveryId: typeof deliveryId === 'string' ? deliveryId : null,
        bodySha256: null,
        bodyBytes: Number.isFinite(length) ? length : null,
        remoteAddress: request.ip,
        detail: `${request.method} ${request.headers['content-type'] ?? '(no content type)'}`,
      });
    }
    void reply.headers(answer.headers);
    if (answer.code === 'REQUEST.METHOD_NOT_ALLOWED') {
      void reply.header('Allow', 'POST');
    }
    return reply.code(answer.status).send(answer.body);
  }
}

/** Answers the ingest service does not see (it records signature and storage failures itself). */
const RECORDED_HERE: ReadonlySet<ErrorCode> = new Set([
  'REQUEST.METHOD_NOT_ALLOWED',
  'REQUEST.PAYLOAD_TOO_LARGE',
  'REQUEST.UNSUPPORTED_MEDIA_TYPE',
  'INTERNAL',
]);
