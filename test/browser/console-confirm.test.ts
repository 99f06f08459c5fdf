/**
 * What cannot be undone asks first (issue #29 §3), in Debian's chromium at 1280 and 390 px: each
 * such action opens a modal dialog that names what it will do, with the focus on its safe answer;
 * Escape and the safe answer change nothing; the action happens only on "Yes". As the persona
 * who does each: staff cancel a visit (its coupon use given back), the owner rotates a webhook
 * secret, deletes the endpoint and withdraws an invitation, the clinical operator revokes an API
 * key. axe-core runs with each dialog open.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

/** The focused element's text (the test's own types know no DOM, so it is asked as text). */
const focusedText = (page: Page) =>
  page.evaluate('document.activeElement ? document.activeElement.textContent : null');

inBrowser.describe('confirmations before what cannot be undone', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  const redemptions = async (code: string): Promise<number> => {
    const res = await rig.t.request('GET', `/v1/workspace/${WS}/labs/coupons?limit=200`, {
      token: rig.tokens.owner,
    });
    return res.body.labCoupons.find((c: { code: string }) => c.code === code).redemptions;
  };

  it(
    'staff: "Cancel visit…" asks in a dialog naming the visit and the coupon given back; Escape and "Keep the visit" keep it',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const visitId = await rig.bookVisit({ labCouponCode: DEMO.couponCode });
        const used = await redemptions(DEMO.couponCode);
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.staff, `/w/${WS}/visits/${visitId}`);
        await page.getByRole('heading', { level: 1, name: /^Visit of / }).waitFor();

        const ask = page.getByRole('button', { name: 'Cancel visit…' });
        await ask.click();
        const dialog = page.getByRole('dialog', { name: /^Cancel the visit of .+\?$/ });
        await dialog.waitFor();
        expect(await dialog.innerText()).toContain(`Its use of coupon ${DEMO.couponCode} is given back`);
        expect(await focusedText(page)).toBe('Keep the visit');
        await rig.check(page, 'confirm-cancel-visit');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        // The dialog closes at once; the focus is back on the button with the page's next render.
        await expect.poll(() => focusedText(page)).toBe('Cancel visit…');
        await ask.click();
        await dialog.getByRole('button', { name: 'Keep the visit' }).click();
        await dialog.waitFor({ state: 'detached' });
        expect(await page.getByTestId('visit-status').textContent()).toBe('pending');

        await ask.click();
        await dialog.getByRole('button', { name: 'Yes, cancel the visit' }).click();
        await expect.poll(() => page.getByTestId('visit-status').textContent()).toBe('cancelled');
        expect(await redemptions(DEMO.couponCode)).toBe(used - 1);
        expect(problems).toEqual([]);
      }
    },
  );

  it(
    'owner: rotating a webhook secret and deleting the endpoint each ask first, naming the endpoint; withdrawing an invitation too',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const url = `http://127.0.0.1:9/confirm-${width}`;
        const created = await rig.t.request('POST', `/v1/workspace/${WS}/webhook-endpoints`, {
          token: rig.tokens.owner,
          body: { url },
        });
        expect(created.status, created.text).toBe(201);
        const endpointId = created.body.webhookEndpoint.id as string;
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.owner, `/w/${WS}/webhooks/${endpointId}`);
        await page.getByRole('heading', { level: 1, name: url }).waitFor();

        await page.getByRole('button', { name: 'Rotate secret…' }).click();
        const rotate = page.getByRole('dialog', { name: `Rotate the signing secret of ${url}?` });
        await rotate.waitFor();
        expect(await rotate.innerText()).toContain('keeps signing too for 24 hours');
        expect(await focusedText(page)).toBe('Keep the secret');
        await rig.check(page, 'confirm-rotate-secret');
        await rotate.getByRole('button', { name: 'Keep the secret' }).click();
        expect(await page.getByTestId('webhook-secret').count()).toBe(0);
        await page.getByRole('button', { name: 'Rotate secret…' }).click();
        await rotate.getByRole('button', { name: 'Yes, rotate it' }).click();
        expect(await page.getByTestId('webhook-secret').textContent()).toMatch(/^whsec_/);

        await page.getByRole('button', { name: 'Delete endpoint…' }).click();
        const remove = page.getByRole('dialog', { name: `Delete the webhook endpoint ${url}?` });
        await remove.waitFor();
        await page.keyboard.press('Escape');
        await remove.waitFor({ state: 'detached' });
        await page.getByRole('button', { name: 'Delete endpoint…' }).click();
        await remove.getByRole('button', { name: 'Yes, delete it' }).click();
        await page.getByRole('heading', { level: 1, name: 'Webhook endpoints' }).waitFor();
        const gone = await rig.t.request('GET', `/v1/workspace/${WS}/webhook-endpoints/${endpointId}`, {
          token: rig.tokens.owner,
        });
        expect(gone.status).toBe(404);

        const email = `invited-${width}@clinic.example`;
        const invited = await rig.t.request('POST', `/v1/workspace/${WS}/invitations`, {
          token: rig.tokens.owner,
          body: { email, role: 'staff', permissions: ['labs.run'] },
        });
        expect(invited.status, invited.text).toBe(201);
        await rig.go(page, `/w/${WS}/members`);
        await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
        await page.getByRole('button', { name: `Withdraw ${email}` }).click();
        const withdraw = page.getByRole('dialog', { name: `Withdraw the invitation of ${email}?` });
        await withdraw.waitFor();
        await rig.check(page, 'confirm-withdraw-invitation');
        await withdraw.getByRole('button', { name: 'Yes, withdraw it' }).click();
        await withdraw.waitFor({ state: 'detached' });
        await expect.poll(() => page.getByRole('button', { name: `Withdraw ${email}` }).count()).toBe(0);
        expect(problems).toEqual([]);
      }
    },
  );

  it('clinical operator: revoking an API key asks first, naming the key', LONG, async () => {
    for (const width of WIDTHS) {
      const name = `backend ${width}`;
      const made = await rig.t.request('POST', '/v1/api-keys', {
        token: rig.tokens.clinical,
        body: { name, scopes: ['lab-orders:read'], brand_ids: [DEMO.brandId] },
      });
      expect(made.status, made.text).toBe(201);
      const { page, problems } = await rig.open(width);
      await rig.signInAs(page, PERSONA.clinical, '/api-keys');
      const row = page
        .getByRole('region', { name: 'API keys', exact: true })
        .locator('tr', { hasText: name });
      await row.getByRole('button', { name: /^Revoke/ }).click();
      const dialog = page.getByRole('dialog', { name: `Revoke the API key ${name}?` });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain('refused at once');
      expect(await focusedText(page)).toBe('Keep it');
      await rig.check(page, 'confirm-revoke-key');
      await dialog.getByRole('button', { name: 'Yes, revoke it' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => row.innerText()).toContain('revoked');
      const refused = await rig.t.request('GET', '/v1/me', { token: made.body.api_key.key });
      expect(refused.status).toBe(401);
      expect(problems).toEqual([]);
    }
  });
});
