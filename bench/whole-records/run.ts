/**
 * bench/whole-records: what whole records cost against the hand-picked shapes tango-sync asked for before (issue 23),
 * and how long re-verifying a large mirror takes.
 *
 * Against the simulator (whole records under Tango's 4.25.1 contract) it reads `--pages` list pages of `--limit`
 * records per family with each shape and prints, per family: paths asked, JSON bytes per record and the median
 * request time, whole against hand-picked. On a scratch database it mirrors the whole records through the real
 * MirrorRepository and prints the storage per mirrored record (the record's stored size, and the table with its
 * indexes and TOAST per row). Last, the cycle time of re-verifying `--reverify-records` records (100 ids a request)
 * at `--reverify-share` of Tango's recorded limits (burst 1,000 a minute, daily 2,000,000) at `--latency-ms` a
 * request, as the worker paces it (see `reverificationCycle`). The scratch database is dropped at the end.
 *
 *   npm run bench:whole-records [-- --pages 5 --limit 100]
 *   npm run bench:whole-records -- --small    # 1 page of 20 per family (test/e2e/benchmarks.e2e-spec.ts)
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Logger } from '@nestjs/common';
import { request } from 'undici';
import { z } from 'zod';
import { type JsonRecord } from '../../src/common/json';
import { FAMILIES, shapeText } from '../../src/common/tango/families';
import {
  DESCRIBED_FAMILIES as RESOURCE_FAMILIES,
  type DescribedFamily as ResourceFamily,
} from '../../src/common/tango/resource-family';
import { MirrorRepository, type Provenance } from '../../src/mirror/mirror.repository';
import {
  cycleEstimateSeconds,
  cycleRequests,
  reverifyRequestsPerRun,
} from '../../src/reconcile/freshness-plan';
import { parseShape } from '../../src/tango-contract/shape-grammar';
import { shapePaths } from '../../src/tango-contract/whole-shape';
import { startSimulator } from '../../simulator';
import { migrateDatabase, percentile, scratchDatabase } from '../support/stack';

const { values: args } = parseArgs({
  options: {
    small: { type: 'boolean', default: false },
    pages: { type: 'string' },
    limit: { type: 'string' },
    'latency-ms': { type: 'string', default: '300' },
    'reverify-records': { type: 'string', default: '1000000' },
    'reverify-share': { type: 'string', default: '0.1' },
    // Tango's limits as the SDK maintainers' recordings show them: burst 1,000 a minute, daily 2,000,000.
    'burst-limit': { type: 'string', default: '1000' },
    'daily-limit': { type: 'string', default: '2000000' },
    'run-interval-seconds': { type: 'string', default: '300' },
    // TANGO_LIVE_BURST_RESERVE_SHARE: the share of each burst window only live fetches may use.
    'live-burst-reserve': { type: 'string', default: '0.05' },
  },
});

const PAGES = Number(args.pages ?? (args.small ? '1' : '5'));
const LIMIT = Number(args.limit ?? (args.small ? '20' : '100'));
const API_KEY = 'bench-whole-records';

/** The hand-written shapes tango-sync asked for before whole records (every name is in Tango's contract). */
const HAND_PICKED_SHAPES: Readonly<Record<ResourceFamily, string>> = {
  contracts:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,base_and_exercised_options_value,' +
    'naics_code,psc_code,solicitation_identifier,award_type(*),set_aside(*),recipient(*),awarding_office(*),' +
    'funding_office(*),place_of_performance(*),period_of_performance(*),parent_award(*),competition(*),' +
    'transactions(*),subawards_summary(*)',
  idvs:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,total_estimated_order_value,' +
    'naics_code,psc_code,solicitation_identifier,idv_type(*),multiple_or_single_award_idv(*),type_of_idc(*),' +
    'set_aside(*),recipient(*),awarding_office(*),funding_office(*),place_of_performance(*),' +
    'period_of_performance(*),parent_award(*),competition(*),transactions(*),subawards_summary(*)',
  otas:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,base_and_exercised_options_value,' +
    'psc_code,consortia,consortia_uei,dod_acquisition_program,non_governmental_dollars,' +
    'non_traditional_government_contractor_participation,parent_award_modification_number,award_type(*),' +
    'extent_competed(*),type_of_ot_agreement(*),recipient(*),awarding_office(*),funding_office(*),' +
    'place_of_performance(*),period_of_performance(*),parent_award(*),transactions(*)',
  otidvs:
    'key,piid,award_date,fiscal_year,description,obligated,total_contract_value,base_and_exercised_options_value,' +
    'psc_code,idv_type,consortia,consortia_uei,dod_acquisition_program,non_governmental_dollars,' +
    'non_traditional_government_contractor_participation,extent_competed(*),type_of_ot_agreement(*),' +
    'recipient(*),awarding_office(*),funding_office(*),place_of_performance(*),period_of_performance(*),' +
    'transactions(*)',
  opportunities:
    'opportunity_id,title,description,solicitation_number,active,award_number,first_notice_date,' +
    'last_notice_date,latest_notice_id,response_deadline,archive_date,naics_code,psc_code,set_aside(*),sam_url,' +
    'office(*),place_of_performance(*),notice_history(*),meta(*)',
  notices:
    'notice_id,opportunity_id,title,description,solicitation_number,active,award_number,posted_date,' +
    'last_updated,response_deadline,naics_code,psc_code,set_aside(*),sam_url,attachment_count,address(*),' +
    'office(*),place_of_performance(*),meta(*),opportunity(*),archive(*),primary_contact(*),secondary_contact(*)',
  entities:
    'uei,legal_business_name,dba_name,display_name,uuid,cage_code,entity_url,email_address,primary_naics,' +
    'psc_codes,congressional_district,registered,registration_status,uei_status,sam_registration_date,' +
    'sam_activation_date,sam_expiration_date,uei_creation_date,last_update_date,exclusion_status_flag,' +
    'business_types(*),sba_business_types(*),naics_codes(*),physical_address(*),mailing_address(*),' +
    'purpose_of_registration(*),entity_structure(*),entity_type(*),highest_owner(*),immediate_owner(*),' +
    'relationships(*),federal_obligations(*)',
  grants:
    'grant_id,opportunity_number,agency_code,organization_id,title,description,applicant_eligibility_description,' +
    'funding_activity_category_description,last_updated,synopsis,forecast,opportunity_history,grantor_contact(*),' +
    'status(*),category(*),cfda_numbers(*),applicant_types(*),funding_categories(*),funding_instruments(*),' +
    'funding_details(*),important_dates(*),additional_info(*)',
  forecasts:
    'id,source_system,external_id,agency,title,description,anticipated_award_date,fiscal_year,naics_code,' +
    'is_active,status,primary_contact,place_of_performance,estimated_period,set_aside,contract_vehicle,' +
    'organization_id,created,modified,raw_data(*),display(*)',
};
const pageSchema = z.looseObject({
  next: z.string().nullable().optional(),
  results: z.array(z.record(z.string(), z.unknown())),
});

