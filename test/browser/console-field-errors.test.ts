/**
 * Error messages for people (issue #29 §5), in Debian's chromium at 1280 and 390 px: what the API
 * refuses in a form shows at the field, in words ("Enter the phone number with its country code"),
 * the field marked invalid and described by them, never the validator's sentence. As staff adding
 * a client and booking a visit. axe-core on every page visited.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('field errors in words', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  it(
    'staff: a client refused for its phone and birth date says so at each field; a typed phone is accepted',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        // The refused client answers 400 on purpose.
        const { page, problems } = await rig.open(width, [400]);
        await rig.signInAs(page, PERSONA.staff, `/w/${WS}/clients`);
        await page.getByLabel('First name').fill('Mary');
        await page.getByLabel('Last name').fill(`Jackson ${width}`);
        await page.getByLabel('Phone (optional)').fill('415 555 0100');
        await page.getByLabel('Date of birth (optional)').fill('2999-01-01');
        await page.getByRole('button', { name: 'Add client' }).click();

        const phone = page.getByLabel('Phone (optional)');
        await expect.poll(() => phone.getAttribute('aria-invalid')).toBe('true');
        const phoneError = page.locator('#c-phone-error');
        expect(await phoneError.textContent()).toBe(
          'Enter the phone number with its country code, e.g. +1 415 555 0100.',
        );
        expect(await phone.getAttribute('aria-describedby')).toContain('c-phone-error');
        const alert = page.getByRole('alert').filter({ hasText: 'needs a change' });
        const said = await alert.innerText();
        expect(said).toContain('Phone: Enter the phone number with its country code');
        expect(said).not.toMatch(/must match|pattern|Invalid body/);
        if ((await page.locator('#c-dob-error').count()) > 0)
          expect(await page.locator('#c-dob-error').textContent()).toMatch(/past/);
        await rig.check(page, 'field-errors-client');

        await phone.fill('+1 415 555 0100');
        await page.getByLabel('Date of birth (optional)').fill('1990-05-01');
        await page.getByRole('button', { name: 'Add client' }).click();
        await page
          .getByRole('status')
          .filter({ hasText: `Added Mary Jackson ${width}` })
          .waitFor();
        expect(await page.locator('#c-phone-error').count()).toBe(0);
        const clients = await rig.t.request('GET', `/v1/workspace/${WS}/clients?limit=200`, {
          token: rig.tokens.staff,
        });
        const mary = clients.body.clients.find(
          (c: { lastName: string }) => c.lastName === `Jackson ${width}`,
        );
        expect(mary.phone).toBe('+14155550100');
        expect(problems).toEqual([]);
      }
    },
  );

  it('staff: booking with a date in the past shows the rule at the date field', LONG, async () => {
    for (const width of WIDTHS) {
      const { page, problems } = await rig.open(width, [400]);
      await rig.signInAs(page, PERSONA.staff, `/w/${WS}/visits/new`);
      await page.getByLabel('Client').selectOption({ index: 1 });
      await page.getByLabel(/CBC/).check();
      await page.getByLabel('Visit date and time').fill('2020-03-02T09:00');
      const dateError = page.locator('#b-date-error');
      await dateError.waitFor();
      expect(await dateError.textContent()).toMatch(/^The date is in the past/);
      expect(await page.getByLabel('Visit date and time').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByRole('button', { name: 'Book visit' }).isDisabled()).toBe(true);
      await rig.check(page, 'field-errors-booking');
      expect(problems).toEqual([]);
    }
  });
  it('owner: a coupon code the API refuses says what a code may hold, at the field', LONG, async () => {
    for (const width of WIDTHS) {
      const { page, problems } = await rig.open(width, [400]);
      await rig.signInAs(page, PERSONA.owner, `/w/${WS}/coupons`);
      await page.getByLabel('Code').fill(`WIN TER ${width}`);
      await page.getByLabel('Percent off (0–100)').fill('10');
      await page.getByRole('button', { name: 'Create coupon' }).click();
      const codeError = page.locator('#k-code-error');
      await codeError.waitFor();
      expect(await codeError.textContent()).toBe('Use letters, digits, - and _ only.');
      expect(await page.getByLabel('Code').getAttribute('aria-invalid')).toBe('true');
      await rig.check(page, 'field-errors-coupon');
      expect(problems).toEqual([]);
    }
  });
});
