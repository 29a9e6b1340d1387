import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { type Browser, chromium, type Page } from 'playwright-core';
import { GapDetector } from '../../src/reconcile/gap-detector';
import { SMALL_SIZES, startPipeline, type Pipeline } from '../support/pipeline-harness';
import { ScratchDatabase } from '../support/scratch-database';

const TOKEN = 'console-operator-token-for-tests';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Set to a directory (e.g. docs) to keep screenshots of the console. */
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS_DIR;
const AFTER_GRACE = (): Date => new Date(Date.now() + 3_600_000);
const FAMILIES = ['contracts', 'idvs', 'opportunities', 'entities', 'grants', 'forecasts'] as const;

async function waitForRows(db: Pipeline['db'], table: string, rows: number): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 200) {
    const { rows: found } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    if ((found[0]?.n ?? 0) >= rows) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${table} never reached ${rows} rows`);
}

/**
 * The operator console in a real browser (Debian's chromium through playwright-core) against the worker and the
 * simulator: every family on the page, a dropped delivery as a gap that a sweep clears, and actions refused
 * without the operator token.
 */
describe('operator console (headless Chromium)', () => {
  let pipeline: Pipeline;
  let closeDatabase: () => Promise<void>;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const database = await ScratchDatabase.migrated('console');
    closeDatabase = database.close;
    pipeline = await startPipeline(
      {
        sizes: SMALL_SIZES,
        seed: 17,
        webhooks: { retryBaseDelaySeconds: 0, maxAttemptsNetwork: 2, maxAttempts4xx: 1, maxAttempts5xx: 2 },
      },
      {
        CONSOLE_TOKEN: TOKEN,
        CONSOLE_SAMPLE_INTERVAL_MS: '1000',
        // A narrowed family, so the page shows what the mirror does not hold and why.
        TANGO_SHAPE_EXCLUDE: 'grants:synopsis',
      },
      {},
      database.scratch.url,
    );
    // Some traffic first, so the page has something to show: a few changes in every family, delivered and fetched.
    for (const family of FAMILIES) {
      pipeline.sim.control
        .ids(family)
        .slice(0, 2)
        .forEach((id) => pipeline.sim.control.modifyRecord(family, id));
    }
    await pipeline.sim.control.flush();
    await waitForRows(pipeline.db, 'contracts', 2);
    await pipeline.app.app.get(GapDetector).pollAlerts(AFTER_GRACE());
    // Playwright starts it on a fresh, temporary profile of its own (a new --user-data-dir each launch).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 90_000);

  afterAll(async () => {
    await browser.close();
    await pipeline.close();
    await closeDatabase();
  });

  async function load(): Promise<void> {
    await page.goto(`${pipeline.app.baseUrl}/console`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
  }

  async function familyStatuses(): Promise<Record<string, string>> {
    const rows = page.locator('#families tbody tr[data-family]');
    const statuses: Record<string, string> = {};
    for (const row of await rows.all()) {
      statuses[(await row.getAttribute('data-family')) ?? ''] =
        (await row.locator('.badge').textContent()) ?? '';
    }
    return statuses;
  }

  it('loads with every family, its charts and lists, and nothing secret', async () => {
    await load();
    expect(Object.keys(await familyStatuses()).sort()).toEqual([
      'contracts',
      'entities',
      'forecasts',
      'grants',
      'idvs',
      'notices',
      'opportunities',
      'otas',
      'otidvs',
    ]);
    expect(await page.locator('[data-testid="overall-status"]').textContent()).toMatch(
      /^(ok|degraded|failing)$/,
    );
    expect(await page.locator('[data-testid="charts"] .uplot').count()).toBe(4);
    expect(await page.locator('#summary').textContent()).toMatch(
      /Tango APIlive (4\.25\.1|unknown) · contract 4\.25\.1/,
    );
    expect(await page.locator('[data-testid="token-state"]').textContent()).toBe(
      'read-only: enter the operator token to act',
    );
    expect(await page.locator('[data-testid="redrive"]').isDisabled()).toBe(true);
    expect(await page.locator('[data-testid="drift"]').textContent()).toMatch(
      /grants: mirrors \d+ of \d+ paths; not mirrored: synopsis \(narrowed\)/,
    );
    const html = await page.content();
    expect(html).not.toContain(TOKEN);
    expect(html).not.toContain('sim-key');
    expect(html).not.toContain('pipeline-secret');
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({ path: join(SCREENSHOTS, 'console-overview.png'), fullPage: true });
    }
  });

  it('shows a dropped delivery as a gap on its family, and clears it with a sweep (token required)', async () => {
    const { sim, app } = pipeline;
    const endpoint = sim.control.endpoints()[0];
    if (endpoint === undefined) {
      throw new Error('no endpoint registered');
    }
    const url = endpoint.callback_url;
    endpoint.callback_url = 'http://127.0.0.1:9/unreachable';
    sim.control
      .ids('contracts')
      .slice(0, 3)
      .forEach((id) => sim.control.modifyRecord('contracts', id));
    await sim.control.flush();
    endpoint.callback_url = url;
    expect((await app.app.get(GapDetector).pollAlerts(AFTER_GRACE())).gapsOpened).toBe(1);

    await load();
    const gapRows = page.locator('#gaps tbody tr[data-gap]');
    expect(await gapRows.count()).toBe(1);
    expect(await gapRows.first().textContent()).toContain('alert_match_count');
    expect((await familyStatuses()).contracts).toBe('degraded');
    const gapId = (await gapRows.first().getAttribute('data-gap')) ?? '';
    expect(await page.locator(`[data-testid="sweep-${gapId}"]`).isDisabled()).toBe(true);

    // Refused without the token, whatever the page shows.
    const refused = await page.evaluate(async (id) => {
      const answer = await fetch(`/console/api/gaps/${id}/sweep`, { method: 'POST' });
      return answer.status;
    }, gapId);
    expect(refused).toBe(401);
    if (SCREENSHOTS !== undefined) {
      await page.screenshot({ path: join(SCREENSHOTS, 'console-gap.png'), fullPage: true });
    }

    await page.fill('[data-testid="token-input"]', TOKEN);
    await page.click('#token-form button[type="submit"]');
    await page.waitForSelector(`[data-testid="sweep-${gapId}"]:not([disabled])`);
    await page.click(`[data-testid="sweep-${gapId}"]`);
    await page.locator('[data-testid="message"]', { hasText: 'swept and closed' }).waitFor();
    await page.waitForSelector('#gaps tbody tr.empty');
    expect(await page.locator('#gaps tbody').textContent()).toContain('no open gaps');
  });

  it('redrives with the token and is refused without it', async () => {
    const withoutToken = await page.evaluate(async () => {
      const answer = await fetch('/console/api/redrive', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return { status: answer.status, body: (await answer.json()) as { error: { code: string } } };
    });
    expect(withoutToken).toEqual({
      status: 401,
      body: { error: { code: 'AUTH.TOKEN_REQUIRED', message: expect.any(String) as string } },
    });
    // The token entered in the previous test is kept for this tab only.
    await load();
    await page.waitForSelector('[data-testid="redrive"]:not([disabled])');
    await page.click('[data-testid="redrive"]');
    await page
      .locator('[data-testid="message"]', { hasText: /^Redrive: \d+ record\(s\) back in the fetch outbox$/ })
      .waitFor();
    const wrongToken = await page.evaluate(async () => {
      const answer = await fetch('/console/api/redrive', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-the-token' },
        body: '{}',
      });
      return answer.status;
    });
    expect(wrongToken).toBe(401);
  });

  it('reads on a phone-sized screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    await phone.goto(`${pipeline.app.baseUrl}/console`);
    await phone.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    // The page itself never scrolls sideways (wide tables scroll inside their own box).
    const overflow = Number(await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow).toBeLessThanOrEqual(1);
    if (SCREENSHOTS !== undefined) {
      await phone.screenshot({ path: join(SCREENSHOTS, 'console-phone.png'), fullPage: false });
    }
    await phone.close();
  });
});
