import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program';
import { contractFileOf } from '../../../src/tango-contract/tango-contract';

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

describe('tango-sync contract diff', () => {
  beforeEach(() => {
    process.exitCode = undefined;
  });

  it('prints what changed between two vendored versions', async () => {
    const result = await run('contract', 'diff', '4.22.0', '4.25.1');
    expect(result).toMatchObject({ code: 0, err: '' });
    const lines = result.out.split('\n');
    expect(lines[0]).toBe('Tango contract 4.22.0 -> 4.25.1');
    expect(lines[1]).toMatch(/^resources added \(16\): agencies_contracts_awarding, /);
    expect(lines).toContain('  + expands: workforce');
  });

  it('prints JSON for scripts, and reads contract files as well as versions', async () => {
    const result = await run('--json', 'contract', 'diff', contractFileOf('4.25.1'), '4.22.0');
    expect(result.code).toBe(0);
    const diff = JSON.parse(result.out) as { from: string; to: string; resources: { removed: string[] } };
    expect(diff).toMatchObject({ from: '4.25.1', to: '4.22.0' });
    expect(diff.resources.removed).toHaveLength(16);
  });

  it('refuses an unknown version or an unreadable file with exit 2, in one line', async () => {
    const unknown = await run('contract', 'diff', '4.22.0', '9.9.9');
    expect(unknown.code).toBe(2);
    expect(unknown.err.split('\n')[0]).toBe(
      'tango-sync contract: cannot read contract "9.9.9": no vendored Tango contract for API 9.9.9 (vendored: 4.22.0, 4.25.1)',
    );
    const missing = await run('contract', 'diff', '/nonexistent/contract.json', '4.22.0');
    expect(missing.code).toBe(2);
    expect(missing.err.split('\n')[0]).toMatch(/^tango-sync contract: cannot read contract "\/nonexistent/);
    const file = join(mkdtempSync(join(tmpdir(), 'contract-cli-')), 'not-a-contract.json');
    writeFileSync(file, JSON.stringify({ meta: { api_version: 1 }, resources: [] }));
    const invalid = await run('contract', 'diff', '4.22.0', file);
    expect(invalid.code).toBe(2);
    expect(invalid.err.trim().split('\n')).toHaveLength(2);
    expect(invalid.err).toMatch(/is not Tango's filter\/shape contract/);
  });
});
