/**
 * bench/history: what the event-sourced history costs and what retention does.
 *
 * On a scratch database it mirrors `--records` simulator contracts and modifies each `--versions - 1` times through
 * the real MirrorRepository (history rows written in the same statement), then prints: upsert records/s, history
 * rows and bytes per version against the raw JSON, the same rows stored with other compression settings (pglz,
 * lz4 without the low TOAST target) for comparison, and the outbox's size. Then it marks the outbox published and
 * old and runs the retention deletes, printing rows/s and the slowest batch statement (what a concurrent ingest
 * statement could wait behind). The scratch database is dropped at the end.
 *
 *   npm run bench:history [-- --records 20000 --versions 5 --batch 100 --retention-batch 1000]
 *   npm run bench:history -- --small     # 300 contracts x 3 versions (test/e2e/benchmarks.e2e-spec.ts)
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { type DataSource } from 'typeorm';
import { type JsonRecord } from '../../src/common/json';
import { HISTORY_FULL_EVERY, MirrorRepository, type Provenance } from '../../src/mirror/mirror.repository';
import { RetentionRepository } from '../../src/retention/retention.repository';
import { Dataset } from '../../simulator/dataset/store';
import { datasetSizesSchema } from '../../simulator/options';
import { migrateDatabase, scratchDatabase } from '../support/stack';

const { values: args } = parseArgs({
  options: {
    /** 300 contracts x 3 versions: a few seconds (what test/e2e/benchmarks.e2e-spec.ts runs). */
    small: { type: 'boolean', default: false },
    records: { type: 'string' },
    versions: { type: 'string' },
    batch: { type: 'string', default: '100' },
    'retention-batch': { type: 'string', default: '1000' },
  },
});

const RECORDS = Number(args.records ?? (args.small ? '300' : '20000'));
const VERSIONS = Number(args.versions ?? (args.small ? '3' : '5'));
const BATCH = Number(args.batch);
const RETENTION_BATCH = Number(args['retention-batch']);

const provenance: Provenance = {
  deliveryIds: ['bench'],
  eventTypes: ['alerts.contract.match'],
  alertIds: ['bench-alert'],
  reasons: ['modified'],
};

