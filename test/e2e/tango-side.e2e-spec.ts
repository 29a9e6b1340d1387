import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createApp } from '../../src/app.factory';
import { runCli } from '../../src/cli/program';
import { createRootLogger } from '../../src/common/logging/logger';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { requireEnv, testConfig } from '../support/test-config';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let out = '';
  let err = '';
  process.exitCode = undefined;
  const code = await runCli(argv, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  process.exitCode = undefined;
  return { code, out, err };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'tango-sync.yaml');

describe('the Tango side as code (tango plan / apply) against the simulator, from an empty account', () => {
  let sim: RunningSimulator;
  let worker: NestFastifyApplication | undefined;
  let db: Client;
  let dir: string;
  let specFile: string;
  let secretFile: string;
  let port: number;
  const saved = { ...process.env };

  async function startWorker(secrets: Record<string, string>): Promise<void> {
    await worker?.close();
    const config = testConfig({
      RELAY_ENABLED: 'false',
      FETCHER_ENABLED: 'false',
      WEBHOOK_SECRETS: '',
      ...secrets,
    });
    worker = await createApp(config, createRootLogger({ level: 'fatal', format: 'json' }));
    await worker.listen({ host: '127.0.0.1', port });
  }

  function writeSpec(
    edit: (spec: Record<string, unknown> & { alerts: Record<string, unknown>[] }) => void,
  ): void {
    const spec = parseYaml(readFileSync(EXAMPLE, 'utf8')) as Record<string, unknown> & {
      alerts: Record<string, unknown>[];
      endpoint: Record<string, unknown>;
    };
    spec.owner = 'e2e';
    spec.endpoint.callback_url = `http://127.0.0.1:${port}/tango/webhooks`;
    edit(spec);
    writeFileSync(specFile, stringifyYaml(spec));
  }

  async function alertsByName(): Promise<Map<string, { id: string; filters: unknown; frequency: string }>> {
    const listed = await cli('--json', 'tango', 'alerts', 'list');
    expect(listed.code).toBe(0);
    const alerts = JSON.parse(listed.out) as {
      alert_id: string;
      name: string;
      filters: unknown;
      frequency: string;
    }[];
    return new Map(
      alerts.map((alert) => [
        alert.name,
        { id: alert.alert_id, filters: alert.filters, frequency: alert.frequency },
      ]),
    );
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    sim = await startSimulator({ port: 0 });
    db = new Client({ connectionString: requireEnv('TEST_DATABASE_URL') });
    await db.connect();
    dir = mkdtempSync(join(tmpdir(), 'tango-side-'));
    specFile = join(dir, 'tango-sync.yaml');
    secretFile = join(dir, 'webhook-secrets');
    port = await freePort();
    // A worker that does not know the endpoint's secret yet (Tango shows it only when apply creates the endpoint),
    // reading its secrets from a file, as deployments hand them over.
    writeFileSync(secretFile, 'a-secret-from-before\n');
    await startWorker({ WEBHOOK_SECRETS_FILE: secretFile });
    process.env.TANGO_BASE_URL = sim.baseUrl;
    process.env.TANGO_API_KEY = 'sim-key';
    process.env.DATABASE_URL = requireEnv('TEST_DATABASE_URL');
    process.env.LOG_LEVEL = 'fatal';
  });

  afterAll(async () => {
    process.env = saved;
    await worker?.close();
    await db.end();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves what the file does not manage alone, converges, proves delivery, and is idempotent', async () => {
    // Someone else's endpoint and alert in the same account, made with the CLI's own management commands.
    const other = await cli(
      '--json',
      'tango',
      'endpoints',
      'create',
      '--name',
      'hand-made',
      '--callback-url',
      'http://127.0.0.1:9/elsewhere',
    );
    expect(other.code).toBe(0);
    expect(other.err).toMatch(/signing secret \(Tango shows it only now/);
    const otherEndpoint = JSON.parse(other.out) as { id: string; secret: string };
    expect(otherEndpoint.secret).toBe('printed');
    const handMade = await cli(
      '--json',
      'tango',
      'alerts',
      'create',
      '--name',
      'hand-made alert',
      '--query-type',
      'contract',
      '--filter',
      'awarding_agency=9700',
      '--endpoint',
      otherEndpoint.id,
    );
    expect(handMade.code).toBe(0);
    const handMadeId = (JSON.parse(handMade.out) as { alert_id: string }).alert_id;

    writeSpec(() => undefined);
    const plan = await cli('--json', 'tango', 'plan', '-f', specFile);
    expect(plan.code).toBe(0);
    // The simulator's default catalog is the one Tango's SDKs print: no idv, ota or otidv alert types. Those
    // alerts are left out, each with a warning naming how the family is kept fresh instead. The endpoint and eight
    // alerts are created (five families, exclusions, DIBBS RFQs and RFPs).
    const planned = JSON.parse(plan.out) as { catalogWarnings: string[] };
    expect(planned).toMatchObject({
      summary: { create: 9, update: 0, replace: 0, delete: 0, unchanged: 0 },
      unmanaged: { endpoints: 1, alerts: 1 },
    });
    expect(planned.catalogWarnings).toHaveLength(3);
    ['idv', 'ota', 'otidv'].forEach((queryType, index) => {
      expect(planned.catalogWarnings[index]).toContain(
        `query_type ${queryType}): Tango's event-type catalog has no alerts.${queryType}.match, so it is not created; ${queryType}s are kept fresh by the worker's newest-first poll (award_date_gte ordering=-award_date`,
      );
    });
    const text = await cli('tango', 'plan', '-f', specFile);
    expect(text.out.split('\n').filter((line) => line.startsWith('warning: '))).toHaveLength(3);

    // First apply: creates everything; the test delivery reaches the worker, which cannot verify it yet.
    const first = await cli('tango', 'apply', '-f', specFile);
    expect(first.out).toContain('Plan: 9 to create');
    expect(first.out).toMatch(
      /Test delivery: NOT stored: the endpoint answered 401: this worker refused it \(401 WEBHOOK\.SIGNATURE_INVALID: mismatch\); give the worker the endpoint's secret/,
    );
    expect(first.code).toBe(1);
    // The secret is printed once, on stderr, never on stdout.
    const secret = /signing secret[^\n]*\n([0-9a-f]{64})\n/.exec(first.err)?.[1] ?? '';
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(first.out).not.toContain(secret);

    // The operator adds it to the worker's secrets file; the running worker picks it up (no restart).
    writeFileSync(secretFile, `${secret}\na-secret-from-before\n`);
    const second = await cli('tango', 'apply', '-f', specFile);
    expect(second.out).toContain('No changes');
    expect(second.out).toContain('Applied: nothing to change.');
    const stored = /delivered and stored as delivery (\d+)/.exec(second.out);
    expect(stored).not.toBeNull();
    expect(second.code).toBe(0);
    const row = await db.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE id = $1', [
      stored?.[1],
    ]);
    expect(row.rows[0]?.status).toBe('processed');

    // Editing one alert's filters replaces exactly that alert (Tango fixes filters at creation).
    const before = await alertsByName();
    writeSpec((spec) => {
      const grants = spec.alerts.find((alert) => alert.name === 'grants');
      if (grants === undefined) {
        throw new Error('example has no grants alert');
      }
      grants.filters = { posted_date_after: '2020-01-01' };
    });
    const edited = await cli('--json', 'tango', 'plan', '-f', specFile);
    expect(JSON.parse(edited.out)).toMatchObject({
      summary: { create: 0, update: 0, replace: 1, delete: 0, unchanged: 8 },
    });
    const third = await cli('--json', 'tango', 'apply', '-f', specFile, '--no-test-delivery');
    expect(third.code).toBe(0);
    expect(JSON.parse(third.out)).toMatchObject({
      applied: [{ kind: 'alert', action: 'replace', name: 'tango-sync/e2e: grants' }],
    });
    const after = await alertsByName();
    for (const [name, alert] of before) {
      if (name === 'tango-sync/e2e: grants') {
        expect(after.get(name)?.id).not.toBe(alert.id);
        expect(after.get(name)?.filters).toEqual({ posted_date_after: '2020-01-01' });
      } else {
        expect(after.get(name)?.id).toBe(alert.id);
      }
    }

    // A frequency change is a PATCH in place; removing an alert from the file deletes exactly that alert.
    writeSpec((spec) => {
      const grants = spec.alerts.find((alert) => alert.name === 'grants');
      if (grants !== undefined) {
        grants.filters = { posted_date_after: '2020-01-01' };
      }
      const contracts = spec.alerts.find((alert) => alert.name === 'contracts');
      if (contracts !== undefined) {
        contracts.frequency = 'daily';
      }
      spec.alerts = spec.alerts.filter((alert) => alert.name !== 'forecasts');
    });
    const fourth = await cli('--json', 'tango', 'apply', '-f', specFile, '--no-test-delivery');
    expect(fourth.code).toBe(0);
    expect((JSON.parse(fourth.out) as { applied: unknown[] }).applied).toEqual([
      {
        kind: 'alert',
        action: 'delete',
        name: 'tango-sync/e2e: forecasts',
        id: after.get('tango-sync/e2e: forecasts')?.id,
      },
      {
        kind: 'alert',
        action: 'update',
        name: 'tango-sync/e2e: contracts',
        id: after.get('tango-sync/e2e: contracts')?.id,
      },
    ]);
    const last = await alertsByName();
    expect(last.has('tango-sync/e2e: forecasts')).toBe(false);
    expect(last.get('tango-sync/e2e: contracts')).toMatchObject({
      id: after.get('tango-sync/e2e: contracts')?.id,
      frequency: 'daily',
    });
    expect(last.get('hand-made alert')?.id).toBe(handMadeId);
    expect(last.size).toBe(after.size - 1);
    const again = await cli('--json', 'tango', 'apply', '-f', specFile, '--no-test-delivery');
    expect(JSON.parse(again.out)).toMatchObject({ changed: false, applied: [] });
  });

  it('refuses a filter Tango does not have before calling Tango, naming the filters it does have', async () => {
    writeSpec((spec) => {
      spec.alerts = [{ name: 'typo', query_type: 'contract', filters: { awarding_agncy: '9700' } }];
    });
    const requests = (): number =>
      Object.values(sim.control.counters().requestsByRoute).reduce((sum, count) => sum + count, 0);
    const requestsBefore = requests();
    const refused = await cli('tango', 'apply', '-f', specFile);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /"awarding_agncy" is not a filter of contracts in Tango's contract .*did you mean "awarding_agency"/,
    );
    expect(refused.err.trim().split('\n')).toHaveLength(1);
    expect(requests()).toBe(requestsBefore);
  });

  it('lists event types, serves samples, and runs a test delivery on demand', async () => {
    const types = await cli('tango', 'event-types');
    expect(types.code).toBe(0);
    expect(types.out).toMatch(/alerts\.contract\.match/);
    const sample = await cli('--json', 'tango', 'sample', '--event-type', 'alerts.contract.match');
    expect(sample.code).toBe(0);
    expect(JSON.parse(sample.out)).toMatchObject({ event_type: 'alerts.contract.match' });
    const endpoints = JSON.parse((await cli('--json', 'tango', 'endpoints', 'list')).out) as {
      id: string;
      name: string;
    }[];
    const managed = endpoints.find((endpoint) => endpoint.name === 'tango-sync/e2e: webhooks');
    expect(managed).toBeDefined();
    // A new endpoint's secret written where the worker reads its secrets: first line, the older ones kept.
    const before = readFileSync(secretFile, 'utf8').trim().split('\n');
    const another = await cli(
      'tango',
      'endpoints',
      'create',
      '--name',
      'spare',
      '--callback-url',
      'http://127.0.0.1:9/x',
      '--secret-file',
      secretFile,
    );
    expect(another.code).toBe(0);
    expect(another.err).toMatch(/secret was written to .*webhook-secrets \(first line; 2 older kept\)/);
    const after = readFileSync(secretFile, 'utf8').trim().split('\n');
    expect(after.slice(1)).toEqual(before);
    expect(another.out + another.err).not.toContain(after[0] ?? 'x');
    const test = await cli('tango', 'test-delivery', '--endpoint', managed?.id ?? '');
    expect(test.out).toMatch(/delivered and stored as delivery \d+/);
    expect(test.code).toBe(0);
  });
});
