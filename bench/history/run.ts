/**
 * bench/history: what the event-sourced history costs and what retention does.
 *
 * On a scratch database it mirrors `--records` simulator contracts and modifies each `--versions - 1` times through
 * the real MirrorRepository (history rows written in the same statement), then prints: upsert records/s, history
 * rows and bytes per version against the raw JSON, the same rows stored with other compression settings (pglz,
 * lz4 without the low TOAST target) for comparison, and the outbox's size. Then it marks the outbox published and
 * old and runs the retention deletes, printing rows/s and the slowest batch statement (what a concurrent ingest
 * statement could wait behind).
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { type JsonRecord } from '../../src/common/json';
import { HISTORY_FULL_EVERY, MirrorRepository, type Provenance } from '../../src/mirror/mirror.repository';
import { RetentionRepository } from '../../src/retention/retention.repository';
import { Dataset } from '../../simulator/dataset/store';
import { datasetSizesSchema } from '../../simulator/options';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    versions: { type: 'string', default: '5' },
    batch: { type: 'string', default: '100' },
    'retention-batch': { type: 'string', default: '1000' },
  },
});

const RECORDS = Number(args.records);
const VERSIONS = Number(args.versions);
const BATCH = Number(args.batch);
const RETENTION_BATCH = Number(args['retention-batch']);
const DB_NAME = 'tango_sync_bench_history';

const provenance: Provenance = {
  deliveryIds: ['bench'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['bench-alert'],
  reasons: ['modified'],
};

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is required (source .services/env)`);
  }
  return value;
}

/** Runs statements as the server's admin (creating databases needs it), always closing the connection. */
async function asAdmin(statements: readonly string[]): Promise<void> {
  const admin = new Client({ connectionString: requireEnv('TEST_DATABASE_ADMIN_URL') });
  await admin.connect();
  try {
    for (const statement of statements) {
      await admin.query(statement);
    }
  } finally {
    await admin.end();
  }
}

async function prepareDatabase(): Promise<string> {
  const appUrl = new URL(requireEnv('DATABASE_URL'));
  await asAdmin([
    `DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`,
    `CREATE DATABASE ${DB_NAME} OWNER "${decodeURIComponent(appUrl.username) || 'postgres'}"`,
  ]);
  appUrl.pathname = `/${DB_NAME}`;
  return appUrl.toString();
}

