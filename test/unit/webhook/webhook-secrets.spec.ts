import { WebhookSecrets } from '../../../src/webhook/webhook-secrets';

describe('webhook secrets from a file that changes while the worker runs', () => {
  function fixture(initial: string) {
    const clock = { now: 0 };
    const file = { content: initial, version: 1, reads: 0, broken: false };
    const secrets = new WebhookSecrets(
      initial.split('\n').filter(Boolean),
      '/run/secrets/webhook',
      () => clock.now,
      () => {
        file.reads += 1;
        if (file.broken) {
          throw new Error('EACCES');
        }
        return file.content;
      },
      () => String(file.version),
    );
    return { clock, file, secrets };
  }

  it('reads the file again after a mismatch only when it changed, however soon', () => {
    const { file, secrets } = fixture('old\n');
    expect(secrets.reloadAfterMismatch()).toBe(false);
    expect(file.reads).toBe(0);
    file.content = 'new\nold\n';
    file.version = 2;
    expect(secrets.reloadAfterMismatch()).toBe(true);
    expect(secrets.current()).toEqual(['new', 'old']);
    expect(secrets.reloadAfterMismatch()).toBe(false);
    expect(file.reads).toBe(1);
  });

  it('drops a removed secret within 30 s without a mismatch, and keeps what it has when the file is unreadable or empty', () => {
    const { clock, file, secrets } = fixture('new\nold\n');
    file.content = 'new\n';
    clock.now = 29_999;
    expect(secrets.current()).toEqual(['new', 'old']);
    clock.now = 30_000;
    expect(secrets.current()).toEqual(['new']);
    file.broken = true;
    file.version = 3;
    expect(secrets.reloadAfterMismatch()).toBe(false);
    expect(secrets.current()).toEqual(['new']);
    file.broken = false;
    file.content = '\n\n';
    file.version = 4;
    expect(secrets.reloadAfterMismatch()).toBe(false);
    expect(secrets.current()).toEqual(['new']);
  });

  it('never reads anything when the secrets came from WEBHOOK_SECRETS', () => {
    const secrets = new WebhookSecrets(
      ['s'],
      undefined,
      () => 1e9,
      () => {
        throw new Error('must not read');
      },
      () => {
        throw new Error('must not stat');
      },
    );
    expect(secrets.reloadAfterMismatch()).toBe(false);
    expect(secrets.current()).toEqual(['s']);
  });
});
