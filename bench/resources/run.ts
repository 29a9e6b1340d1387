/**
 * bench/resources: what the contract resources of the default set cost (issue 24): for each, the records a full
 * walk reads from the simulator, the requests and time it takes, the disk its mirror table takes per record (table,
 * indexes and TOAST, after a second walk that changes nothing), and, at the sizes Tango is assumed to hold
 * (`ASSUMED_TANGO_RECORDS`: public figures and guesses, not measurements), the requests a day its walks cost at the
 * default periods against Tango's recorded daily limits (2,000,000 for the SDK maintainers' key; 2,400 in the docs'
 * example) and the disk it would take. The walks run through the worker's own ResourceRefreshService on a scratch
 * database (dropped at the end).
 *
 *   npm run bench:resources [-- --records 1000]
 *   npm run bench:resources -- --small    # 30 records a resource (test/e2e/benchmarks.e2e-spec.ts)
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type DataSource } from 'typeorm';
import { CliModule } from '../../src/cli/cli.module';
import { FAMILIES } from '../../src/common/tango/families';
import { type ResourceFamily } from '../../src/common/tango/resource-family';
import { RESOURCE_GROUPS } from '../../src/tango-contract/resource-selection';
import { parseConfig } from '../../src/config/app-config';
import { type RefreshSettings, refreshRequestsPerDay } from '../../src/resources/refresh-plan';
import { ResourceRefreshService } from '../../src/resources/resource-refresh.service';
import { startSimulator } from '../../simulator';
import { maxResourceSize, type Resource } from '../../simulator/resources/catalog';
import { migrateDatabase, scratchDatabase } from '../support/stack';

const { values: args } = parseArgs({
  options: {
    small: { type: 'boolean', default: false },
    records: { type: 'string' },
  },
});

const RECORDS = Number(args.records ?? (args.small ? '30' : '1000'));
const API_KEY = 'bench-resources';
const RECORDED_DAILY_LIMITS = [2_000_000, 2_400] as const;

/**
 * What Tango is assumed to hold per resource of the default set (orders of magnitude from the public sources each
 * mirrors: SAM exclusions, DLA DIBBS, the federal hierarchy, NAICS 2022, the PSC manual (2,526 codes, E16), SAM
 * assistance listings, SAM business types, GSA MAS SINs). Used only to project costs; the walks measure the rest.
 */
const ASSUMED_TANGO_RECORDS: Readonly<Partial<Record<ResourceFamily, number>>> = {
  exclusions: 150_000,
  dibbs_rfqs: 50_000,
  dibbs_rfps: 5_000,
  agencies: 400,
  departments: 100,
  offices: 20_000,
  organizations: 100_000,
  naics: 2_200,
  psc: 2_526,
  assistance_listings: 4_000,
  business_types: 50,
  mas_sins: 400,
};

interface ResourceFigures {
  readonly resource: ResourceFamily;
  readonly records: number;
  readonly walk: { readonly requests: number; readonly pages: number; readonly ms: number };
  readonly secondWalkChanges: number;
  readonly bytesPerRecord: number;
  readonly assumedTangoRecords: number;
  readonly requestsPerDay: number;
  readonly projectedMegabytes: number;
}

/** Two full walks of one resource (the second changes nothing), its table's disk per record, its projections. */
async function walkAndMeasure(
  service: ResourceRefreshService,
  dataSource: DataSource,
  resource: ResourceFamily,
  settings: RefreshSettings,
): Promise<ResourceFigures> {
  const started = performance.now();
  const first = await service.refresh(resource, 'full');
  const ms = Math.round(performance.now() - started);
  const second = await service.refresh(resource, 'full');
  if (!first.ok || !second.ok) {
    throw new Error(
      `${resource}: walk failed: ${first.ok ? '' : first.error} ${second.ok ? '' : second.error}`,
    );
  }
  const table = FAMILIES[resource].table;
  const [size] = await dataSource.query<{ bytes: string; live: string }[]>(
    `SELECT pg_total_relation_size('${table}')::bigint AS bytes,
            (SELECT count(*) FROM ${table} WHERE deleted_at IS NULL)::bigint AS live`,
  );
  const live = Number(size?.live ?? 0);
  const bytesPerRecord = live === 0 ? 0 : Math.round(Number(size?.bytes ?? 0) / live);
  const assumed = ASSUMED_TANGO_RECORDS[resource] ?? RECORDS;
  return {
    resource,
    records: live,
    walk: { requests: first.requests, pages: first.pages, ms },
    secondWalkChanges: second.changes,
    bytesPerRecord,
    assumedTangoRecords: assumed,
    requestsPerDay: refreshRequestsPerDay(resource, assumed, settings),
    projectedMegabytes: Math.round((assumed * bytesPerRecord) / 1e5) / 10,
  };
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const resources = (RESOURCE_GROUPS.default ?? []).filter(
    (resource) => FAMILIES[resource].refresh !== undefined,
  );
  const sim = await startSimulator({
    port: 0,
    apiKeys: [API_KEY],
    resourceSizes: Object.fromEntries(
      resources.map((resource) => [resource, Math.min(RECORDS, maxResourceSize(resource as Resource))]),
    ),
    webhooks: { schedule: false },
  });
  const database = await scratchDatabase('resources');
  const figures: ResourceFigures[] = [];
  try {
    const dataSource = await migrateDatabase(database.url);
    const config = parseConfig({
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: '4',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      WEBHOOK_SECRETS: 'bench',
      TANGO_BASE_URL: sim.baseUrl,
      TANGO_API_KEY: API_KEY,
      TANGO_RESOURCES: 'default',
      LOG_LEVEL: 'fatal',
    });
    const app = await NestFactory.createApplicationContext(CliModule.forConfig(config), { logger: false });
    try {
      const service = app.get(ResourceRefreshService);
      for (const resource of resources) {
        figures.push(await walkAndMeasure(service, dataSource, resource, config.resources));
      }
    } finally {
      await app.close();
      await dataSource.destroy();
    }
  } finally {
    await database.drop();
    await sim.close();
  }
  for (const row of figures) {
    process.stdout.write(
      `${row.resource.padEnd(20)} ${String(row.records).padStart(6)} records: walk ${row.walk.requests} request(s), ` +
        `${row.walk.ms} ms; ${row.bytesPerRecord} bytes a record on disk; at ~${row.assumedTangoRecords} in Tango: ` +
        `${row.requestsPerDay} requests a day, ~${row.projectedMegabytes} MB\n`,
    );
  }
  const requestsPerDay = Math.round(figures.reduce((sum, row) => sum + row.requestsPerDay, 0) * 10) / 10;
  const megabytes = Math.round(figures.reduce((sum, row) => sum + row.projectedMegabytes, 0) * 10) / 10;
  const shares = RECORDED_DAILY_LIMITS.map((limit) => ({
    dailyLimit: limit,
    share: Math.round((requestsPerDay / limit) * 10_000) / 10_000,
  }));
  process.stdout.write(
    `default set: ${figures.length} contract resources, ${requestsPerDay} requests a day ` +
      `(${shares.map((s) => `${(s.share * 100).toFixed(2)}% of ${s.dailyLimit}`).join(', ')}), ~${megabytes} MB\n`,
  );
  process.stdout.write(`${JSON.stringify({ resources: figures, requestsPerDay, megabytes, shares })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