async function scalar(dataSource: DataSource, sql: string): Promise<number> {
  const [row] = await dataSource.query<{ value: string | number | null }[]>(sql);
  return Number(row?.value ?? 0);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const url = await prepareDatabase();
  const dataSource = new DataSource(
    buildDataSourceOptions({ url, poolSize: 4, statementTimeoutMs: 600_000, migrationsRun: false }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();
  const mirror = new MirrorRepository(dataSource);
  const dataset = new Dataset(7, datasetSizesSchema.parse({ contracts: RECORDS }), '2026-08-14');
  const ids: string[] = [];
  for (let index = 0; index < RECORDS; index += 1) {
    const record = dataset.served('contracts', index);
    if (typeof record?.key === 'string') {
      ids.push(record.key);
    }
  }

  let fetchedAt = Date.parse('2026-11-01T00:00:00Z');
  let written = 0;
  const started = performance.now();
  for (let round = 0; round < VERSIONS; round += 1) {
    fetchedAt += 60_000;
    for (let start = 0; start < ids.length; start += BATCH) {
      const records: JsonRecord[] = [];
      for (const id of ids.slice(start, start + BATCH)) {
        const record =
          round === 0
            ? dataset.get('contracts', dataset.resolve('contracts', id) ?? -1)
            : dataset.modify('contracts', id);
        if (record !== undefined) {
          records.push(record);
        }
      }
      await mirror.upsert(
        'contracts',
        records.map((record) => ({ record, fetchedAt: new Date(fetchedAt), provenance })),
      );
      written += records.length;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await dataSource.query('VACUUM ANALYZE record_history_contracts');
  await dataSource.query('VACUUM ANALYZE change_events');

  const versions = await scalar(dataSource, 'SELECT count(*) AS value FROM record_history_contracts');
  const rawJson = await scalar(
    dataSource,
    `SELECT sum(octet_length(record::text)) AS value FROM record_timeline WHERE resource = 'contracts'`,
  );
  const historyBytes = await scalar(
    dataSource,
    `SELECT pg_total_relation_size('record_history_contracts') AS value`,
  );
  const outboxBytes = await scalar(dataSource, `SELECT pg_total_relation_size('change_events') AS value`);
  const mirrorBytes = await scalar(dataSource, `SELECT pg_total_relation_size('contracts') AS value`);
  // The same versions stored as whole records (what history would cost without patches), for comparison.
  await dataSource.query(`CREATE TABLE bench_full_records (LIKE record_history_contracts INCLUDING INDEXES)`);
  await dataSource.query(`ALTER TABLE bench_full_records ALTER COLUMN patch SET COMPRESSION lz4`);
  await dataSource.query(
    `INSERT INTO bench_full_records (resource, record_id, version, event_id, change_type, valid_from, source_modified_at,
                                     previous_hash, hash, changed_fields, is_full, patch, removed_fields, provenance)
     SELECT resource, record_id, version, event_id, change_type, valid_from, source_modified_at, previous_hash, hash,
            changed_fields, true, record, '{}', provenance
       FROM record_timeline WHERE resource = 'contracts'`,
  );
  await dataSource.query('VACUUM ANALYZE bench_full_records');
  const fullBytes = await scalar(dataSource, `SELECT pg_total_relation_size('bench_full_records') AS value`);
  const patchJson = await scalar(
    dataSource,
    'SELECT sum(octet_length(patch::text)) AS value FROM record_history_contracts',
  );
  const [split] = await dataSource.query<
    { full_rows: string; full_bytes: string; patch_rows: string; patch_bytes: string; fields: string }[]
  >(
    `SELECT count(*) FILTER (WHERE is_full) AS full_rows,
            COALESCE(avg(pg_column_size(patch)) FILTER (WHERE is_full), 0)::int AS full_bytes,
            count(*) FILTER (WHERE NOT is_full) AS patch_rows,
            COALESCE(avg(pg_column_size(patch)) FILTER (WHERE NOT is_full), 0)::int AS patch_bytes,
            COALESCE(avg(cardinality(changed_fields)) FILTER (WHERE NOT is_full), 0)::numeric(6, 1) AS fields
       FROM record_history_contracts`,
  );
  const asOfStarted = performance.now();
  const asOfRows = await scalar(
    dataSource,
    `SELECT count(*) AS value FROM contracts_as_of(clock_timestamp())`,
  );
  const asOfSeconds = (performance.now() - asOfStarted) / 1000;
  const timelineStarted = performance.now();
  const probes = 200;
  for (let probe = 0; probe < probes; probe += 1) {
    await dataSource.query(
      `SELECT version, record FROM record_timeline WHERE resource = 'contracts' AND record_id = $1`,
      [ids[(probe * 97) % ids.length]],
    );
  }
  const timelineMs = (performance.now() - timelineStarted) / probes;

  process.stdout.write(`history: ${RECORDS} contracts x ${VERSIONS} fetches (each a real change)\n`);
  process.stdout.write(
    `  upserts            ${written} records in ${seconds.toFixed(1)} s = ${(written / seconds).toFixed(0)} records/s (mirror + outbox + history, one statement per slice)\n`,
  );
  process.stdout.write(`  history rows       ${versions} versions\n`);
  process.stdout.write(
    `  raw JSON           ${mb(rawJson)} (${(rawJson / versions).toFixed(0)} B/version)\n`,
  );
  process.stdout.write(
    `  record_history     ${mb(historyBytes)} with indexes (${(historyBytes / versions).toFixed(0)} B/version; patches, a whole record every ${HISTORY_FULL_EVERY} versions; patch JSON ${mb(patchJson)})\n`,
  );
  process.stdout.write(
    `    as whole records ${mb(fullBytes)} with indexes (${(fullBytes / versions).toFixed(0)} B/version, lz4): patches are ${(fullBytes / historyBytes).toFixed(1)}x smaller\n`,
  );
  process.stdout.write(
    `    stored patch     ${split?.full_rows ?? 0} whole records of ${split?.full_bytes ?? 0} B, ${split?.patch_rows ?? 0} patches of ${split?.patch_bytes ?? 0} B (${split?.fields ?? 0} changed fields each)\n`,
  );
  process.stdout.write(
    `  contracts_as_of(now) ${asOfRows} records in ${asOfSeconds.toFixed(2)} s; one record's timeline ${timelineMs.toFixed(2)} ms\n`,
  );
  process.stdout.write(`  change_events      ${mb(outboxBytes)} (the outbox before retention)\n`);
  process.stdout.write(`  contracts mirror   ${mb(mirrorBytes)}\n`);

  // Retention: the whole outbox is published and a month old.
  await dataSource.query(
    `UPDATE change_events SET status = 'published', published_at = clock_timestamp() - interval '30 days'`,
  );
  const retention = new RetentionRepository(dataSource);
  const batchMs: number[] = [];
  let pruned = 0;
  const retentionStarted = performance.now();
  for (;;) {
    const t0 = performance.now();
    const deleted = await retention.pruneChangeEvents(7, RETENTION_BATCH);
    batchMs.push(performance.now() - t0);
    pruned += deleted;
    if (deleted < RETENTION_BATCH) {
      break;
    }
  }
  const retentionSeconds = (performance.now() - retentionStarted) / 1000;
  batchMs.sort((a, b) => a - b);
  const p99 = batchMs[Math.min(batchMs.length - 1, Math.floor(batchMs.length * 0.99))] ?? 0;
  process.stdout.write(
    `  retention          ${pruned} outbox rows in ${retentionSeconds.toFixed(1)} s (${(pruned / retentionSeconds).toFixed(0)} rows/s), ${batchMs.length} statements of ${RETENTION_BATCH}: p99 ${p99.toFixed(1)} ms, max ${(batchMs[batchMs.length - 1] ?? 0).toFixed(1)} ms\n`,
  );
  await dataSource.destroy();
  await asAdmin([`DROP DATABASE IF EXISTS ${DB_NAME} WITH (FORCE)`]);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench/history failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
