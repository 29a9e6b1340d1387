import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { answerFor } from './error-answer';

interface ReplyLike {
  status(code: number): ReplyLike;
  header(name: string, value: string): ReplyLike;
  send(body: unknown): unknown;
}

/** Nest's routes: every error becomes its answer through `answerFor`, the one mapping. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<ReplyLike>();
    const answer = answerFor(exception, this.logger);
    for (const [name, value] of Object.entries(answer.headers)) {
      reply.header(name, value);
    }
    reply.status(answer.status).send(answer.body);
  }
}
