/**
 * /docs in a real browser (Debian's chromium driven by playwright-core), on the app in demo mode
 * as `npm start` runs it: the page loads with no console errors at 1280 px, shows both contracts'
 * operations, and its "try it" places a lab order with nothing typed in: the server, the demo
 * token, a fresh Idempotency-Key and the demo's body are all there.
 * Without chromium the test is skipped, unless REQUIRE_BROWSER=1 (CI) makes that a failure.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { ARTIFACTS, launchBrowser } from '../helpers/browser.js';
import { inBrowser } from '../helpers/skip.js';

/** The two boxes side by side on one line, not on top of each other. */
async function sideBySide(left: Locator, right: Locator): Promise<void> {
  const a = await left.boundingBox();
  const b = await right.boundingBox();
  expect(a).not.toBeNull();
  expect(b).not.toBeNull();
  expect(a!.x + a!.width).toBeLessThanOrEqual(b!.x);
  // Vertically on the same row.
  expect(a!.y).toBeLessThan(b!.y + b!.height);
  expect(b!.y).toBeLessThan(a!.y + a!.height);
}

inBrowser.describe('/docs in a browser (demo mode)', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp({ demo: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it(
    'at 1280 px: both contracts, the demo token in the auth box, and "try it" places an order (201) as is',
    { timeout: 120_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`${t.baseUrl}/docs`, { waitUntil: 'networkidle' });

      const body = page.locator('body');
      await expect
        .poll(() => body.innerText(), { timeout: 15_000 })
        .toContain('Create a Junction lab panel order');
      // The server snippets use, and the token the reference is signed in with.
      // The server box renders after the operation list: wait for it too.
      await expect.poll(() => body.innerText(), { timeout: 15_000 }).toContain(t.baseUrl);
      const tokenInput = page.getByPlaceholder('Token').first();
      expect((await tokenInput.inputValue()).split('.')).toHaveLength(3);
      await sideBySide(page.locator('label', { hasText: 'Bearer Token' }).first(), tokenInput);
      await page.getByText('Workspace lab visits', { exact: true }).first().click();
      await expect
        .poll(() => body.innerText(), { timeout: 15_000 })
        .toContain('Create a lab visit for a client with tests, pricing, coupon and referral');

      // Open the operation's request client and send it as it comes.
      await page.getByText('Create a Junction lab panel order for a patient').first().click();
      await page
        .getByRole('button', { name: /Test Request/i })
        .first()
        .click();
      const client = page.locator('[role=dialog]').first();
      await expect.poll(() => client.innerText(), { timeout: 15_000 }).toContain('idempotency-key');
      const ordersBefore = t.sim.orders().length;
      await client.getByRole('button', { name: /^Send/ }).first().click();

      await expect.poll(() => client.innerText(), { timeout: 15_000 }).toContain('201 Created');
      expect(await client.innerText()).toContain('"junction_order_id"');
      expect(t.sim.orders().length).toBe(ordersBefore + 1);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'docs-try-it.png') });
      expect(problems).toEqual([]);
    },
  );

  it('cannot be framed by a page of another site (clickjacking)', { timeout: 120_000 }, async () => {
    // Another site's page (another origin: its own port) that frames /docs, and, to show that
    // framing works here at all, /openapi.json (a document with no frame policy).
    const framer = http.createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><title>framer</title>` +
          `<iframe name="json" src="${t.baseUrl}/openapi.json"></iframe>` +
          `<iframe name="docs" src="${t.baseUrl}/docs"></iframe>`,
      );
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(`http://127.0.0.1:${(framer.address() as AddressInfo).port}/`, { waitUntil: 'load' });
      const json = page.frame({ name: 'json' })!;
      await expect.poll(() => json.content(), { timeout: 30_000 }).toContain('"openapi"');
      // Chromium refuses the reference's document and shows its error page in its place.
      const docs = page.frame({ name: 'docs' })!;
      await expect.poll(() => docs.url(), { timeout: 30_000 }).toMatch(/^chrome-error:/);
      expect(await docs.content().catch(() => '')).not.toContain('API reference');
    } finally {
      await page.close();
      framer.close();
    }
  });

  it(
    'says it is loading until the reference has loaded, which then replaces the message',
    { timeout: 120_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // Hold the reference's script back: what does the page show meanwhile?
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route('**/docs/js/scalar.js', async (route) => {
        await held;
        await route.continue();
      });
      await page.goto(`${t.baseUrl}/docs`, { waitUntil: 'commit' });
      const loading = page.getByRole('status').filter({ hasText: 'Loading the API reference…' });
      await loading.waitFor();
      expect(await page.title()).toBe('labline API reference');
      release();
      await expect
        .poll(() => page.locator('body').innerText(), { timeout: 30_000 })
        .toContain('Create a Junction lab panel order');
      expect(await loading.count()).toBe(0);
      await page.close();
    },
  );
});
