import { type LoggerService } from '@nestjs/common';
import pino, { type Logger as PinoLogger } from 'pino';
import { currentCorrelationId } from './correlation';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface RootLoggerOptions {
  readonly level: LogLevel;
  readonly format: 'json' | 'pretty';
  readonly name?: string;
}

/** Keys whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  'secret',
  'secrets',
  'apiKey',
  'password',
  'authorization',
  '*.secret',
  '*.secrets',
  '*.apiKey',
  '*.password',
  'headers["x-api-key"]',
  'headers.authorization',
  '*.headers["x-api-key"]',
];

/** The process's root logger. `destination` is for tests; pretty output goes through pino-pretty's transport. */
export function createRootLogger(
  options: RootLoggerOptions,
  destination?: pino.DestinationStream,
): PinoLogger {
  const pinoOptions: pino.LoggerOptions = {
    name: options.name ?? 'tango-sync',
    level: options.level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const correlationId = currentCorrelationId();
      return correlationId === undefined ? {} : { correlationId };
    },
  };
  if (destination !== undefined) {
    return pino(pinoOptions, destination);
  }
  if (options.format === 'pretty') {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, singleLine: true } },
    });
  }
  return pino(pinoOptions);
}

/**
 * Nest's LoggerService on top of pino. Nest calls `log(message, context)` or `log(message, ...params, context)`;
 * objects among the params become structured fields.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: PinoLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    params: unknown[],
  ): void {
    const rest = [...params];
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const fields: Record<string, unknown> = context === undefined ? {} : { context };
    let text: string | undefined;
    for (const param of rest) {
      if (param instanceof Error) {
        fields.err = param;
      } else if (typeof param === 'string') {
        // logger.x({ fields }, 'text'): the text; Nest's own logger.error('text', stack): the stack.
        if (typeof message === 'object' && message !== null && text === undefined) {
          text = param;
        } else {
          fields.stack = param;
        }
      } else if (param !== null && typeof param === 'object') {
        Object.assign(fields, param);
      }
    }
    if (message instanceof Error) {
      this.root[level]({ ...fields, err: message }, text ?? message.message);
    } else if (message !== null && typeof message === 'object') {
      this.root[level]({ ...fields, ...(message as Record<string, unknown>) }, text);
    } else {
      this.root[level](fields, String(message));
    }
  }
}
