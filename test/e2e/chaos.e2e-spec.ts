/**
 * The chaos harness (bench/chaos) in its small configuration: two worker replicas (built from the current sources)
 * behind a round-robin front, on a private Postgres and Kafka, against the simulator with API faults, duplicate and
 * reordered deliveries in both envelopes, a replica SIGKILL, a Kafka freeze and restart, and a Postgres crash.
 * Nothing here touches the shared services (the project's global setup still resets the shared test database).
 * `npm run bench:chaos` runs the full configuration and prints the same figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMALL_PROFILE, formatReport, runChaos, type ChaosReport } from '../../bench/chaos/harness';
import { buildWorkerWithSwc, type WorkerBuild } from '../../bench/chaos/worker-build';

describe('chaos: two replicas through crashes, freezes and restarts (small configuration)', () => {
  let outcome: ChaosReport | undefined;
  let build: WorkerBuild | undefined;
  let logDir: string;

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'tango-sync-chaos-'));
    build = await buildWorkerWithSwc('chaos-e2e');
    outcome = await runChaos({
      ...SMALL_PROFILE,
      workerEntry: build.entry,
      logDir,
      log: (line) => {
        process.stdout.write(`${line}\n`);
      },
    });
    process.stdout.write(`${formatReport(outcome).join('\n')}\n${JSON.stringify(outcome.figures)}\n`);
  }, 420_000);

  /** The run's report (every test fails with the harness's own error when the run itself failed). */
  function run(): ChaosReport {
    if (outcome === undefined) {
      throw new Error('the chaos run did not complete (see the error of beforeAll)');
    }
    return outcome;
  }

  afterAll(() => {
    build?.remove();
    // The replica logs stay when something failed (their paths are in the report printed above).
    if (outcome !== undefined && Object.values(zeros(outcome)).every((value) => value === 0)) {
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  function zeros(result: ChaosReport): Record<string, number> {
    const f = result.figures;
    return {
      lost: f.lost,
      missing: f.missing,
      stale: f.stale,
      duplicate: f.duplicate,
      stuck: f.stuck,
      fiveXxWithPostgresUp: f.fiveXxWithPostgresUp,
      secretsInLogs: f.secretsInLogs,
      kafkaUndelivered: f.kafkaUndelivered,
    };
  }

  it('exercised what it claims: both envelopes, repeats, reordering, every disruption', () => {
    expect(run().deliveries.byEndpoint.alerts).toBeGreaterThan(0);
    expect(run().deliveries.byEndpoint.legacy).toBeGreaterThan(0);
    expect(run().deliveries.repeats).toBeGreaterThan(0);
    expect(run().deliveries.acknowledged).toBeGreaterThan(0);
    expect(run().sender.apiFaultsInjected).toBeGreaterThan(0);
    expect(run().mirror.changedRecords).toBeGreaterThan(0);
    expect(new Set(run().outages.map((outage) => outage.kind))).toEqual(
      new Set(['replica', 'kafka-freeze', 'kafka-restart', 'postgres']),
    );
    expect(run().replicaEvents.filter((event) => event.kind === 'killed')).toHaveLength(SMALL_PROFILE.kills);
  });

  it('acknowledges nothing it did not store (lost = 0)', () => {
    expect(run().lost).toEqual({ count: 0, examples: [] });
  });

  it('mirrors every changed record with the ground truth hash (missing = 0, stale = 0)', () => {
    expect({
      missing: run().mirror.missing,
      stale: run().mirror.stale,
      examples: run().mirror.examples,
    }).toEqual({ missing: 0, stale: 0, examples: [] });
  });

  it('writes no duplicate rows (one change event per record version, one row per delivery)', () => {
    expect({
      changeEventVersions: run().duplicates.changeEventVersions,
      webhookDeliveryRows: run().duplicates.webhookDeliveryRows,
    }).toEqual({ changeEventVersions: 0, webhookDeliveryRows: 0 });
  });

  it('leaves nothing stuck in the outboxes after settling, and every change event reached Kafka', () => {
    expect({
      pendingFetchTargets: run().pending.fetchTargets,
      pendingChangeEvents: run().pending.changeEvents,
      kafkaUndelivered: run().kafka.undelivered,
      examples: run().pending.examples,
    }).toEqual({ pendingFetchTargets: 0, pendingChangeEvents: 0, kafkaUndelivered: 0, examples: [] });
  });

  it('answers no 5xx while Postgres is up', () => {
    expect({
      fiveXxWithPostgresUp: run().answers.fiveXxWithPostgresUp,
      examples: run().answers.fiveXxWithPostgresUpExamples,
    }).toEqual({ fiveXxWithPostgresUp: 0, examples: [] });
  });

  it('logs no secret (webhook secrets, Tango API key, database password)', () => {
    expect(run().secrets.total).toBe(0);
  });
});
