import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  packageRoot,
  readSampleEvents,
  SAMPLE_EVENTS_FILE,
  sampleEventTypes,
} from '../../../src/cli/sample-deliveries';

describe('the sample deliveries fixture', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sample-deliveries-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is found from the package root, wherever the code runs from', () => {
    const root = packageRoot();
    expect(root).toBe(join(__dirname, '..', '..', '..'));
    expect(packageRoot(join(root, 'dist', 'src', 'cli'))).toBe(root);
    expect(readSampleEvents(join(root, SAMPLE_EVENTS_FILE)).alerts.contract?.idField).toBe('key');
    expect(() => packageRoot(dir)).toThrow(/cannot find the tango-sync package root/);
  });

  it('lists the alert types first, then the legacy ones, in file order', () => {
    const types = sampleEventTypes();
    expect(types[0]).toBe('alerts.contract.match');
    expect(types.indexOf('alerts.dibbs_rfp.match')).toBeLessThan(types.indexOf('awards.new_award'));
  });

  it('is checked when read: a missing file, bad JSON or a bad field is an error naming the file', () => {
    expect(() => readSampleEvents(join(dir, 'nope.json'))).toThrow(/nope\.json \(ENOENT\)/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{');
    expect(() => readSampleEvents(bad)).toThrow(/bad\.json \(not JSON\)/);
    mkdirSync(join(dir, 'fixtures'), { recursive: true });
    const wrong = join(dir, 'fixtures', 'wrong.json');
    writeFileSync(
      wrong,
      JSON.stringify({ alerts: { contract: { filters: {}, fresh: [], modified: [] } }, legacy: {} }),
    );
    expect(() => readSampleEvents(wrong)).toThrow(/wrong\.json are invalid: alerts\.contract\.idField: /);
  });
});
