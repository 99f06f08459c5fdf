/**
 * Narrow screens (issue #29 §6), in Debian's chromium at 390 px: lists become stacked cards, so
 * the column that matters is on screen without scrolling sideways: an order's status, a result's
 * flag, an API key's state and Revoke, a member's actions, a delivery's status. As the persona who
 * reads each list. axe-core on every page visited (and at 1280 px the same pages stay tables).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WS, type ConsoleRig } from './console-kit.js';

/** Every cell of the page's card lists lies within the window; how many cells there are. */
async function cellsOnScreen(page: Page): Promise<number> {
  const width = page.viewportSize()!.width;
  const cells = page.locator('.table-wrap.cards td');
  const count = await cells.count();
  for (let i = 0; i < count; i++) {
    const box = await cells.nth(i).boundingBox();
    expect(box, `cell ${i}`).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width, `cell ${i} ends beyond ${width} px`).toBeLessThanOrEqual(width + 0.5);
  }
  return count;
}

/** The element is within the window's width (no sideways scrolling needed to reach it). */
async function reachable(page: Page, locator: ReturnType<Page['locator']>): Promise<void> {
  const box = await locator.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.x + box!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
}

inBrowser.describe('lists on a narrow screen', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  it(
    'clinical operator at 390 px: orders and API keys are cards with status, state and Revoke on screen',
    LONG,
    async () => {
      await rig.placeOrder();
      const made = await rig.t.request('POST', '/v1/api-keys', {
        token: rig.tokens.clinical,
        body: { name: 'narrow backend', scopes: ['lab-orders:read'], brand_ids: [DEMO.brandId] },
      });
      expect(made.status, made.text).toBe(201);
      const { page, problems } = await rig.open(390);
      await rig.signInAs(page, PERSONA.clinical, '/orders');
      const orders = page.getByRole('region', { name: 'Lab orders' });
      await orders.locator('tbody tr').first().waitFor();
      expect(await cellsOnScreen(page)).toBeGreaterThan(0);
      await reachable(page, orders.locator('td[data-label="Status"]').first());
      await rig.check(page, 'narrow-orders');

      await rig.go(page, '/api-keys');
      const row = page
        .getByRole('region', { name: 'API keys', exact: true })
        .locator('tr', { hasText: 'narrow backend' });
      await row.waitFor();
      await cellsOnScreen(page);
      await reachable(page, row.getByRole('button', { name: /^Revoke/ }));
      await reachable(page, row.locator('td', { hasText: 'active' }));
      await rig.check(page, 'narrow-api-keys');

      // At 1280 px the same list is a table.
      const wide = await rig.open(1280);
      await rig.signInAs(wide.page, PERSONA.clinical, '/orders');
      await wide.page.getByRole('region', { name: 'Lab orders' }).locator('tbody tr').first().waitFor();
      expect(
        await wide.page.evaluate(
          "getComputedStyle(document.querySelector('.table-wrap.cards table')).display",
        ),
      ).toBe('table');
      expect([...problems, ...wide.problems]).toEqual([]);
    },
  );

  it(
    "owner at 390 px: results' flags, members' actions and the visits are cards on screen",
    LONG,
    async () => {
      const visitId = await rig.bookVisit();
      for (const labVisitStatus of ['scheduled', 'collected']) {
        await rig.t.request('PATCH', `/v1/workspace/${WS}/labs/visits/${visitId}`, {
          token: rig.tokens.owner,
          body: { labVisitStatus },
        });
      }
      const results = await rig.t.request('POST', `/v1/workspace/${WS}/labs/visits/${visitId}/results`, {
        token: rig.tokens.owner,
        body: {
          labTestResults: [
            { testId: 101, value: 13.2, unit: '10^9/L', referenceRange: '4.0-11.0', flag: 'high' },
          ],
        },
      });
      expect(results.status, results.text).toBe(200);
      const { page, problems } = await rig.open(390);
      await rig.signInAs(page, PERSONA.owner, `/w/${WS}/visits/${visitId}`);
      const flag = page.getByTestId('flag-101');
      await flag.waitFor();
      await reachable(page, flag);
      await cellsOnScreen(page);
      await rig.check(page, 'narrow-visit-results');

      await rig.go(page, `/w/${WS}/members`);
      await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
      const members = page.getByRole('region', { name: 'Members' });
      await members.locator('tbody tr').first().waitFor();
      await cellsOnScreen(page);
      await reachable(page, members.getByRole('button').last());
      await rig.check(page, 'narrow-members');

      await rig.go(page, `/w/${WS}/visits`);
      await page.getByRole('region', { name: 'Visits' }).locator('tbody tr').first().waitFor();
      await cellsOnScreen(page);
      await rig.check(page, 'narrow-visits');
      expect(problems).toEqual([]);
    },
  );
});
