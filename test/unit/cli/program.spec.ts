import { runCli } from '../../../src/cli/program';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
  });
  return { code, out, err };
}

const COMMANDS = [
  ['serve'],
  ['migrate'],
  ['migrate', 'up'],
  ['migrate', 'down'],
  ['migrate', 'status'],
  ['reprocess-deliveries'],
  ['backfill'],
  ['redrive'],
  ['shapes'],
  ['replay-events'],
  ['history'],
  ['retention'],
  ['tango'],
  ['tango', 'endpoints'],
  ['tango', 'endpoints', 'list'],
  ['tango', 'endpoints', 'get'],
  ['tango', 'endpoints', 'create'],
  ['tango', 'endpoints', 'update'],
  ['tango', 'endpoints', 'delete'],
  ['tango', 'alerts'],
  ['tango', 'alerts', 'list'],
  ['tango', 'alerts', 'get'],
  ['tango', 'alerts', 'create'],
  ['tango', 'alerts', 'update'],
  ['tango', 'alerts', 'delete'],
  ['tango', 'event-types'],
  ['tango', 'sample'],
  ['tango', 'test-delivery'],
  ['tango', 'plan'],
  ['tango', 'apply'],
  ['contract'],
  ['contract', 'diff'],
  ['sign'],
  ['simulate'],
  ['verify'],
];

describe('the tango-sync command line', () => {
  const saved = { ...process.env };

  beforeEach(() => {
    // An empty environment: help and usage errors must not need any setting.
    for (const key of Object.keys(process.env)) {
      if (/^(DATABASE|KAFKA|WEBHOOK|TANGO)_/.test(key)) {
        Reflect.deleteProperty(process.env, key);
      }
    }
    process.exitCode = undefined;
  });

  afterAll(() => {
    Object.assign(process.env, saved);
  });

  it('prints the usage with every command and exits 0 on --help', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    for (const [command] of COMMANDS) {
      expect(result.out).toContain(command);
    }
  });

  it.each(COMMANDS)('answers %s --help with no environment at all', async (...command) => {
    const result = await run(...command, '--help');
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toMatch(/^Usage: tango-sync /);
  });

  it('answers an unknown command or option with one line and exit 2', async () => {
    const command = await run('frobnicate');
    expect(command.code).toBe(2);
    expect(command.err.split('\n')[0]).toMatch(/unknown command 'frobnicate'/);
    const option = await run('history', 'contracts', 'K', '--colour');
    expect(option.code).toBe(2);
    expect(option.err.split('\n')[0]).toMatch(/unknown option '--colour'/);
    expect(option.err).not.toMatch(/\n\s+at /);
  });

  it('refuses a bad argument value with exit 2 before reading any setting', async () => {
    const result = await run('history', 'spaceships', 'X');
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown family "spaceships"/);
    const window = await run(
      'replay-events',
      'contracts',
      '--from',
      'yesterday',
      '--to',
      '2026-12-01T00:00:00Z',
    );
    expect(window.code).toBe(2);
    expect(window.err).toMatch(/--from must be an ISO time/);
  });

  it('says which settings a command is missing, in one line, exit 1 (the stack only with --verbose)', async () => {
    const result = await run('history', 'contracts', 'CONT_AWD_X');
    expect(result.code).toBe(1);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toMatch(/^tango-sync history: missing or invalid settings: DATABASE_URL/);
    // A tool never asks for the worker's settings.
    expect(result.err).not.toMatch(/KAFKA_BROKERS|WEBHOOK_SECRETS/);
    const migrate = await run('migrate', 'status');
    expect(migrate.code).toBe(1);
    expect(migrate.err).toMatch(/DATABASE_URL/);
  });

  it('asks a Tango command for the API key only (a database is optional)', async () => {
    const result = await run('tango', 'alerts', 'list');
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'tango-sync tango: missing or invalid settings: TANGO_API_KEY: required (or TANGO_API_KEY_FILE) to call Tango\n',
    );
  });

  it('refuses a bad Tango-side file with every problem in one line, before calling Tango', async () => {
    const missing = await run('tango', 'plan', '-f', '/nonexistent/tango-sync.yaml');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /^tango-sync tango: \/nonexistent\/tango-sync.yaml: 1 problem\(s\): cannot read it \(ENOENT\)\n$/,
    );
    const plan = await run('tango', 'plan');
    expect(plan.code).toBe(2);
    expect(plan.err.split('\n')[0]).toMatch(/required option '-f, --file <path>' not specified/);
  });
});
