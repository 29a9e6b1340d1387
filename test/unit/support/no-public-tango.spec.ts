import dns from 'node:dns';
import { request } from 'undici';
import { NO_TANGO, isPublicTangoHost, refuseTangoLookups } from '../../support/no-public-tango';
import { testConfig } from '../../support/test-config';

describe('tests never reach the real Tango', () => {
  beforeAll(() => {
    refuseTangoLookups();
  });

  it("names Tango's public host and its domain, nothing else", () => {
    expect(isPublicTangoHost('tango.makegov.com')).toBe(true);
    expect(isPublicTangoHost('TANGO.makegov.com.')).toBe(true);
    expect(isPublicTangoHost('makegov.com')).toBe(true);
    expect(isPublicTangoHost('127.0.0.1')).toBe(false);
    expect(isPublicTangoHost('notmakegov.com')).toBe(false);
  });

  it('fails a lookup of the public host at once, through dns, fetch and undici', async () => {
    const refused = {
      code: 'ENOTFOUND',
      message: expect.stringContaining("never resolve Tango's public host"),
    };
    await expect(dns.promises.lookup('tango.makegov.com')).rejects.toMatchObject(refused);
    await expect(
      new Promise((resolve, reject) => {
        dns.lookup('tango.makegov.com', (error, address) => {
          if (error) {
            reject(error);
          } else {
            resolve(address);
          }
        });
      }),
    ).rejects.toMatchObject(refused);
    await expect(fetch('https://tango.makegov.com/api/')).rejects.toMatchObject({
      cause: refused,
    });
    await expect(request('https://tango.makegov.com/api/')).rejects.toMatchObject(refused);
  });

  it('still resolves other names', async () => {
    await expect(dns.promises.lookup('localhost')).resolves.toMatchObject({ address: expect.any(String) });
  });

  it("gives a test worker's configuration a closed loopback port as Tango, unless the test names one", () => {
    process.env.TEST_DATABASE_URL ??= 'postgres://u:p@127.0.0.1:1/x_test';
    process.env.TEST_KAFKA_BROKERS ??= '127.0.0.1:1';
    expect(testConfig().tango.baseUrl).toBe(NO_TANGO);
    expect(testConfig({ TANGO_BASE_URL: 'http://127.0.0.1:4010' }).tango.baseUrl).toBe(
      'http://127.0.0.1:4010',
    );
  });
});
