/**
 * Home (issue #29 §10), in Debian's chromium at 1280 and 390 px: staff land on their workspace
 * with its everyday pages one click away and no talk of scopes they lack; a customer reads a
 * sentence, not a refusal; the platform admin gets pages for workspaces (create, rename) and the
 * catalog tests (add, change a price) instead of links that answer 403. axe-core on every page.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('home for each persona', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  it('staff land on their workspace; a customer reads what the console is for', LONG, async () => {
    for (const width of WIDTHS) {
      const staff = await rig.open(width);
      await rig.signInAs(staff.page, PERSONA.staff);
      await staff.page.getByRole('heading', { level: 2, name: 'Your workspace' }).waitFor();
      const pages = staff.page.getByRole('list', { name: 'Demo Clinic: pages' });
      expect(await pages.getByRole('link', { name: 'Book a visit' }).getAttribute('href')).toBe(
        `#/w/${WS}/visits/new`,
      );
      expect(await staff.page.locator('main').innerText()).not.toMatch(/scope/);
      await rig.check(staff.page, 'home-staff-workspace');
      expect(staff.problems).toEqual([]);

      const customer = await rig.open(width);
      await rig.signInAs(customer.page, PERSONA.customer);
      await customer.page.getByTestId('customer-home').waitFor();
      expect(await customer.page.getByRole('alert').count()).toBe(0);
      await rig.check(customer.page, 'home-customer');
      expect(customer.problems).toEqual([]);
    }
  });

  it(
    'platform admin: creates and renames a workspace, adds a catalog test and changes its price',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.admin);
        await page.getByRole('link', { name: 'Demo Clinic' }).waitFor();
        expect(await page.getByRole('link', { name: 'Demo Clinic' }).getAttribute('href')).toBe(
          `#/admin/workspaces/${WS}`,
        );
        await rig.check(page, 'home-admin');

        await page.getByRole('link', { name: 'Manage workspaces' }).click();
        await page.getByRole('heading', { level: 1, name: 'Workspaces' }).waitFor();
        await page.getByLabel('Name', { exact: true }).fill(`Eastside Clinic ${width}`);
        await page.getByLabel("First owner's user id").fill(DEMO.ownerUserId);
        await page.getByRole('button', { name: 'Create workspace' }).click();
        await page
          .getByRole('status')
          .getByRole('link', { name: `Eastside Clinic ${width}` })
          .click();
        await page.getByRole('heading', { level: 1, name: `Eastside Clinic ${width}` }).waitFor();
        await page.getByLabel('Name', { exact: true }).fill(`Eastside Health ${width}`);
        await page.getByRole('button', { name: 'Save name' }).click();
        await page.getByRole('heading', { level: 1, name: `Eastside Health ${width}` }).waitFor();
        await rig.check(page, 'admin-workspace');

        await page.getByRole('link', { name: 'Catalog tests' }).first().click();
        await page.getByRole('heading', { level: 1, name: 'Catalog tests' }).waitFor();
        const testId = String(700 + (width % 100));
        await page.getByLabel('Test id').fill(testId);
        await page.getByLabel('Title').fill(`Ferritin ${width}`);
        await page.getByLabel('Price (USD)').fill('25');
        await page.getByRole('button', { name: 'Add test' }).click();
        await page.getByRole('button', { name: `Edit Ferritin ${width}` }).click();
        await page.getByLabel('Price (USD)').fill('27.5');
        await page.getByRole('button', { name: 'Save test' }).click();
        await page.getByRole('heading', { level: 2, name: 'New catalog test' }).waitFor();
        const read = await rig.t.request('GET', `/v1/labs/tests/${testId}`, { token: rig.tokens.admin });
        expect(read.body.labTest).toMatchObject({ testTitle: `Ferritin ${width}`, price: 27.5 });
        await rig.check(page, 'admin-catalog');
        expect(problems).toEqual([]);
      }
    },
  );
});
