import { Logger } from '@nestjs/common';
import { type Logger as TypeOrmLogger } from 'typeorm';

/**
 * TypeORM's logging through the application logger. Failed queries are logged at debug with their SQL but never
 * their parameters (which can hold payloads); the caller decides whether the error matters and logs it itself.
 */
export class TypeOrmLogBridge implements TypeOrmLogger {
  private readonly logger = new Logger('TypeORM');

  logQuery(query: string): void {
    this.logger.verbose({ query }, 'query');
  }

  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ query, error: error instanceof Error ? error.message : error }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ query, durationMs: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') {
      this.logger.warn({ detail: message }, 'typeorm warning');
    } else {
      this.logger.debug({ detail: message }, 'typeorm');
    }
  }
}
