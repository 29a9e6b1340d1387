import { timingSafeEqual, createHash } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { type AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { AppError } from '../errors/app-error';

/**
 * Guards the HTTP actions (start/pause a backfill, redrive, …): they need `Authorization: Bearer <CONSOLE_TOKEN>`.
 * Without a configured token every action is refused (403: the deployment is read-only); with one, a missing or
 * wrong token is 401. Compared in constant time; the token is never logged.
 */
@Injectable()
export class OperatorTokenGuard implements CanActivate {
  private readonly logger = new Logger('OperatorAction');
  private readonly expected: Buffer | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.consoleToken === undefined ? undefined : digest(config.consoleToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === undefined) {
      throw new AppError(
        'AUTH.ACTIONS_DISABLED',
        'actions are disabled: set CONSOLE_TOKEN (or CONSOLE_TOKEN_FILE)',
      );
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
    // The audit trail of operator actions: what was asked, from where (never the token).
    const action = { method: request.method, url: request.url, remoteAddress: request.ip };
    if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), this.expected)) {
      this.logger.warn(action, 'operator action refused: missing or wrong token');
      throw new AppError('AUTH.TOKEN_REQUIRED', 'this action needs Authorization: Bearer <CONSOLE_TOKEN>');
    }
    this.logger.log(action, 'operator action');
    return true;
  }
}

/** Fixed-length digests, so the comparison takes the same time whatever the given token's length. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