interface ShapeFigures {
  readonly paths: number;
  readonly bytesPerRecord: number;
  readonly medianMs: number;
  readonly records: JsonRecord[];
}

/** `PAGES` list pages of the family with one shape: record bytes and request times. */
async function readPages(baseUrl: string, family: ResourceFamily, shape: string): Promise<ShapeFigures> {
  const times: number[] = [];
  const records: JsonRecord[] = [];
  let bytes = 0;
  let url: URL | null = new URL(`/api/${FAMILIES[family].collection}/`, baseUrl);
  url.searchParams.set('shape', shape);
  url.searchParams.set('limit', String(LIMIT));
  for (let page = 1; page <= PAGES && url !== null; page += 1) {
    const started = performance.now();
    const answer = await request(url, { headers: { 'x-api-key': API_KEY } });
    const body = await answer.body.text();
    times.push(performance.now() - started);
    const parsed = pageSchema.parse(JSON.parse(body));
    const results = parsed.results as JsonRecord[];
    url = parsed.next === null || parsed.next === undefined ? null : new URL(parsed.next, baseUrl);
    records.push(...results);
    bytes += results.reduce((sum, record) => sum + Buffer.byteLength(JSON.stringify(record)), 0);
  }
  times.sort((a, b) => a - b);
  return {
    paths: shapePaths(parseShape(shape)).length,
    bytesPerRecord: records.length === 0 ? 0 : Math.round(bytes / records.length),
    medianMs: Math.round(percentile(times, 50) * 10) / 10,
    records,
  };
}

const PROVENANCE: Provenance = { deliveryIds: [], eventTypes: [], alertIds: [], reasons: ['bench'] };

interface Storage {
  /** Average stored size of the record's jsonb (after compression). */
  readonly recordBytes: number;
  /** The table with its indexes and TOAST, per row. */
  readonly rowBytes: number;
}

