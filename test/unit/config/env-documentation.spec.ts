import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { envKeys } from '../../../src/config/env.schema';

const root = join(__dirname, '..', '..', '..');

/** Services in docker-compose.yml that run this repository's image. */
function ourComposeServices(): Record<string, { environment?: Record<string, unknown> | string[] }> {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, { build?: unknown; environment?: Record<string, unknown> | string[] }>;
  };
  return Object.fromEntries(
    Object.entries(compose.services).filter(([, service]) => service.build !== undefined),
  );
}

function environmentKeys(environment: Record<string, unknown> | string[] | undefined): string[] {
  if (environment === undefined) {
    return [];
  }
  if (Array.isArray(environment)) {
    return environment.map((entry) => entry.split('=')[0] ?? '');
  }
  return Object.keys(environment);
}

describe('configuration documentation', () => {
  it('.env.example lists exactly the variables the schema knows', () => {
    const documented = readFileSync(join(root, '.env.example'), 'utf8')
      .split('\n')
      .map((line) => /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1])
      .filter((key): key is string => key !== undefined);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...envKeys].sort());
  });

  it("the README's configuration table lists exactly the variables the schema knows", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Tests'));
    const documented = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` +\|/gm)].map((match) => match[1]);
    expect([...documented].sort()).toEqual([...envKeys].sort());
  });

  it('docker-compose.yml sets only variables the schema knows, for every service built from this repo', () => {
    const services = ourComposeServices();
    expect(Object.keys(services)).toContain('worker');
    const known = new Set<string>(envKeys);
    const unknown = Object.entries(services).flatMap(([name, service]) =>
      environmentKeys(service.environment)
        .filter((key) => !known.has(key))
        .map((key) => `${name}.${key}`),
    );
    expect(unknown).toEqual([]);
    const worker = services.worker;
    expect(environmentKeys(worker?.environment)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'KAFKA_BROKERS', 'WEBHOOK_SECRETS']),
    );
  });
});
