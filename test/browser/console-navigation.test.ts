/**
 * Navigation basics (issue #29 §9), in Debian's chromium at 1280 and 390 px: filters live in the
 * URL (a reload keeps them), the tab title names the page, and a link opened in a new tab of the
 * same browser arrives signed in (the sign-in is asked of the open tab, never put in a URL or in
 * shared storage); signing out there signs out both. As the owner and the clinical operator.
 * axe-core on every page visited.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('navigation basics', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  it(
    'owner: the visit filters are in the URL and survive a reload; the tab title names the page',
    LONG,
    async () => {
      await rig.bookVisit();
      for (const width of WIDTHS) {
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.owner, `/w/${WS}/visits`);
        await page.getByRole('heading', { level: 1, name: 'Visits' }).waitFor();
        await expect.poll(() => page.title()).toBe('Visits · labline console');
        await page.getByLabel('Status').selectOption('pending');
        await expect.poll(() => page.url()).toContain(`#/w/${WS}/visits?status=pending`);
        await page.reload();
        await page.getByRole('heading', { level: 1, name: 'Visits' }).waitFor();
        expect(await page.getByLabel('Status').inputValue()).toBe('pending');
        const rows = page.getByRole('region', { name: 'Visits' }).locator('tbody tr');
        await rows.first().waitFor();
        for (const text of await rows.allInnerTexts()) expect(text).toContain('Pending');
        await rig.check(page, 'navigation-visits-filtered');
        expect(problems).toEqual([]);
      }
    },
  );

  it(
    'clinical operator: a link opened in a new tab arrives signed in; signing out there signs out both tabs',
    LONG,
    async () => {
      const order = await rig.placeOrder();
      for (const width of WIDTHS) {
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.clinical, `/orders?status=received`);
        await page
          .getByRole('region', { name: 'Lab orders' })
          .locator('tr', { hasText: order.patient_id })
          .waitFor();
        expect(await page.getByLabel('Status').inputValue()).toBe('received');

        // The same browser, a new tab, straight to the order: no sign-in page.
        const tab = await page.context().newPage();
        tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        await tab.goto(`${rig.t.baseUrl}/console/#/orders/${order.id}`);
        await tab.getByRole('heading', { level: 1, name: /Hashimoto's panel$/ }).waitFor();
        expect(await tab.getByRole('button', { name: /^Sign in as/ }).count()).toBe(0);
        await expect.poll(() => tab.title()).toMatch(/Hashimoto's panel · labline console$/);
        await rig.check(tab, 'navigation-new-tab-order');
        // The token is in neither tab's URL nor in localStorage.
        expect(tab.url()).not.toMatch(/ey[A-Za-z0-9_-]{10,}/);
        expect(await tab.evaluate('localStorage.length')).toBe(0);

        await tab.getByRole('button', { name: 'Sign out' }).click();
        await tab
          .getByRole('button', { name: /^Sign in as/ })
          .first()
          .waitFor();
        await page
          .getByRole('button', { name: /^Sign in as/ })
          .first()
          .waitFor();
        await page.context().close();
        expect(problems).toEqual([]);
      }
    },
  );
});
