import { ConfigValidationError, parseConfig } from '../../../src/config/app-config';

const minimal = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/tango_sync',
  KAFKA_BROKERS: '127.0.0.1:9092',
  WEBHOOK_SECRETS: 's3cret',
};

function problemsOf(raw: Record<string, string | undefined>): readonly string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return error.problems;
    }
    throw error;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('parseConfig', () => {
  it('fills every default from a minimal environment', () => {
    const config = parseConfig(minimal);
    expect(config.http).toEqual({ host: '127.0.0.1', port: 3000, shutdownTimeoutMs: 15_000 });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafka.topicPrefix).toBe('tango');
    expect(config.tango.baseUrl).toBe('https://tango.makegov.com');
    expect(config.tango.apiKey).toBeUndefined();
    expect(config.tango.maxAttempts).toBe(4);
    expect(config.webhook).toEqual({
      path: '/tango/webhooks',
      secrets: ['s3cret'],
      insecureNoSignature: false,
      maxBodyBytes: 262_144,
      writeConcurrency: 2,
      writeBatchMax: 16,
      maxIdsPerEvent: 1_000,
      maxIdsPerDelivery: 5_000,
    });
    expect(config.db.migrationsRun).toBe(true);
  });

  it('splits comma lists and trims them', () => {
    const config = parseConfig({
      ...minimal,
      KAFKA_BROKERS: ' 127.0.0.1:9092 , 127.0.0.1:9094 ',
      WEBHOOK_SECRETS: 'a, b',
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9094']);
    expect(config.webhook.secrets).toEqual(['a', 'b']);
  });

  it('reads WEBHOOK_SECRETS_FILE and TANGO_API_KEY_FILE (one secret per line), never both a key and its file', () => {
    const files: Record<string, string> = {
      '/run/secrets/webhook': 'new-secret\nold-secret\n',
      '/run/secrets/tango': 'tango-key\n',
      '/run/secrets/empty': '\n',
    };
    const readFile = (path: string): string => {
      const content = files[path];
      if (content === undefined) {
        throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      }
      return content;
    };
    const { WEBHOOK_SECRETS: _secrets, ...withoutSecrets } = minimal;
    const config = parseConfig(
      {
        ...withoutSecrets,
        WEBHOOK_SECRETS_FILE: '/run/secrets/webhook',
        TANGO_API_KEY_FILE: '/run/secrets/tango',
      },
      readFile,
    );
    expect(config.webhook.secrets).toEqual(['new-secret', 'old-secret']);
    expect(config.tango.apiKey).toBe('tango-key');

    const problems = (raw: Record<string, string>): readonly string[] => {
      try {
        parseConfig(raw, readFile);
      } catch (error) {
        if (error instanceof ConfigValidationError) {
          return error.problems;
        }
        throw error;
      }
      return [];
    };
    expect(problems({ ...minimal, WEBHOOK_SECRETS_FILE: '/run/secrets/webhook' })).toEqual([
      'WEBHOOK_SECRETS_FILE: set WEBHOOK_SECRETS or WEBHOOK_SECRETS_FILE, not both',
    ]);
    const missing = problems({ ...withoutSecrets, WEBHOOK_SECRETS_FILE: '/run/secrets/nope' });
    expect(missing).toContain('WEBHOOK_SECRETS_FILE: cannot read /run/secrets/nope (ENOENT)');
    expect(problems({ ...withoutSecrets, WEBHOOK_SECRETS_FILE: '/run/secrets/empty' })).toContain(
      'WEBHOOK_SECRETS_FILE: /run/secrets/empty is empty',
    );
    // A problem never shows a secret.
    expect(
      problems({ ...minimal, TANGO_API_KEY: 'x', TANGO_API_KEY_FILE: '/run/secrets/tango' }).join(' '),
    ).not.toMatch(/tango-key/);
  });

  it('reports every bad key in one error', () => {
    const problems = problemsOf({
      DATABASE_URL: 'mysql://nope',
      KAFKA_BROKERS: 'no-port',
      HTTP_PORT: 'eighty',
      FETCHER_ENABLED: 'maybe',
    });
    const keys = problems.map((problem) => problem.split(':')[0]);
    expect(keys).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'KAFKA_BROKERS.0', 'HTTP_PORT', 'FETCHER_ENABLED']),
    );
    expect(problems).toHaveLength(4);
  });

  it('names missing required keys as required', () => {
    const problems = problemsOf({});
    expect(problems).toEqual(expect.arrayContaining(['DATABASE_URL: required', 'KAFKA_BROKERS: required']));
  });

  it('derives the ingest write concurrency from the pool and refuses one that would take the whole pool', () => {
    expect(parseConfig({ ...minimal, DATABASE_POOL_SIZE: '4' }).webhook.writeConcurrency).toBe(2);
    expect(parseConfig({ ...minimal, DATABASE_POOL_SIZE: '3' }).webhook.writeConcurrency).toBe(1);
    expect(parseConfig({ ...minimal, DATABASE_POOL_SIZE: '1' }).webhook.writeConcurrency).toBe(1);
    expect(parseConfig({ ...minimal, WEBHOOK_WRITE_CONCURRENCY: '6' }).webhook.writeConcurrency).toBe(6);
    expect(problemsOf({ ...minimal, DATABASE_POOL_SIZE: '4', WEBHOOK_WRITE_CONCURRENCY: '4' })).toEqual([
      expect.stringMatching(/^WEBHOOK_WRITE_CONCURRENCY: must be below DATABASE_POOL_SIZE/),
    ]);
  });

  it('treats empty values as unset, so defaults apply', () => {
    expect(parseConfig({ ...minimal, HTTP_PORT: '' }).http.port).toBe(3000);
  });

  it('refuses to run without a webhook secret unless the insecure flag is set', () => {
    expect(problemsOf({ ...minimal, WEBHOOK_SECRETS: undefined })).toEqual([
      expect.stringMatching(/^WEBHOOK_SECRETS: required/),
    ]);
    const insecure = parseConfig({
      ...minimal,
      WEBHOOK_SECRETS: undefined,
      WEBHOOK_INSECURE_NO_SIGNATURE: 'true',
    });
    expect(insecure.webhook.insecureNoSignature).toBe(true);
    expect(insecure.webhook.secrets).toEqual([]);
  });

  it('rejects a backoff base above its cap', () => {
    expect(problemsOf({ ...minimal, TANGO_BACKOFF_BASE_MS: '20000' })).toEqual([
      'TANGO_BACKOFF_BASE_MS: must not exceed TANGO_BACKOFF_MAX_MS',
    ]);
  });

  it('drops a trailing slash from the Tango base URL', () => {
    expect(parseConfig({ ...minimal, TANGO_BASE_URL: 'http://127.0.0.1:8080/' }).tango.baseUrl).toBe(
      'http://127.0.0.1:8080',
    );
  });

  it('puts the messages of all problems into the error text', () => {
    expect(() => parseConfig({ ...minimal, HTTP_PORT: '-1', LOG_LEVEL: 'loud' })).toThrow(
      /^(?=[\s\S]*2 problem\(s\))(?=[\s\S]*- HTTP_PORT: )(?=[\s\S]*- LOG_LEVEL: )/,
    );
  });
});
