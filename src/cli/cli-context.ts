import { type INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { createRootLogger, PinoNestLogger } from '../common/logging/logger';
import { isResourceFamily, RESOURCE_FAMILIES, type ResourceFamily } from '../common/tango/resource-family';
import { loadDatabaseConfigFromProcessEnv, loadToolConfigFromProcessEnv } from '../config/process-env';
import { buildDataSourceOptions } from '../database/data-source-options';
import { CliUsageError } from './cli-errors';
import { CliModule } from './cli.module';

/** Where the program writes; tests pass their own. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** The options every command shares (`tango-sync --verbose --json <command>`). */
export interface GlobalOptions {
  readonly verbose: boolean;
  readonly json: boolean;
}

/** What a command group needs from the program: where to write, and the global options once parsed. */
export interface CliContext {
  readonly io: CliIo;
  readonly globals: () => GlobalOptions;
  /** One JSON line on stdout. */
  readonly print: (value: unknown) => void;
}

export function cliContext(io: CliIo, globals: () => GlobalOptions): CliContext {
  return {
    io,
    globals,
    print: (value) => {
      io.out(`${JSON.stringify(value)}\n`);
    },
  };
}

/** A repeatable option's values, in order (commander argParser). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export const FAMILY_LIST = RESOURCE_FAMILIES.join(', ');

/** A family argument (commander argParser): unknown names are a usage error. */
export function family(value: string): ResourceFamily {
  if (!isResourceFamily(value)) {
    throw new CliUsageError(`unknown family "${value}" (one of: ${FAMILY_LIST})`);
  }
  return value;
}

/** An ISO time option, or undefined when not given; anything else is a usage error naming the option. */
/** A parser of a records-per-sample option: a whole number from 1 to 100 (one list page). */
export function recordSample(option: string): (value: string) => number {
  return (value) => {
    const sample = Number(value);
    if (!Number.isInteger(sample) || sample < 1 || sample > 100) {
      throw new CliUsageError(`${option} must be a whole number from 1 to 100, got "${value}"`);
    }
    return sample;
  };
}

export function time(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) {
    throw new CliUsageError(`${option} must be an ISO time, got "${value}"`);
  }
  return parsed;
}

/**
 * The application context a tool command runs in: the database and the services it drives, no HTTP server, no
 * Kafka. It asks only for the settings tools need (DATABASE_URL; Tango's for Tango calls) and closes after.
 */
export async function withTools<T>(
  verbose: boolean,
  work: (app: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const config = loadToolConfigFromProcessEnv();
  const logger = createRootLogger({
    level: verbose ? 'debug' : config.log.level === 'info' ? 'warn' : config.log.level,
    format: config.log.format,
  });
  const app = await NestFactory.createApplicationContext(CliModule.forConfig(config), {
    logger: new PinoNestLogger(logger),
  });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

/**
 * A DataSource on DATABASE_URL alone (migrations need nothing else). Its logs go to stderr (only errors unless
 * --verbose), so stdout carries the command's answer alone.
 */
export async function withDatabase<T>(
  verbose: boolean,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const db = loadDatabaseConfigFromProcessEnv();
  Logger.overrideLogger(
    new PinoNestLogger(
      createRootLogger({ level: verbose ? 'debug' : 'error', format: 'json' }, pino.destination(2)),
    ),
  );
  const dataSource = new DataSource({
    ...buildDataSourceOptions({ ...db, migrationsRun: false }),
    logging: false,
  });
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
