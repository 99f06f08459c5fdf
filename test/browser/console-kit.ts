/**
 * What the console's task tests (test/browser/console-*.test.ts) share: the app in demo mode,
 * Debian's chromium (test/helpers/browser.ts), a tab per persona at a width, and the check run on
 * every page visited (no serious or critical axe-core violation, nothing wider than the window, a
 * screenshot in test-artifacts/console/). A tab records its console errors, page errors and
 * requests to other hosts, which each test expects to be none.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { demoTokens, type DemoTokens } from '../../src/demo/banner.js';
import { DEMO, DEMO_LAB_ORDER, DEMO_LAB_VISIT } from '../../src/demo/examples.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { ARTIFACTS, launchBrowser } from '../helpers/browser.js';

export const SHOTS = path.join(ARTIFACTS, 'console');
export const WIDTHS = [1280, 390] as const;
export const WS = DEMO.workspaceId;
export const LONG = { timeout: 240_000 };

/** The demo personas' buttons on the sign-in page. */
export const PERSONA = {
  owner: 'Workspace owner',
  staff: 'Staff',
  customer: 'Customer',
  admin: 'Platform admin',
  clinical: 'Clinical operator',
} as const;

export interface Tab {
  page: Page;
  /** console errors, page errors and requests to other hosts */
  problems: string[];
}

export interface ConsoleRig {
  t: TestApp;
  tokens: DemoTokens;
  browser: Browser;
  /** A new tab (its own sessionStorage) at `width`; `expectedStatuses` are HTTP errors provoked on purpose. */
  open(width: number, expectedStatuses?: number[]): Promise<Tab>;
  /** Opens the console at `route` and signs in with the persona's demo button. */
  signInAs(page: Page, persona: string, route?: string): Promise<void>;
  /** Goes to a console route in the signed-in tab. */
  go(page: Page, route: string): Promise<void>;
  /** The page has loaded; no serious or critical axe violation; not wider than the window; a screenshot. */
  check(page: Page, name: string): Promise<void>;
  /** A lab order placed through the API as the clinical operator (for a new patient unless told). */
  placeOrder(overrides?: Record<string, unknown>): Promise<{ id: string; patient_id: string }>;
  /** A visit booked through the API as the owner; its id. */
  bookVisit(overrides?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleRig(): Promise<ConsoleRig> {
  const t = await startTestApp({ demo: true });
  const tokens = await demoTokens(TEST_JWT_SECRET, t.config.auth.maxTokenLifetimeHours);
  const browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });

  async function open(width: number, expectedStatuses: number[] = []): Promise<Tab> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const expected = new RegExp(`status of (${expectedStatuses.join('|') || 'none'}) `);
    page.on('console', (m) => {
      if (m.type() === 'error' && !expected.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (!r.url().startsWith(`${t.baseUrl}/`) && !/^(data|blob):/.test(r.url()))
        problems.push(`request to ${r.url()}`);
    });
    return { page, problems };
  }

  async function signInAs(page: Page, persona: string, route = '/'): Promise<void> {
    await page.goto(`${t.baseUrl}/console/#${route}`);
    await page.getByRole('button', { name: `Sign in as ${persona}` }).click();
    await page.locator('header .who').getByText('Signed in as').waitFor();
  }

  async function go(page: Page, route: string): Promise<void> {
    await page.evaluate(`location.hash = ${JSON.stringify(route)}`);
  }

  async function settled(page: Page): Promise<void> {
    await page.locator('h1').first().waitFor();
    await expect
      .poll(() =>
        page
          .locator('[role=status]')
          .filter({ hasText: /Loading|Signing in/ })
          .count(),
      )
      .toBe(0);
  }

  async function check(page: Page, name: string): Promise<void> {
    await settled(page);
    const width = page.viewportSize()!.width;
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
    expect(serious, `${name} at ${width} px`).toEqual([]);
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow, `${name} at ${width} px is wider than the window`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }

  async function placeOrder(overrides: Record<string, unknown> = {}) {
    const res = await t.request('POST', '/v1/lab-orders', {
      token: tokens.clinical,
      body: { ...DEMO_LAB_ORDER, patient_id: randomUUID(), ...overrides },
      headers: { 'idempotency-key': randomUUID() },
    });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; patient_id: string };
  }

  async function bookVisit(overrides: Record<string, unknown> = {}) {
    const res = await t.request('POST', `/v1/workspace/${WS}/labs/visits`, {
      token: tokens.owner,
      body: { ...DEMO_LAB_VISIT, labCouponCode: null, ...overrides },
    });
    expect(res.status, res.text).toBe(201);
    return res.body.labVisit.id as string;
  }

  return {
    t,
    tokens,
    browser,
    open,
    signInAs,
    go,
    check,
    placeOrder,
    bookVisit,
    async close() {
      await browser.close();
      await t.close();
    },
  };
}
