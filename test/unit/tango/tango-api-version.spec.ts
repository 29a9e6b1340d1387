import { Logger } from '@nestjs/common';
import { parseOperatorConfig } from '../../../src/config/app-config';
import { MetricsService } from '../../../src/metrics/metrics.service';
import { type ApiVersion } from '../../../src/tango-contract/api-version';
import {
  type SeenApiVersion,
  TangoApiVersionStore,
  TangoApiVersionTracker,
} from '../../../src/tango/tango-api-version';

/** A store that keeps what it is asked to record, and can be made to fail. */
class FakeStore extends TangoApiVersionStore {
  readonly writes: string[] = [];
  failing = false;

  recordIfNewer(baseUrl: string, version: ApiVersion): Promise<void> {
    if (this.failing) {
      return Promise.reject(new Error('database is down'));
    }
    this.writes.push(`${baseUrl} ${version.text}`);
    return Promise.resolve();
  }

  newest(): Promise<SeenApiVersion | null> {
    return Promise.resolve(null);
  }
}

describe('TangoApiVersionTracker', () => {
  let store: FakeStore;
  let metrics: MetricsService;
  let tracker: TangoApiVersionTracker;

  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  beforeEach(() => {
    const { config } = parseOperatorConfig({ TANGO_BASE_URL: 'http://127.0.0.1:9/', TANGO_API_KEY: 'k' });
    store = new FakeStore();
    metrics = new MetricsService();
    tracker = new TangoApiVersionTracker(config, store, metrics);
  });

  async function unreadable(): Promise<number> {
    const metric = await metrics.registry
      .getSingleMetric('tango_sync_tango_api_version_unreadable_total')
      ?.get();
    return metric?.values[0]?.value ?? 0;
  }

  it('stores a version once, not on every answer that carries it', async () => {
    await tracker.observe('4.22.0');
    await tracker.observe('4.22.0');
    await tracker.observe(' 4.22.0 ');
    expect(store.writes).toEqual(['http://127.0.0.1:9 4.22.0']);
  });

  it('stores a newer version, and never an older one after it', async () => {
    await tracker.observe('4.22.0');
    await tracker.observe('4.25.1');
    await tracker.observe('4.22.0');
    await tracker.observe('4.9.9');
    expect(store.writes.map((write) => write.split(' ')[1])).toEqual(['4.22.0', '4.25.1']);
  });

  it('counts a missing or malformed header and stores nothing, without throwing', async () => {
    await tracker.observe(undefined);
    await tracker.observe('latest');
    await tracker.observe(['4.22.0', '4.25.1']);
    expect(store.writes).toEqual([]);
    expect(await unreadable()).toBe(3);
  });

  it('does not fail the answer when the store fails, and stores the version on a later answer', async () => {
    store.failing = true;
    await expect(tracker.observe('4.25.1')).resolves.toBeUndefined();
    store.failing = false;
    await tracker.observe('4.25.1');
    expect(store.writes).toEqual(['http://127.0.0.1:9 4.25.1']);
  });
});
