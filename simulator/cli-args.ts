import { z } from 'zod';
import { EVENT_CATALOGS, type SimulatorOptionsInput } from './options';
import { resourceSizesSchema } from './resources/catalog';

/** `--name value`, `--name=value` and bare `--flag` (= "true") into a map; positional words are returned apart. */
export function parseArgv(argv: readonly string[]): { flags: Record<string, string>; positional: string[] } {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
    const next = argv[i + 1];
    if (inline !== undefined) {
      flags[name] = inline;
    } else if (next !== undefined && !next.startsWith('--')) {
      flags[name] = next;
      i += 1;
    } else {
      flags[name] = 'true';
    }
  }
  return { flags, positional };
}

/** `--time-scale` <-> `SIM_TIME_SCALE`. */
export function envName(flag: string): string {
  return `SIM_${flag.toUpperCase().replace(/-/g, '_')}`;
}

const num = z.coerce.number();
const int = z.coerce.number().int();
const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');
/** `exclusions=200,naics=50`: seeded record counts of resources beyond the nine families, by mirror name. */
const resourceSizes = z
  .string()
  .transform((text) =>
    Object.fromEntries(
      text
        .split(',')
        .filter((part) => part.trim() !== '')
        .map((part) => {
          const [name = '', count = ''] = part.split('=', 2);
          return [name.trim(), count.trim() === '' ? Number.NaN : Number(count)];
        }),
    ),
  )
  .pipe(resourceSizesSchema);

/** Every flag of the standalone simulator (each also readable from `SIM_<FLAG>`). */
export const serveFlagsSchema = z.object({
  /**
   * The address to accept connections on. The simulator itself always listens on 127.0.0.1; any other address
   * (`0.0.0.0` in a container) is served by a TCP relay in front of it (see main.ts). The relay exposes the
   * unauthenticated `/_sim/` control API too: use it only on a private network.
   */
  host: z.string().min(1).default('127.0.0.1'),
  port: int.min(0).max(65_535).default(8765),
  seed: int.optional(),
  'api-key': z.string().optional(),
  contracts: int.min(0).optional(),
  idvs: int.min(0).optional(),
  otas: int.min(0).optional(),
  otidvs: int.min(0).optional(),
  opportunities: int.min(0).optional(),
  notices: int.min(0).optional(),
  entities: int.min(0).optional(),
  grants: int.min(0).optional(),
  forecasts: int.min(0).optional(),
  'resource-sizes': resourceSizes.optional(),
  'anchor-date': z.string().optional(),
  'time-scale': num.positive().optional(),
  'burst-limit': int.positive().optional(),
  'burst-window': num.positive().optional(),
  'daily-limit': int.positive().optional(),
  'daily-window': num.positive().optional(),
  'latency-ms': int.min(0).optional(),
  'error-rate': num.min(0).max(1).optional(),
  'timeout-rate': num.min(0).max(1).optional(),
  'drop-rate': num.min(0).max(1).optional(),
  'truncate-rate': num.min(0).max(1).optional(),
  'error-200-rate': num.min(0).max(1).optional(),
  'storm-rate': num.min(0).max(1).optional(),
  trickle: num.min(0).optional(),
  'webhook-url': z.url().optional(),
  'webhook-secret': z.string().min(1).optional(),
  'webhook-format': z.enum(['alerts', 'legacy']).optional(),
  'realtime-interval': num.positive().optional(),
  'retry-base-delay': num.min(0).optional(),
  'counts-only-share': num.min(0).max(1).optional(),
  'legacy-award-keys': z.enum(['full', 'bare', 'mixed']).optional(),
  'link-base-url': z.url().optional(),
  'refuse-pro-shapes': bool.optional(),
  'award-modified-filter': bool.optional(),
  'event-catalog': z.enum(EVENT_CATALOGS).optional(),
  'page-size': int.min(1).max(100).optional(),
  'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ServeFlags = z.infer<typeof serveFlagsSchema>;

/** Flags win over `SIM_*` environment variables. */
export function collectServeFlags(
  flags: Record<string, string>,
  env: Readonly<Record<string, string | undefined>>,
): ServeFlags {
  const merged: Record<string, string> = {};
  for (const key of Object.keys(serveFlagsSchema.shape)) {
    const value = flags[key] ?? env[envName(key)];
    if (value !== undefined) {
      merged[key] = value;
    }
  }
  const unknown = Object.keys(flags).filter((key) => !(key in serveFlagsSchema.shape));
  if (unknown.length > 0) {
    throw new Error(`unknown flag(s): ${unknown.map((key) => `--${key}`).join(', ')}`);
  }
  return serveFlagsSchema.parse(merged);
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function toSimulatorOptions(flags: ServeFlags): SimulatorOptionsInput {
  const webhookTarget =
    flags['webhook-url'] === undefined
      ? undefined
      : {
          url: flags['webhook-url'],
          secret: flags['webhook-secret'] ?? 'sim-webhook-secret',
          format: flags['webhook-format'] ?? 'alerts',
        };
  return defined({
    port: flags.port,
    seed: flags.seed,
    apiKeys: flags['api-key']?.split(',').map((key) => key.trim()),
    anchorDate: flags['anchor-date'],
    timeScale: flags['time-scale'],
    sizes: defined({
      contracts: flags.contracts,
      idvs: flags.idvs,
      otas: flags.otas,
      otidvs: flags.otidvs,
      opportunities: flags.opportunities,
      notices: flags.notices,
      entities: flags.entities,
      grants: flags.grants,
      forecasts: flags.forecasts,
    }),
    resourceSizes: flags['resource-sizes'],
    rateLimits: defined({
      burstLimit: flags['burst-limit'],
      burstWindowSeconds: flags['burst-window'],
      dailyLimit: flags['daily-limit'],
      dailyWindowSeconds: flags['daily-window'],
    }),
    faults: defined({
      latencyMs: flags['latency-ms'],
      serverErrorRate: flags['error-rate'],
      timeoutRate: flags['timeout-rate'],
      dropRate: flags['drop-rate'],
      truncateRate: flags['truncate-rate'],
      errorIn200Rate: flags['error-200-rate'],
      rateLimitStormRate: flags['storm-rate'],
    }),
    webhooks: defined({
      realtimeIntervalSeconds: flags['realtime-interval'],
      retryBaseDelaySeconds: flags['retry-base-delay'],
      countsOnlyShare: flags['counts-only-share'],
      legacyAwardKeys: flags['legacy-award-keys'],
    }),
    trickleRatePerSecond: flags.trickle,
    webhookTarget,
    linkBaseUrl: flags['link-base-url'],
    refuseProShapes: flags['refuse-pro-shapes'],
    awardModifiedFilter: flags['award-modified-filter'],
    eventCatalog: flags['event-catalog'],
    defaultPageSize: flags['page-size'],
  });
}
