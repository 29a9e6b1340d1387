import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppError } from './app-error';
import { HTTP_STATUS_BY_CODE, RETRY_AFTER_SECONDS_BY_CODE } from './http-status';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
}

/**
 * The one place errors become HTTP answers: AppErrors by their code, Nest HTTP exceptions as they are (terminus
 * uses them to report health), anything else as a 500 with an `errorId` that is also logged with the cause.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    if (exception instanceof AppError) {
      const status = HTTP_STATUS_BY_CODE[exception.code];
      const retryAfter = RETRY_AFTER_SECONDS_BY_CODE[exception.code];
      if (retryAfter !== undefined) {
        reply.header('Retry-After', String(retryAfter));
      }
      if (status >= 500) {
        this.logger.error({ code: exception.code, err: exception }, 'request failed');
      }
      reply
        .status(status)
        .send({ error: { code: exception.code, message: exception.message, ...exception.details } });
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      reply.status(exception.getStatus()).send(typeof body === 'string' ? { message: body } : body);
      return;
    }
    const errorId = randomUUID();
    this.logger.error({ errorId, err: exception }, 'unhandled error');
    reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error', errorId } });
  }
}