async function scalar(dataSource: DataSource, sql: string): Promise<number> {
  const [row] = await dataSource.query<{ value: string | number | null }[]>(sql);
  return Number(row?.value ?? 0);
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function contractIds(dataset: Dataset): string[] {
  const ids: string[] = [];
  for (let index = 0; index < RECORDS; index += 1) {
    const record = dataset.served('contracts', index);
    if (typeof record?.key === 'string') {
      ids.push(record.key);
    }
  }
  return ids;
}

/** Mirrors every contract, then modifies each VERSIONS - 1 times (a real change each time); returns records/s. */
async function writeVersions(
  mirror: MirrorRepository,
  dataset: Dataset,
  ids: readonly string[],
): Promise<{ written: number; seconds: number }> {
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
  return { written, seconds: (performance.now() - started) / 1000 };
}

interface StorageFigures {
  readonly versions: number;
  readonly rawJson: number;
  readonly historyBytes: number;
  readonly outboxBytes: number;
  readonly mirrorBytes: number;
  readonly fullBytes: number;
  readonly patchJson: number;
  readonly split:
    | { full_rows: string; full_bytes: string; patch_rows: string; patch_bytes: string; fields: string }
    | undefined;
}

/** The same versions stored as whole records (what history would cost without patches), for comparison. */
async function wholeRecordBytes(dataSource: DataSource): Promise<number> {
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
  return scalar(dataSource, `SELECT pg_total_relation_size('bench_full_records') AS value`);
}

async function storageFigures(dataSource: DataSource): Promise<StorageFigures> {
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
  const fullBytes = await wholeRecordBytes(dataSource);
  const patchJson = await scalar(
    dataSource,
    'SELECT sum(octet_length(patch::text)) AS value FROM record_history_contracts',
  );
  const [split] = await dataSource.query<NonNullable<StorageFigures['split']>[]>(
    `SELECT count(*) FILTER (WHERE is_full) AS full_rows,
            COALESCE(avg(pg_column_size(patch)) FILTER (WHERE is_full), 0)::int AS full_bytes,
            count(*) FILTER (WHERE NOT is_full) AS patch_rows,
            COALESCE(avg(pg_column_size(patch)) FILTER (WHERE NOT is_full), 0)::int AS patch_bytes,
            COALESCE(avg(cardinality(changed_fields)) FILTER (WHERE NOT is_full), 0)::numeric(6, 1) AS fields
       FROM record_history_contracts`,
  );
  return { versions, rawJson, historyBytes, outboxBytes, mirrorBytes, fullBytes, patchJson, split };
}

/** contracts_as_of(now) over the whole family, and one record's timeline (mean of 200 probes). */
async function readTimes(
  dataSource: DataSource,
  ids: readonly string[],
): Promise<{ asOfRows: number; asOfSeconds: number; timelineMs: number }> {
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
  return { asOfRows, asOfSeconds, timelineMs: (performance.now() - timelineStarted) / probes };
}

function printHistory(
  upserts: { written: number; seconds: number },
  storage: StorageFigures,
  reads: { asOfRows: number; asOfSeconds: number; timelineMs: number },
): void {
  const { written, seconds } = upserts;
  const { versions, rawJson, historyBytes, fullBytes, split } = storage;
  print(`history: ${RECORDS} contracts x ${VERSIONS} fetches (each a real change)`);
  print(
    `  upserts            ${written} records in ${seconds.toFixed(1)} s = ${(written / seconds).toFixed(0)} records/s (mirror + outbox + history, one statement per slice)`,
  );
  print(`  history rows       ${versions} versions`);
  print(`  raw JSON           ${mb(rawJson)} (${(rawJson / versions).toFixed(0)} B/version)`);
  print(
    `  record_history     ${mb(historyBytes)} with indexes (${(historyBytes / versions).toFixed(0)} B/version; patches, a whole record every ${HISTORY_FULL_EVERY} versions; patch JSON ${mb(storage.patchJson)})`,
  );
  print(
    `    as whole records ${mb(fullBytes)} with indexes (${(fullBytes / versions).toFixed(0)} B/version, lz4): patches are ${(fullBytes / historyBytes).toFixed(1)}x smaller`,
  );
  print(
    `    stored patch     ${split?.full_rows ?? 0} whole records of ${split?.full_bytes ?? 0} B, ${split?.patch_rows ?? 0} patches of ${split?.patch_bytes ?? 0} B (${split?.fields ?? 0} changed fields each)`,
  );
  print(
    `  contracts_as_of(now) ${reads.asOfRows} records in ${reads.asOfSeconds.toFixed(2)} s; one record's timeline ${reads.timelineMs.toFixed(2)} ms`,
  );
  print(`  change_events      ${mb(storage.outboxBytes)} (the outbox before retention)`);
  print(`  contracts mirror   ${mb(storage.mirrorBytes)}`);
}

/** Retention: the whole outbox is published and a month old; deletes it in RETENTION_BATCH statements. */
async function runRetention(dataSource: DataSource): Promise<void> {
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
  print(
    `  retention          ${pruned} outbox rows in ${retentionSeconds.toFixed(1)} s (${(pruned / retentionSeconds).toFixed(0)} rows/s), ${batchMs.length} statements of ${RETENTION_BATCH}: p99 ${p99.toFixed(1)} ms, max ${(batchMs[batchMs.length - 1] ?? 0).toFixed(1)} ms`,
  );
}

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const database = await scratchDatabase('history');
  try {
    const dataSource = await migrateDatabase(database.url, 4, 600_000);
    try {
      const dataset = new Dataset(7, datasetSizesSchema.parse({ contracts: RECORDS }), '2026-08-14');
      const ids = contractIds(dataset);
      const upserts = await writeVersions(new MirrorRepository(dataSource), dataset, ids);
      const storage = await storageFigures(dataSource);
      printHistory(upserts, storage, await readTimes(dataSource, ids));
      await runRetention(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await database.drop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench/history failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
