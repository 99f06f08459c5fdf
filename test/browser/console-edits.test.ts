/**
 * The everyday edits (issue #29 §2), in Debian's chromium at 1280 and 390 px, each as the persona
 * who does it: staff open a client's page with their visits, book from it, edit the client's
 * details and archive them (asked first); edit and archive a referral; reschedule a visit and edit
 * its notes. The owner changes a coupon's expiry. The API then shows each change. axe-core on every
 * page visited.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('the everyday edits', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  const asStaff = (method: string, url: string, body?: unknown) =>
    rig.t.request(method, url, { token: rig.tokens.staff, ...(body === undefined ? {} : { body }) });

  it(
    "staff: a client's page lists their visits and books for them; their details are edited, then they are archived after a confirmation",
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const made = await asStaff('POST', `/v1/workspace/${WS}/clients`, {
          firstName: 'Dorothy',
          lastName: `Vaughan ${width}`,
        });
        expect(made.status, made.text).toBe(201);
        const client = made.body.client as { id: string };
        const visitId = await rig.bookVisit({ clientId: client.id, referralId: null });
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.staff, `/w/${WS}/clients`);
        await page.getByRole('link', { name: `Dorothy Vaughan ${width}` }).click();
        await page.getByRole('heading', { level: 1, name: `Dorothy Vaughan ${width}` }).waitFor();
        expect(await page.getByTestId('title-secondary').textContent()).toBe(`Client ${client.id}`);
        const visits = page.getByRole('region', { name: `Visits of Dorothy Vaughan ${width}` });
        await visits.getByRole('link').first().waitFor();
        expect(await visits.getByRole('link').first().getAttribute('href')).toBe(
          `#/w/${WS}/visits/${visitId}`,
        );
        await rig.check(page, 'edits-client');

        // Book from their page: the booking form has them chosen.
        await page.getByRole('link', { name: `Book a visit for Dorothy Vaughan ${width}` }).click();
        await page.getByRole('heading', { level: 1, name: 'Book a visit' }).waitFor();
        await expect.poll(() => page.getByLabel('Client').inputValue()).toBe(client.id);
        await page.goBack();

        await page.getByLabel('Phone (optional)').fill('+1 415 555 0199');
        await page.getByLabel('Email (optional)').fill('dorothy@example.com');
        await page.getByRole('button', { name: 'Save details' }).click();
        await page.getByRole('status').filter({ hasText: 'Saved the details' }).waitFor();
        const edited = await asStaff('GET', `/v1/workspace/${WS}/clients/${client.id}`);
        expect(edited.body.client).toMatchObject({ phone: '+14155550199', email: 'dorothy@example.com' });

        await page.getByRole('button', { name: 'Archive client…' }).click();
        const dialog = page.getByRole('dialog', { name: `Archive Dorothy Vaughan ${width}?` });
        await dialog.waitFor();
        await rig.check(page, 'edits-client-archive');
        await dialog.getByRole('button', { name: 'Yes, archive them' }).click();
        await dialog.waitFor({ state: 'detached' });
        await expect.poll(() => page.getByTestId('title-secondary').textContent()).toMatch(/archived/);
        expect(await page.getByRole('link', { name: /^Book a visit for/ }).count()).toBe(0);
        const archived = await asStaff('GET', `/v1/workspace/${WS}/clients/${client.id}`);
        expect(archived.body.client.archivedAt).not.toBeNull();
        expect(problems).toEqual([]);
      }
    },
  );

  it('staff: a referral is renamed, then archived after a confirmation', LONG, async () => {
    for (const width of WIDTHS) {
      const name = `Dr. Mae Jemison ${width}`;
      const made = await asStaff('POST', `/v1/workspace/${WS}/referrals`, { name });
      expect(made.status, made.text).toBe(201);
      const referralId = made.body.referral.id as string;
      const { page, problems } = await rig.open(width);
      await rig.signInAs(page, PERSONA.staff, `/w/${WS}/referrals`);
      const row = (text: string) =>
        page.getByRole('region', { name: 'Referrals' }).locator('tr', { hasText: text });
      await row(name).getByRole('button', { name: 'Edit', exact: true }).click();
      const renamed = `${name} (NASA)`;
      await page.getByLabel('Name (provider or source)').first().fill(renamed);
      await page.getByRole('button', { name: 'Save referral' }).click();
      await page.getByRole('cell', { name: renamed, exact: true }).waitFor();
      await rig.check(page, 'edits-referrals');
      await row(renamed).getByRole('button', { name: 'Archive…' }).click();
      const dialog = page.getByRole('dialog', { name: `Archive the referral ${renamed}?` });
      await dialog.getByRole('button', { name: 'Yes, archive it' }).click();
      await dialog.waitFor({ state: 'detached' });
      await expect.poll(() => page.getByRole('cell', { name: renamed, exact: true }).count()).toBe(0);
      const read = await asStaff('GET', `/v1/workspace/${WS}/referrals/${referralId}`);
      expect(read.body.referral).toMatchObject({ name: renamed });
      expect(read.body.referral.archivedAt).not.toBeNull();
      expect(problems).toEqual([]);
    }
  });

  it('staff: a visit is rescheduled and its notes edited', LONG, async () => {
    for (const width of WIDTHS) {
      const visitId = await rig.bookVisit();
      const { page, problems } = await rig.open(width);
      await rig.signInAs(page, PERSONA.staff, `/w/${WS}/visits/${visitId}`);
      await page.getByRole('heading', { level: 1, name: /^Visit of / }).waitFor();
      await page.getByLabel('Visit date and time').fill('2031-06-15T10:30');
      await page.getByLabel('Notes', { exact: true }).fill(`Fasting; left arm (${width})`);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByTestId('visit-saved').waitFor();
      await rig.check(page, 'edits-visit');
      const read = await asStaff('GET', `/v1/workspace/${WS}/labs/visits/${visitId}`);
      expect(new Date(read.body.labVisit.labVisitDate).getTime()).toBe(
        new Date('2031-06-15T10:30').getTime(),
      );
      expect(read.body.labVisit.labVisitNotes).toBe(`Fasting; left arm (${width})`);
      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('2031');
      expect(problems).toEqual([]);
    }
  });

  it("owner: a coupon's expiry is changed, then removed", LONG, async () => {
    for (const width of WIDTHS) {
      const { page, problems } = await rig.open(width);
      await rig.signInAs(page, PERSONA.owner, `/w/${WS}/coupons`);
      await page.getByRole('button', { name: `Change expiry of ${DEMO.couponCode}` }).click();
      const lastDay = page.getByLabel('Last day', { exact: true });
      await lastDay.fill('2031-12-31');
      await page.getByRole('button', { name: 'Save expiry' }).click();
      await lastDay.waitFor({ state: 'detached' });
      const coupon = async () =>
        (
          await rig.t.request('GET', `/v1/workspace/${WS}/labs/coupons/${DEMO.couponId}`, {
            token: rig.tokens.owner,
          })
        ).body.labCoupon;
      expect(new Date((await coupon()).expiresAt).getTime()).toBe(
        new Date('2031-12-31T23:59:59.999').getTime(),
      );
      await rig.check(page, 'edits-coupons');
      await page.getByRole('button', { name: `Change expiry of ${DEMO.couponCode}` }).click();
      await page.getByRole('button', { name: 'Never expires' }).click();
      await lastDay.waitFor({ state: 'detached' });
      expect((await coupon()).expiresAt).toBeNull();
      expect(problems).toEqual([]);
    }
  });
});