/** Mirrors the records through the real MirrorRepository and reads the storage they take. */
async function storagePerRecord(
  mirror: MirrorRepository,
  query: (sql: string) => Promise<{ n: string }[]>,
  family: ResourceFamily,
  records: readonly JsonRecord[],
): Promise<Storage> {
  await mirror.upsert(
    family,
    records.map((record) => ({ record, fetchedAt: new Date(), provenance: PROVENANCE })),
  );
  const table = FAMILIES[family].table;
  await query(`VACUUM ANALYZE ${table}`);
  const [record] = await query(`SELECT round(avg(pg_column_size(record)))::text AS n FROM ${table}`);
  const [total] = await query(
    `SELECT (pg_total_relation_size('${table}') / greatest(count(*), 1))::text AS n FROM ${table}`,
  );
  return { recordBytes: Number(record?.n ?? 0), rowBytes: Number(total?.n ?? 0) };
}

/**
 * The cycle of re-verifying `--reverify-records` contracts (100 ids a request) as the worker paces it: each run (every
 * `--run-interval-seconds`) may send its share of the daily quota (the worker's own planning functions), one
 * request at a time at `--latency-ms`, and no more than the burst window less the live reserve allows; the slowest
 * bound is the cycle.
 */
function reverificationCycle(): Record<string, number> {
  const records = Number(args['reverify-records']);
  const share = Number(args['reverify-share']);
  const latencySeconds = Number(args['latency-ms']) / 1000;
  const intervalSeconds = Number(args['run-interval-seconds']);
  const burstPerMinute = Number(args['burst-limit']);
  const counts = [{ family: 'contracts' as const, mirrored: records }];
  const requests = cycleRequests(counts[0] ?? { family: 'contracts', mirrored: 0 });
  const perRun = reverifyRequestsPerRun(Number(args['daily-limit']), share, intervalSeconds, 0);
  const quotaBound = cycleEstimateSeconds(counts, perRun * (86_400 / intervalSeconds)) ?? Number.NaN;
  const latencyBound = Math.ceil(requests * latencySeconds);
  const burstBound = Math.ceil((requests / (burstPerMinute * (1 - Number(args['live-burst-reserve'])))) * 60);
  return {
    records,
    requests,
    requestsPerRun: perRun,
    quotaBoundSeconds: quotaBound,
    latencyBoundSeconds: latencyBound,
    burstBoundSeconds: burstBound,
    cycleSeconds: Math.max(quotaBound, latencyBound, burstBound),
  };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const sizes = Object.fromEntries(RESOURCE_FAMILIES.map((family) => [family, Math.max(PAGES * LIMIT, 50)]));
  const simulator = await startSimulator({ seed: 23, sizes, apiKeys: [API_KEY] });
  const database = await scratchDatabase('whole_records');
  const dataSource = await migrateDatabase(database.url);
  const mirror = new MirrorRepository(dataSource);
  const figures = [];
  try {
    for (const family of RESOURCE_FAMILIES) {
      // A first read warms the simulator's record cache, so neither shape pays for generating the records.
      await readPages(simulator.baseUrl, family, shapeText(FAMILIES[family].shape));
      const handPicked = await readPages(simulator.baseUrl, family, HAND_PICKED_SHAPES[family]);
      const whole = await readPages(simulator.baseUrl, family, shapeText(FAMILIES[family].shape));
      const storage = await storagePerRecord(mirror, (sql) => dataSource.query(sql), family, whole.records);
      const row = {
        family,
        paths: { handPicked: handPicked.paths, whole: whole.paths },
        bytesPerRecord: { handPicked: handPicked.bytesPerRecord, whole: whole.bytesPerRecord },
        medianRequestMs: { handPicked: handPicked.medianMs, whole: whole.medianMs },
        storedBytesPerRecord: storage,
        records: whole.records.length,
      };
      figures.push(row);
      process.stdout.write(
        `${family.padEnd(13)} paths ${String(handPicked.paths).padStart(3)} -> ${String(whole.paths).padStart(3)}` +
          `  bytes/record ${String(handPicked.bytesPerRecord).padStart(5)} -> ${String(whole.bytesPerRecord).padStart(5)}` +
          `  median request ${handPicked.medianMs} ms -> ${whole.medianMs} ms` +
          `  stored record ${storage.recordBytes} B, row with indexes ${storage.rowBytes} B\n`,
      );
    }
  } finally {
    await dataSource.destroy();
    await database.drop();
    await simulator.close();
  }
  const cycle = reverificationCycle();
  process.stdout.write(
    `re-verification of ${cycle.records} contracts: ${cycle.requests} requests, ${cycle.requestsPerRun} a run; ` +
      `bounds: quota ${cycle.quotaBoundSeconds} s, latency ${cycle.latencyBoundSeconds} s, burst ${cycle.burstBoundSeconds} s; ` +
      `cycle ${cycle.cycleSeconds} s (${Math.round((cycle.cycleSeconds ?? 0) / 60)} min)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ pages: PAGES, limit: LIMIT, families: figures, reverification: cycle })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench/whole-records: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
