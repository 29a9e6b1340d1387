import { readFileSync, writeFileSync } from 'node:fs';
import { type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRootLogger, PinoNestLogger } from '../common/logging/logger';
import { loadOperatorConfigFromProcessEnv } from '../config/process-env';
import { parseSecretList } from '../config/secret-files';
import { TangoWebhooksApi, type WebhookAlert, type WebhookEndpoint } from '../tango/tango-webhooks-api';
import { type DeliveryConfirmation, TangoSideService } from '../tango-side/tango-side.service';
import { type CliIo } from './cli-context';
import { CliUsageError } from './cli-errors';
import { TangoOperatorModule } from './tango-operator.module';

/** What a `tango …` command works with. */
export interface OperatorContext {
  readonly api: TangoWebhooksApi;
  readonly side: TangoSideService;
  readonly database: boolean;
}

/**
 * Runs `work` with Tango's management API: TANGO_API_KEY (or _FILE) and TANGO_BASE_URL; DATABASE_URL when set
 * (shared request budget, test deliveries confirmed in the worker's database). Nothing else is asked for.
 */
export async function withTango<T>(
  verbose: boolean,
  work: (context: OperatorContext) => Promise<T>,
): Promise<T> {
  const { config, database } = loadOperatorConfigFromProcessEnv();
  const logger = createRootLogger({ level: verbose ? 'debug' : 'warn', format: config.log.format });
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    TangoOperatorModule.forConfig(config, database),
    { logger: new PinoNestLogger(logger) },
  );
  try {
    return await work({ api: app.get(TangoWebhooksApi), side: app.get(TangoSideService), database });
  } finally {
    await app.close();
  }
}

/**
 * Where a new endpoint's secret goes: Tango shows it once. With --secret-file it is written there (mode 0600, as
 * the first line, keeping the secrets already in the file so a rotation keeps working) and not printed.
 */
export function handOverSecret(io: CliIo, secret: string, file: string | undefined): string {
  if (file === undefined) {
    io.err(
      `The endpoint's signing secret (Tango shows it only now; give it to the worker as WEBHOOK_SECRETS or in WEBHOOK_SECRETS_FILE):\n${secret}\n`,
    );
    return 'printed';
  }
  let existing: string[];
  try {
    // Read as the worker reads WEBHOOK_SECRETS_FILE: one secret per line or comma-separated.
    existing = parseSecretList(readFileSync(file, 'utf8')).filter((line) => line !== secret);
  } catch {
    existing = [];
  }
  writeFileSync(file, `${[secret, ...existing].join('\n')}\n`, { mode: 0o600 });
  io.err(
    `The endpoint's signing secret was written to ${file} (first line; ${existing.length} older kept).\n`,
  );
  return `written to ${file}`;
}

/** An alert's filters from `--filters-json` and the `--filter key=value` pairs (which win); never empty. */
export function filtersFrom(
  pairs: readonly string[],
  json: string | undefined,
): Record<string, string | string[]> {
  const filters: Record<string, string | string[]> = {};
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      throw new CliUsageError('--filters-json must be a JSON object');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new CliUsageError('--filters-json must be a JSON object');
    }
    Object.assign(filters, parsed);
  }
  for (const pair of pairs) {
    const separator = pair.indexOf('=');
    if (separator <= 0) {
      throw new CliUsageError(`--filter takes key=value, got "${pair}"`);
    }
    filters[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  if (Object.keys(filters).length === 0) {
    throw new CliUsageError('an alert needs at least one filter (--filter key=value or --filters-json)');
  }
  return filters;
}

export function endpointLine(endpoint: WebhookEndpoint): string {
  return `${endpoint.id}  ${endpoint.is_active ? 'active  ' : 'inactive'}  ${endpoint.name}  → ${endpoint.callback_url}`;
}

export function alertLine(alert: WebhookAlert): string {
  return `${alert.alert_id}  ${alert.status.padEnd(6)}  ${alert.query_type.padEnd(11)}  ${alert.frequency.padEnd(8)}  ${alert.name}  ${JSON.stringify(alert.filters)}`;
}

export function describeConfirmation(confirmation: DeliveryConfirmation): string {
  const tango = confirmation.tango;
  const timing =
    tango.status_code === null || tango.status_code === undefined
      ? 'no answer'
      : `answered ${tango.status_code} in ${tango.response_time_ms ?? '?'} ms`;
  switch (confirmation.outcome) {
    case 'stored':
      return `Test delivery: the endpoint ${timing}; delivered and stored as delivery ${confirmation.deliveryPk}${confirmation.deliveryId === null ? '' : ` (delivery id ${confirmation.deliveryId})`}, verified by ${confirmation.verifiedBy}.`;
    case 'unchecked':
      return `Test delivery: the endpoint ${timing}; not confirmed: ${confirmation.reason}.`;
    case 'not_stored':
      return `Test delivery: NOT stored: ${confirmation.reason}.`;
  }
}
