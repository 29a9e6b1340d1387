import { Logger } from '@nestjs/common';
import { type LoggerOptions, type QueryRunner, type Logger as TypeOrmLogger } from 'typeorm';

const MIGRATION_DONE = /^Migration (\S+) has been (\(fake\) )?(executed|reverted) successfully\.?$/;
const SLOW_QUERY_TEXT_CHARS = 200;

/** TypeORM hands a custom logger everything; its `logging` option is honoured here when a query runner says it. */
function enabled(queryRunner: QueryRunner | undefined, kind: 'query' | 'error'): boolean {
  const logging: LoggerOptions | undefined = queryRunner?.dataSource.options.logging;
  if (logging === undefined || logging === true || logging === 'all') {
    return true;
  }
  return Array.isArray(logging) && (logging as readonly string[]).includes(kind);
}

/** One line, at most SLOW_QUERY_TEXT_CHARS long: enough to recognise a statement without flooding a log. */
export function compactSql(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim();
  return line.length > SLOW_QUERY_TEXT_CHARS ? `${line.slice(0, SLOW_QUERY_TEXT_CHARS)}…` : line;
}

/**
 * TypeORM's logging through the application logger. SQL is never logged at info: queries go to verbose (and only
 * when the DataSource's `logging` asks for them), failed queries to debug with their SQL but never their
 * parameters (which can hold payloads; the caller decides whether the error matters and logs it itself), slow
 * queries to warn with the statement shortened to one line. A migration run shows one info line per migration.
 */
export class TypeOrmLogBridge implements TypeOrmLogger {
  private readonly logger = new Logger('TypeORM');

  logQuery(query: string, _parameters?: unknown[], queryRunner?: QueryRunner): void {
    if (enabled(queryRunner, 'query')) {
      this.logger.verbose({ query }, 'query');
    }
  }

  logQueryError(
    error: string | Error,
    query: string,
    _parameters?: unknown[],
    queryRunner?: QueryRunner,
  ): void {
    if (enabled(queryRunner, 'error')) {
      this.logger.debug({ query, error: error instanceof Error ? error.message : error }, 'query failed');
    }
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ query: compactSql(query), durationMs: time }, 'slow query');
  }

  /** Migration progress arrives here too ("Migration X has been executed successfully."). */
  logSchemaBuild(message: string): void {
    const done = MIGRATION_DONE.exec(message);
    if (done === null) {
      this.logger.debug(message);
      return;
    }
    const [, migration, fake, action] = done;
    const verb = action === 'executed' ? 'applied' : 'reverted';
    this.logger.log(`${verb} migration ${migration}${fake === undefined ? '' : ' (fake)'}`);
  }

  /** TypeORM reports migration failures here (the caller rethrows them with context). */
  logMigration(message: string): void {
    if (/\bfailed\b/.test(message)) {
      this.logger.warn({ detail: message }, 'migration failed');
    } else {
      this.logger.log({ detail: message }, 'migration');
    }
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') {
      this.logger.warn({ detail: message }, 'typeorm warning');
    } else {
      this.logger.debug({ detail: message }, 'typeorm');
    }
  }
}
