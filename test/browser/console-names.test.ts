/**
 * Names where names belong (issue #29 §1), in Debian's chromium at 1280 and 390 px: the clinical
 * operator's order list names each patient (the id as secondary text) and an order's heading is
 * its patient and panel; the owner's webhook endpoint is headed by its URL; a workspace the
 * platform admin may not work in is headed by its name. axe-core on every page visited.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('the console leads with names', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  it(
    'clinical operator: the order list and an order page name the patient, with the ids as secondary text',
    LONG,
    async () => {
      const order = await rig.placeOrder({
        panel_id: 'pcos',
        patient: {
          first_name: 'Grace',
          last_name: 'Hopper',
          dob: '1976-12-09',
          email: 'grace@example.com',
          gender: 'female',
          phone_number: '+15555550101',
        },
      });
      for (const width of WIDTHS) {
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.clinical, '/orders');
        const list = page.getByRole('region', { name: 'Lab orders' });
        const row = list.locator('tr', { hasText: order.patient_id });
        await row.getByRole('link', { name: 'Grace Hopper' }).waitFor();
        expect(await row.innerText()).toContain('PCOS panel');
        await rig.check(page, `names-orders`);

        await row.getByRole('link', { name: 'Grace Hopper' }).click();
        await page.getByRole('heading', { level: 1, name: 'Grace Hopper, PCOS panel' }).waitFor();
        expect(await page.getByTestId('title-secondary').textContent()).toBe(`Lab order ${order.id}`);
        await rig.check(page, `names-order`);
        expect(problems).toEqual([]);
      }
    },
  );

  it(
    'owner: a webhook endpoint is headed by its URL; platform admin: a workspace it may not work in is headed by its name',
    LONG,
    async () => {
      const created = await rig.t.request('POST', `/v1/workspace/${WS}/webhook-endpoints`, {
        token: rig.tokens.owner,
        body: { url: 'http://127.0.0.1:9/labline', description: 'Front desk system' },
      });
      expect(created.status, created.text).toBe(201);
      const endpointId = created.body.webhookEndpoint.id as string;
      for (const width of WIDTHS) {
        const owner = await rig.open(width);
        await rig.signInAs(owner.page, PERSONA.owner, `/w/${WS}/webhooks/${endpointId}`);
        await owner.page.getByRole('heading', { level: 1, name: 'http://127.0.0.1:9/labline' }).waitFor();
        expect(await owner.page.getByTestId('title-secondary').textContent()).toBe(
          `Webhook endpoint ${endpointId}, Front desk system`,
        );
        await rig.check(owner.page, 'names-webhook');
        expect(owner.problems).toEqual([]);

        // The admin is no member: the workspace's members answer 403 (on purpose).
        const admin = await rig.open(width, [403]);
        await rig.signInAs(admin.page, PERSONA.admin, `/w/${WS}/visits`);
        await admin.page.getByRole('heading', { level: 1, name: 'Demo Clinic' }).waitFor();
        expect(await admin.page.getByTestId('title-secondary').textContent()).toBe(`Workspace ${WS}`);
        await admin.page.getByRole('alert').filter({ hasText: 'Not allowed' }).waitFor();
        await rig.check(admin.page, 'names-workspace-admin');
        expect(admin.problems).toEqual([]);
      }
      expect(DEMO.workspaceId).toBe(WS);
    },
  );
});
