import {
  ConfigValidationError,
  parseConfig,
  parseConfigGroups,
  parseDatabaseConfig,
  parseSigningSecretSetting,
  parseWebhookSecretsSetting,
} from '../../../src/config/app-config';
import { CONFIG_GROUPS, configGroups, envKeys } from '../../../src/config/env.schema';

const DATABASE_URL = 'postgres://u:p@127.0.0.1:5432/tango_sync';

function problemsOf(parse: () => unknown): readonly string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

/** A file reader that fails the test when called: nothing should open a file. */
const noFileRead = (path: string): string => {
  throw new Error(`read ${path}`);
};

describe('configuration groups', () => {
  it('cover every variable of the schema', () => {
    const read = new Set(CONFIG_GROUPS.flatMap((group) => Object.keys(configGroups[group].in.shape)));
    expect([...read].sort()).toEqual([...envKeys].sort());
  });

  it('parse only the groups asked for: other settings are neither checked nor read from files', () => {
    const raw = {
      DATABASE_URL,
      DATABASE_POOL_SIZE: '4',
      HTTP_PORT: 'eighty',
      TANGO_API_KEY_FILE: '/run/secrets/nope',
    };
    expect(parseConfigGroups(raw, ['db'], noFileRead)).toEqual({
      db: { url: DATABASE_URL, poolSize: 4, statementTimeoutMs: 30_000, migrationsRun: true },
    });
    expect(parseDatabaseConfig(raw).poolSize).toBe(4);
    expect(problemsOf(() => parseConfigGroups(raw, ['db', 'http'], noFileRead))).toEqual([
      expect.stringMatching(/^HTTP_PORT: /),
    ]);
  });

  it('name a setting two groups read once', () => {
    expect(
      problemsOf(() => parseConfigGroups({ DATABASE_URL, DATABASE_POOL_SIZE: '0' }, ['db', 'webhook'])),
    ).toEqual([expect.stringMatching(/^DATABASE_POOL_SIZE: /)]);
  });

  it("check a group's rule only with that group, and only once its settings parsed", () => {
    const raw = { DATABASE_URL, TANGO_BACKOFF_BASE_MS: '20000' };
    expect(parseConfigGroups(raw, ['db']).db.url).toBe(DATABASE_URL);
    expect(problemsOf(() => parseConfigGroups(raw, ['tango']))).toEqual([
      'TANGO_BACKOFF_BASE_MS: must not exceed TANGO_BACKOFF_MAX_MS',
    ]);
    expect(problemsOf(() => parseConfigGroups({ ...raw, TANGO_TIMEOUT_MS: 'soon' }, ['tango']))).toEqual([
      expect.stringMatching(/^TANGO_TIMEOUT_MS: /),
    ]);
  });

  it('give the worker every group, with the same values as each group alone', () => {
    const raw = { DATABASE_URL, KAFKA_BROKERS: '127.0.0.1:9092', WEBHOOK_SECRETS: 's' };
    const config = parseConfig(raw);
    expect(Object.keys(config).sort()).toEqual([...CONFIG_GROUPS].sort());
    expect(parseConfigGroups(raw, ['webhook', 'retention'])).toEqual({
      webhook: config.webhook,
      retention: config.retention,
    });
  });
});

describe('the signing tools settings', () => {
  const files: Record<string, string> = {
    '/run/secrets/webhook': 'one\ntwo, three\n',
    '/run/secrets/empty': '\n',
  };
  const readFile = (path: string): string => {
    const content = files[path];
    if (content === undefined) {
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    }
    return content;
  };

  it('read WEBHOOK_SECRETS, or WEBHOOK_SECRETS_FILE split as the worker splits it, and say which', () => {
    expect(parseWebhookSecretsSetting({ WEBHOOK_SECRETS: ' a , b ,' }, readFile)).toEqual({
      secrets: ['a', 'b'],
      source: 'WEBHOOK_SECRETS',
    });
    expect(parseWebhookSecretsSetting({ WEBHOOK_SECRETS_FILE: '/run/secrets/webhook' }, readFile)).toEqual({
      secrets: ['one', 'two', 'three'],
      source: 'WEBHOOK_SECRETS_FILE',
    });
    expect(parseWebhookSecretsSetting({ WEBHOOK_SECRETS: '' }, readFile)).toBeUndefined();
  });

  it('refuse what the worker refuses: both, an unreadable file, an empty one', () => {
    const problems = (raw: Record<string, string>): readonly string[] =>
      problemsOf(() => parseWebhookSecretsSetting(raw, readFile));
    expect(problems({ WEBHOOK_SECRETS: 'a', WEBHOOK_SECRETS_FILE: '/run/secrets/webhook' })).toEqual([
      'WEBHOOK_SECRETS_FILE: set WEBHOOK_SECRETS or WEBHOOK_SECRETS_FILE, not both',
    ]);
    expect(problems({ WEBHOOK_SECRETS_FILE: '/run/secrets/nope' })).toEqual([
      'WEBHOOK_SECRETS_FILE: cannot read /run/secrets/nope (ENOENT)',
    ]);
    expect(problems({ WEBHOOK_SECRETS_FILE: '/run/secrets/empty' })).toEqual([
      'WEBHOOK_SECRETS_FILE: /run/secrets/empty is empty',
    ]);
  });

  it('trim TANGO_WEBHOOK_SECRET and treat a blank one as unset', () => {
    expect(parseSigningSecretSetting({ TANGO_WEBHOOK_SECRET: ' shh \n' })).toBe('shh');
    expect(parseSigningSecretSetting({ TANGO_WEBHOOK_SECRET: '   ' })).toBeUndefined();
    expect(parseSigningSecretSetting({})).toBeUndefined();
  });
});
