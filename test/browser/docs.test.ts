/**
 * /docs in a real browser (Debian's chromium driven by playwright-core): the page loads with no
 * console errors, shows both contracts' operations, and its "try it" client places a lab order.
 * Without chromium the test is skipped, unless REQUIRE_BROWSER=1 (CI) makes that a failure.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = fs.existsSync(CHROMIUM);
if (!available && process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);
const ARTIFACTS = path.resolve('test-artifacts');

describe.skipIf(!available)('/docs in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestApp();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('loads without console errors, lists both contracts, and its "try it" places an order (201)', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.goto(`${t.baseUrl}/docs`, { waitUntil: 'networkidle' });

    await expect.poll(() => page.locator('body').innerText(), { timeout: 15_000 }).toContain('Create a Junction lab panel order');
    expect(await page.locator('body').innerText()).toContain('/v1/lab-orders');
    await page.getByText('Workspace lab visits', { exact: true }).first().click();
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 15_000 })
      .toContain('Create a lab visit for a client with tests, pricing, coupon and referral');

    // Authenticate in the reference, open the operation's request client, add the key, send.
    const token = await t.token({ sub: 'docs-reader', scope: 'lab-orders:write lab-orders:read' });
    await page.getByPlaceholder('Token').first().fill(token);
    await page.getByText('Create a Junction lab panel order for a patient').first().click();
    await page.getByRole('button', { name: /Test Request/i }).first().click();
    const client = page.locator('[role=dialog]').first();
    const keyRow = client.locator('tr#idempotency-key');
    await keyRow.locator('[contenteditable][aria-label=" Value"]').fill('docs-try-it-1');
    const include = keyRow.getByRole('checkbox');
    if (!(await include.isChecked())) await include.check({ force: true });
    const ordersBefore = t.sim.orders().length;
    await client.getByRole('button', { name: /^Send/ }).first().click();

    await expect.poll(() => client.innerText(), { timeout: 15_000 }).toContain('201 Created');
    expect(await client.innerText()).toContain('"junction_order_id"');
    expect(t.sim.orders().length).toBe(ordersBefore + 1);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs-try-it.png') });
    expect(problems).toEqual([]);
  });
});
