/**
 * The console (/console) in a real browser (Debian's chromium through playwright-core) on the app
 * in demo mode, as `npm start` runs it: each demo persona signs in with one click and does its
 * work through the pages, the API then shows what the pages showed; 401 and 403 answer with the
 * API's message; every page has no serious or critical axe-core violation and fits 1280 px and
 * 390 px; no console errors, no request to any other host. Screenshots of every page at both
 * widths go to test-artifacts/console/.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { demoTokens, labOrderCurl, type DemoTokens } from '../../src/demo/banner.js';
import { DEMO, DEMO_LAB_VISIT } from '../../src/demo/examples.js';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app.js';
import { ARTIFACTS, launchBrowser } from '../helpers/browser.js';
import { startReceiver, verified, type Receiver } from '../helpers/receiver.js';
import { inBrowser } from '../helpers/skip.js';

const run = promisify(execFile);
const SHOTS = path.join(ARTIFACTS, 'console');
const WIDTHS = [1280, 390] as const;
const WS = DEMO.workspaceId;
const LONG = { timeout: 240_000 };

/** A property of the focused element (the test's own types know no DOM, so it is asked as text). */
const focused = (page: Page, property: string) =>
  page.evaluate(`document.activeElement ? document.activeElement.${property} : null`);

interface Watched {
  page: Page;
  /** console errors, page errors and requests to other hosts */
  problems: string[];
  /** every URL the page asked for */
  requests: string[];
}

inBrowser.describe('the console in a browser (demo mode)', () => {
  let t: TestApp;
  let browser: Browser;
  let tokens: DemoTokens;

  beforeAll(async () => {
    t = await startTestApp({ demo: true });
    tokens = await demoTokens(TEST_JWT_SECRET, t.config.auth.maxTokenLifetimeHours);
    browser = await launchBrowser();
    fs.mkdirSync(SHOTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /**
   * A new tab (its own sessionStorage) at `width`. `expectedStatuses`: the HTTP errors this test
   * provokes on purpose, which Chromium reports as console errors.
   */
  async function open(width: number, expectedStatuses: number[] = []): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    const expected = new RegExp(`status of (${expectedStatuses.join('|') || 'none'}) `);
    page.on('console', (m) => {
      if (m.type() === 'error' && !expected.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      requests.push(r.url());
      if (!r.url().startsWith(`${t.baseUrl}/`) && !/^(data|blob):/.test(r.url()))
        problems.push(`request to ${r.url()}`);
    });
    return { page, problems, requests };
  }

  async function signInAs(page: Page, label: string, route = '/'): Promise<void> {
    await page.goto(`${t.baseUrl}/console/#${route}`);
    await page.getByRole('button', { name: `Sign in as ${label}` }).click();
    await page.locator('header .who').getByText('Signed in as').waitFor();
  }

  /** The page has its title and has loaded what it shows. */
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

  /** No serious or critical axe-core violation on the page as it is now; a screenshot of it. */
  async function check(page: Page, name: string): Promise<void> {
    await settled(page);
    const width = page.viewportSize()!.width;
    const { violations } = await new AxeBuilder({ page }).analyze();
    const serious = violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
    expect(serious, `${name} at ${width} px`).toEqual([]);
    // Nothing wider than the window: no sideways scrolling of the page itself.
    const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
    expect(overflow, `${name} at ${width} px is wider than the window`).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }

  /** Clicks a download button and reads the saved JSON file. */
  async function downloadJson(page: Page, button: string): Promise<{ name: string; body: any }> {
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: button }).click(),
    ]);
    return { name: file.suggestedFilename(), body: JSON.parse(fs.readFileSync(await file.path(), 'utf8')) };
  }
  const observations = (bundle: { entry: { resource: { resourceType: string } }[] }) =>
    bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === 'Observation');

  const api = (token: string, url: string) => t.request('GET', url, { token });
  const redemptions = async (code: string): Promise<number> => {
    const res = await api(tokens.owner, `/v1/workspace/${WS}/labs/coupons?limit=200`);
    return res.body.labCoupons.find((c: { code: string }) => c.code === code).redemptions;
  };
  const priceBox = (page: Page, scope = page.locator('body')) => ({
    subtotal: scope.getByTestId('subtotal'),
    discount: scope.getByTestId('discount'),
    total: scope.getByTestId('total'),
  });
  async function expectPrice(page: Page, scope: ReturnType<Page['locator']>, [sub, off, total]: string[]) {
    const box = priceBox(page, scope);
    await expect.poll(() => box.total.textContent().catch(() => null), { timeout: 20_000 }).toBe(total);
    expect(await box.subtotal.textContent()).toBe(sub);
    expect(await box.discount.textContent()).toBe(off);
  }

  it(
    'staff: adds a client, books tests 101 and 205 with WINTER10 at the live price, moves the visit to collected and enters a result; the API shows the same visit',
    LONG,
    async () => {
      // The refused coupon's and the past date's quotes answer 422 and 400 on purpose.
      const { page, problems, requests } = await open(1280, [422, 400]);
      await signInAs(page, 'Staff');
      await check(page, 'home-staff');
      await page.getByRole('link', { name: 'Demo Clinic' }).click();
      await page.getByRole('heading', { name: 'Visits', level: 1 }).waitFor();

      await page.getByRole('link', { name: 'Clients' }).click();
      await page.getByLabel('First name').fill('Katherine');
      await page.getByLabel('Last name').fill('Johnson');
      await page.getByLabel('Email (optional)').fill('katherine@example.com');
      await page.getByRole('button', { name: 'Add client' }).click();
      await page.getByRole('cell', { name: 'Katherine Johnson' }).waitFor();
      await check(page, 'clients');

      const before = await redemptions('WINTER10');
      await page.getByRole('link', { name: 'Book a visit' }).first().click();
      await page.getByLabel('Client').selectOption({ label: 'Katherine Johnson' });
      await page.getByLabel(/CBC/).check();
      await page.getByLabel(/CRP/).check();
      await page.getByLabel('Coupon code (optional)').fill('WINTER10');
      const quote = page.locator('aside.quote');
      await expectPrice(page, quote, ['$100.00', '$10.00', '$90.00']);
      // The live price redeemed nothing.
      expect(await redemptions('WINTER10')).toBe(before);
      await check(page, 'book-visit');

      // A coupon the API refuses: its reason, before booking.
      await page.getByLabel('Coupon code (optional)').fill('NOSUCHCOUPON');
      await quote
        .getByRole('alert')
        .filter({ hasText: 'No coupon "NOSUCHCOUPON" exists in this workspace.' })
        .waitFor();
      const bookButton = page.getByRole('button', { name: 'Book visit' });
      expect(await bookButton.isDisabled(), 'booking waits for a good quote').toBe(true);
      await page.getByLabel('Coupon code (optional)').fill('winter10');
      await expectPrice(page, quote, ['$100.00', '$10.00', '$90.00']);
      // Staff without labs.price_override are not offered the subtotal.
      expect(await page.getByLabel('Subtotal (optional)').count()).toBe(0);
      // A date in the past is flagged, and booked only once staff say the visit already took place.
      const dateField = page.getByLabel('Visit date and time');
      const chosenDate = await dateField.inputValue();
      await dateField.fill('2020-03-02T09:00');
      const tookPlace = page.getByLabel('The visit already took place: record it on this date');
      await tookPlace.waitFor();
      await quote.getByRole('alert').filter({ hasText: 'the date is in the past' }).waitFor();
      expect(await bookButton.isDisabled()).toBe(true);
      await tookPlace.check();
      await expectPrice(page, quote, ['$100.00', '$10.00', '$90.00']);
      expect(await bookButton.isEnabled()).toBe(true);
      await dateField.fill(chosenDate);
      expect(await tookPlace.count()).toBe(0);
      await expectPrice(page, quote, ['$100.00', '$10.00', '$90.00']);

      await page.getByRole('button', { name: 'Book visit' }).click();
      await page.getByRole('heading', { name: /^Visit of Katherine Johnson/ }).waitFor();
      await expectPrice(page, page.locator('main'), ['$100.00', '$10.00', '$90.00']);
      const visitId = /visits\/([0-9a-f]{24})/.exec(page.url())![1]!;
      expect(await redemptions('WINTER10')).toBe(before + 1);
      expect(await page.getByTestId('visit-status').textContent()).toBe('pending');
      // Only the moves the lifecycle allows.
      expect(await page.getByRole('button', { name: 'Mark collected' }).count()).toBe(0);

      await page.getByRole('button', { name: 'Mark scheduled' }).click();
      await expect.poll(() => page.getByTestId('visit-status').textContent()).toBe('scheduled');
      await page.getByRole('button', { name: 'Mark collected' }).click();
      await expect.poll(() => page.getByTestId('visit-status').textContent()).toBe('collected');
      await page.getByLabel('CBC value').fill('5.2');
      await page.getByLabel('CBC unit').fill('10^9/L');
      await page.getByLabel('CBC reference range').fill('4.0-11.0');
      await page.getByLabel('CBC flag').selectOption('normal');
      await page.getByRole('button', { name: 'Save results' }).click();
      await page.getByRole('region', { name: 'Results' }).getByRole('cell', { name: '5.2' }).waitFor();
      await check(page, 'visit');
      // The visit as FHIR: the Bundle the API serves, with the result just entered as an Observation.
      const fhir = await downloadJson(page, 'Download FHIR');
      expect(fhir.name).toBe(`lab-visit-${visitId}.fhir.json`);
      expect(fhir.body.resourceType).toBe('Bundle');
      expect(observations(fhir.body)).toEqual([
        expect.objectContaining({ valueQuantity: expect.objectContaining({ value: 5.2 }) }),
      ]);

      const read = await api(tokens.staff, `/v1/workspace/${WS}/labs/visits/${visitId}`);
      expect(read.status).toBe(200);
      const visit = read.body.labVisit;
      expect(visit).toMatchObject({
        labVisitStatus: 'collected',
        labTestIds: [101, 205],
        labVisitPricing: {
          labVisitSubtotal: 100,
          labCouponCode: 'WINTER10',
          labVisitDiscountAmount: 10,
          labVisitTotal: 90,
        },
      });
      expect(visit.labTestResults).toEqual([
        expect.objectContaining({
          testId: 101,
          value: 5.2,
          unit: '10^9/L',
          referenceRange: '4.0-11.0',
          flag: 'normal',
        }),
      ]);
      const clients = await api(tokens.staff, `/v1/workspace/${WS}/clients?limit=200`);
      expect(clients.body.clients.find((c: { id: string }) => c.id === visit.clientId)).toMatchObject({
        firstName: 'Katherine',
        lastName: 'Johnson',
      });
      expect(await redemptions('WINTER10')).toBe(before + 1);

      // The list finds it by its filters, and the token never was part of a URL.
      await page.getByRole('link', { name: 'Visits', exact: true }).click();
      // The visit's page has a "Status" section too: wait for the list before its filter.
      await page.getByRole('heading', { name: 'Visits', level: 1 }).waitFor();
      await page.getByLabel('Status').selectOption('collected');
      await page.getByLabel('Client').selectOption({ label: 'Katherine Johnson' });
      await expect
        .poll(() => page.getByRole('region', { name: 'Visits' }).locator('tbody tr').count())
        .toBe(1);
      await check(page, 'visits');
      await page.getByLabel('Status').selectOption('cancelled');
      await page.getByText('No visits match these filters.').waitFor();
      for (const url of [...requests, page.url()]) expect(url).not.toContain(tokens.staff.slice(-20));
      expect(problems).toEqual([]);
    },
  );

  it(
    'owner: creates a coupon and a workspace test price, switches the coupon off and on; the next quote uses them',
    LONG,
    async () => {
      const { page, problems } = await open(1280);
      await signInAs(page, 'Workspace owner', `/w/${WS}/coupons`);
      await page.getByRole('heading', { name: 'Coupons', level: 1 }).waitFor();
      await page.getByLabel('Code').fill('SPRING25');
      await page.getByLabel('Percent off (0–100)').fill('25');
      await page.getByRole('button', { name: 'Create coupon' }).click();
      const off = page.getByRole('button', { name: 'Switch SPRING25 off' });
      await off.waitFor();
      await off.click();
      await page.getByRole('button', { name: 'Switch SPRING25 on' }).click();
      await off.waitFor();
      await check(page, 'coupons');

      await page.getByRole('link', { name: 'Test prices' }).click();
      await page.getByLabel('Test', { exact: true }).selectOption('310');
      await page.getByLabel('Workspace title').fill('Lipids (clinic)');
      await page.getByLabel('Workspace price (USD)').fill('50');
      await page.getByRole('button', { name: 'Save price' }).click();
      await page.getByRole('cell', { name: 'Lipids (clinic)' }).waitFor();
      await check(page, 'test-prices');

      await page.getByRole('link', { name: 'Members' }).click();
      // Members are listed by name; the user id is their secondary text.
      await page
        .getByRole('region', { name: 'Members' })
        .getByText(DEMO.staffUserId, { exact: true })
        .waitFor();
      await check(page, 'members');
      await page.getByRole('link', { name: 'Referrals' }).click();
      await page.getByRole('cell', { name: 'Dr. Elizabeth Blackwell' }).waitFor();
      await check(page, 'referrals');

      await page.getByRole('link', { name: 'Book a visit' }).first().click();
      await page.getByLabel('Client').selectOption({ label: 'Grace Hopper' });
      await page.getByLabel(/Lipids \(clinic\)/).check();
      await page.getByLabel('Coupon code (optional)').fill('SPRING25');
      await expectPrice(page, page.locator('aside.quote'), ['$50.00', '$12.50', '$37.50']);
      // A given subtotal replaces the tests' sum.
      await page.getByLabel('Subtotal (optional)').fill('80');
      await expectPrice(page, page.locator('aside.quote'), ['$80.00', '$20.00', '$60.00']);
      expect(problems).toEqual([]);
    },
  );

  it(
    'owner: adds a member, changes their role and permissions, removes them; removing the last owner shows the API’s refusal',
    LONG,
    async () => {
      // Removing the last owner is refused with a 409 on purpose.
      const { page, problems } = await open(1280, [409]);
      const newcomer = '65a0000000000000000000d1';
      const members = () => api(tokens.owner, `/v1/workspace/${WS}/members?limit=200`);
      const memberOf = async (userId: string) =>
        (await members()).body.members.find((m: { userId: string }) => m.userId === userId);
      await signInAs(page, 'Workspace owner', `/w/${WS}/members`);
      await page.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
      const add = page.getByRole('region', { name: 'Add a member' });
      await add.getByLabel(/^User id/).fill(newcomer);
      await add.getByLabel(/^labs\.run/).check();
      await add.getByRole('button', { name: 'Add member' }).click();
      const row = page
        .getByRole('region', { name: 'Members', exact: true })
        .locator('tr', { hasText: newcomer });
      await row.waitFor();
      expect(await row.innerText()).toContain('labs.run');

      await page.getByRole('button', { name: `Change ${newcomer}` }).click();
      const change = page.getByRole('region', { name: `Change member ${newcomer}` });
      // The keyboard is taken to the change (the role field), and to the safe answer of a removal.
      await expect.poll(() => focused(page, 'id')).toBe('c-role');
      await change.getByLabel('Role').selectOption('owner');
      await change.getByRole('button', { name: 'Save member' }).click();
      await expect.poll(() => row.locator('td').nth(1).textContent()).toBe('owner');
      expect(await memberOf(newcomer)).toMatchObject({ role: 'owner' });

      await page.getByRole('button', { name: `Change ${newcomer}` }).click();
      await change.getByLabel('Role').selectOption('staff');
      await change.getByLabel(/^clients\.write/).check();
      await change.getByRole('button', { name: 'Save member' }).click();
      await expect.poll(() => row.locator('td').nth(2).textContent()).toBe('clients.write');
      expect(await memberOf(newcomer)).toMatchObject({ role: 'staff', permissions: ['clients.write'] });

      await page.getByRole('button', { name: `Remove ${newcomer}` }).click();
      await expect.poll(() => focused(page, 'textContent')).toBe('Keep them');
      await page.getByRole('button', { name: 'Yes, remove them' }).click();
      await expect.poll(() => row.count()).toBe(0);
      expect(await memberOf(newcomer)).toBeUndefined();

      // The demo owner is the workspace's only owner: the API refuses, the page says why.
      // Members are shown by the name their token carried (the demo owner's token has one).
      expect(await memberOf(DEMO.ownerUserId)).toMatchObject({ name: 'Olivia Owens' });
      await page.getByRole('button', { name: 'Remove Olivia Owens' }).click();
      await page.getByRole('button', { name: 'Yes, remove them' }).click();
      const refused = page.getByRole('alert').filter({ hasText: 'last owner' });
      await refused.waitFor();
      expect(await refused.textContent()).toContain(
        "This is the workspace's last owner: make another member an owner first.",
      );
      expect(await memberOf(DEMO.ownerUserId)).toMatchObject({ role: 'owner' });
      await check(page, 'members-last-owner');

      // An invitation by email, listed until withdrawn; withdrawing asks first.
      const invite = page.getByRole('region', { name: 'Invite by email' });
      await invite.getByLabel('Email').fill('new.hire@clinic.example');
      await invite.getByRole('button', { name: 'Invite' }).click();
      const waiting = invite.getByRole('list', { name: 'Invitations waiting' });
      await waiting.getByText('new.hire@clinic.example').waitFor();
      await invite.getByRole('button', { name: 'Withdraw new.hire@clinic.example' }).click();
      await invite.getByRole('button', { name: 'Yes, withdraw it' }).click();
      await invite.getByText('No invitation is waiting.').waitFor();
      const left = await api(tokens.owner, `/v1/workspace/${WS}/invitations`);
      expect(left.body.invitations).toEqual([]);
      expect(problems).toEqual([]);
    },
  );

  it(
    'signing out lands on the sign-in page at home: the next persona starts there, not on the last page',
    LONG,
    async () => {
      // The customer's home shows the API's 403 for workspaces: expected.
      const { page, problems } = await open(1280, [403]);
      await signInAs(page, 'Staff', `/w/${WS}/visits`);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in as Customer' }).waitFor();
      expect(new URL(page.url()).hash).toBe('#/');
      await page.getByRole('button', { name: 'Sign in as Customer' }).click();
      await page.locator('header .who').getByText('Signed in as').waitFor();
      await settled(page);
      expect(await page.locator('h1').first().textContent()).toBe('Home');
      expect(new URL(page.url()).hash).toBe('#/');
      expect(problems).toEqual([]);
    },
  );

  it('customer and platform admin: the API’s 403, and no form to submit', LONG, async () => {
    for (const [label, name, message] of [
      ['Customer', 'customer', 'Customers may not use workspace routes.'],
      [
        'Platform admin',
        'admin',
        'Platform admins do not act inside workspaces; use a workspace member token.',
      ],
    ] as const) {
      const { page, problems } = await open(1280, [403]);
      await signInAs(page, label);
      await page.goto(`${t.baseUrl}/console/#/w/${WS}/visits`);
      const refused = page.getByRole('alert').filter({ hasText: 'Not allowed' });
      await refused.waitFor();
      expect(await refused.textContent()).toContain(message);
      expect(await page.locator('main form').count()).toBe(0);
      expect(await page.getByRole('button', { name: /Book|Add|Create|Save/ }).count()).toBe(0);
      await check(page, `forbidden-${name}`);
      expect(problems).toEqual([]);
    }
  });

  it(
    '401: a token the API refuses brings the sign-in back with the API’s message, in any page',
    LONG,
    async () => {
      const { page, problems } = await open(1280, [401]);
      await page.goto(`${t.baseUrl}/console/`);
      await page.getByLabel('Bearer token or API key').fill('not-a-token');
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      const alert = page.getByRole('alert').filter({ hasText: 'Signed out.' });
      await alert.waitFor();
      expect(await alert.textContent()).toMatch(/Signed out\. .+/);
      await check(page, 'sign-in-401');

      // A token that expires while signed in: the next click's call is refused, which ends the
      // session once and brings the sign-in back with the API's message.
      await signInAs(page, 'Staff', `/w/${WS}/clients`);
      await page.getByRole('cell', { name: 'Grace Hopper' }).waitFor();
      await settled(page);
      const expired = await t.token({ sub: DEMO.staffUserId }, -60);
      await page.evaluate(`sessionStorage.setItem('labline.console.token', ${JSON.stringify(expired)})`);
      // The visits page's list is refused late, after the person has signed in again: that
      // answer ends nothing (its token is no longer the signed-in one).
      let release = () => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route(
        (url) => url.pathname.endsWith('/labs/visits'),
        async (route) => {
          if (route.request().headers()['authorization'] === `Bearer ${expired}`) await held;
          await route.continue();
        },
      );
      await page.getByRole('link', { name: 'Visits', exact: true }).click();
      const signedOut = page.getByRole('alert').filter({ hasText: 'Signed out.' });
      await signedOut.waitFor();
      expect(await signedOut.textContent()).toContain('The bearer token has expired.');
      await page.getByRole('button', { name: 'Sign in as Staff' }).click();
      await page.getByRole('heading', { name: 'Visits', level: 1 }).waitFor();
      const late = page.waitForResponse((r) => r.url().includes('/labs/visits?') && r.status() === 401);
      release();
      await late;
      await settled(page);
      await page.getByLabel('Status').waitFor();
      expect(await page.getByRole('button', { name: 'Sign in as Staff' }).count()).toBe(0);
      expect(await page.locator('header .who').textContent()).toContain('Signed in as');
      expect(problems).toEqual([]);
    },
  );

  it(
    'clinical operator: opens an order placed with the printed curl, completes it at the simulated Junction, sees the timeline reach completed, the results and their PDF',
    LONG,
    async () => {
      // The order, placed exactly as the banner tells a new user to.
      const { stdout } = await run('bash', ['-c', labOrderCurl(t.baseUrl)], {
        env: { ...process.env, CLINICAL_TOKEN: tokens.clinical },
      });
      const placed = JSON.parse(stdout);
      expect(placed.status).toBe('received');

      const { page, problems } = await open(1280);
      await signInAs(page, 'Clinical operator');
      await page.getByRole('link', { name: 'Lab orders' }).first().click();
      await page.getByLabel('Status').selectOption('received');
      const row = page
        .getByRole('region', { name: 'Lab orders' })
        .locator('tr', { hasText: placed.patient_id })
        .first();
      await row.waitFor();
      await check(page, 'orders');
      await page.goto(`${t.baseUrl}/console/#/orders/${placed.id}`);
      await expect.poll(() => page.getByTestId('order-status').textContent()).toBe('received');
      // The requisition is offered exactly when the timeline shows Junction made it.
      const timeline = page.getByRole('list', { name: 'Order events, oldest first' });
      const requisition = page.getByRole('region', { name: 'Requisition' });
      const made = (await timeline.innerText()).includes('requisition_created');
      const offer = requisition.getByRole('button', { name: 'Download the requisition PDF' });
      expect(await offer.count()).toBe(made ? 1 : 0);
      if (!made) expect(await requisition.innerText()).toContain('Junction has not made the requisition yet');
      await page.getByRole('button', { name: 'Complete at the simulated Junction (demo)' }).click();
      await expect
        .poll(() => page.getByTestId('order-status').textContent(), { timeout: 30_000 })
        .toBe('completed');
      expect(await timeline.innerText()).toContain('completed');
      expect(await timeline.innerText()).toContain('requisition_created');
      const [form] = await Promise.all([page.waitForEvent('download'), offer.click()]);
      expect(form.suggestedFilename()).toBe(`requisition-${placed.id}.pdf`);
      expect(
        fs
          .readFileSync(await form.path())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
      expect(await timeline.locator('li').count()).toBeGreaterThan(2);
      const results = page.getByRole('region', { name: 'Results' });
      await results.locator('tbody tr').first().waitFor();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download the results PDF' }).click(),
      ]);
      const pdf = fs.readFileSync(await download.path());
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      // The completed order as FHIR: one Observation per marker the results table shows.
      const fhir = await downloadJson(page, 'Download FHIR');
      expect(fhir.name).toBe(`lab-order-${placed.id}.fhir.json`);
      expect(fhir.body.resourceType).toBe('Bundle');
      expect(observations(fhir.body)).toHaveLength(await results.locator('tbody tr').count());
      await check(page, 'order-completed');
      // Completed: nothing to cancel.
      expect(await page.getByRole('button', { name: /Cancel order/ }).count()).toBe(0);

      // Another order, cancelled from the page.
      const second = await run('bash', ['-c', labOrderCurl(t.baseUrl)], {
        env: { ...process.env, CLINICAL_TOKEN: tokens.clinical },
      });
      const other = JSON.parse(second.stdout);
      await page.goto(`${t.baseUrl}/console/#/orders/${other.id}`);
      await page.getByRole('button', { name: 'Cancel order…' }).click();
      await page.getByRole('button', { name: 'Yes, cancel the order' }).click();
      await expect
        .poll(() => page.getByTestId('order-status').textContent(), { timeout: 30_000 })
        .toBe('cancelled');
      expect((await api(tokens.clinical, `/v1/lab-orders/${other.id}`)).body.status).toBe('cancelled');
      // A cancelled order's requisition must not be used: none is offered.
      expect(await requisition.innerText()).toContain(
        'This order has no requisition to use: it is cancelled.',
      );
      expect(await offer.count()).toBe(0);
      expect(problems).toEqual([]);
    },
  );

  /** A visit booked through the API (no coupon): one lab_visit.created event of the workspace. */
  async function bookVisitByApi(): Promise<string> {
    const res = await t.request('POST', `/v1/workspace/${WS}/labs/visits`, {
      token: tokens.owner,
      body: { ...DEMO_LAB_VISIT, labCouponCode: null },
    });
    expect(res.status, res.text).toBe(201);
    return res.body.labVisit.id as string;
  }

  /** The event a receiver got for a visit or an order, verified with `secret`. */
  async function eventFor(receiver: Receiver, secret: string, objectId: string, type: string) {
    const [got] = (
      await receiver.waitFor((all) => all.some((r) => r.body.includes(objectId) && r.body.includes(type)))
    ).filter((r) => r.body.includes(objectId) && r.body.includes(type));
    const event = verified(secret, got!) as { id: string; type: string };
    expect(event.type).toBe(type);
    return event.id;
  }

  /** Refreshes the deliveries log until `row` shows (deliveries are sent by a background job). */
  async function untilLogged(page: Page, row: ReturnType<Page['locator']>): Promise<void> {
    await expect
      .poll(
        async () => {
          if ((await row.count()) > 0) return true;
          await page.getByRole('button', { name: 'Refresh' }).click();
          return false;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
  }

  it(
    'owner: a webhook endpoint at a receiver gets the workspace’s events, signed; the deliveries log shows them; resend, disable and enable, rotate, recover, delete',
    LONG,
    async () => {
      const receiver = await startReceiver();
      try {
        const { page, problems } = await open(1280);
        await signInAs(page, 'Workspace owner', `/w/${WS}/visits`);
        await page.getByRole('link', { name: 'Webhooks' }).click();
        await page.getByRole('heading', { name: 'Webhook endpoints', level: 1 }).waitFor();
        await page.getByText('No webhook endpoints yet.').waitFor();
        await page.getByLabel('URL').fill(`${receiver.url}/hooks`);
        await page.getByLabel('Description (optional)').fill('Front desk system');
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        const secret = (await page.getByTestId('webhook-secret').textContent())!;
        expect(secret).toMatch(/^whsec_/);
        await check(page, 'webhooks');

        // A visit booked: its event reaches the receiver, signed with the secret shown once.
        const visitId = await bookVisitByApi();
        const eventId = await eventFor(receiver, secret, visitId, 'lab_visit.created');
        await page.getByRole('link', { name: `${receiver.url}/hooks` }).click();
        await page.getByRole('heading', { name: `${receiver.url}/hooks`, level: 1 }).waitFor();
        expect(await page.getByTestId('title-secondary').textContent()).toMatch(/^Webhook endpoint ep_/);
        // The secret is never shown again.
        expect(await page.getByTestId('webhook-secret').count()).toBe(0);
        const log = page.getByRole('region', { name: 'Deliveries' });
        const delivered = log.locator('tr', { hasText: eventId }).filter({ hasText: 'succeeded' });
        await untilLogged(page, delivered);
        expect(await delivered.first().innerText()).toContain('HTTP 200');

        // Resend: the same event again, as a new delivery caused by the resend.
        await page.getByRole('button', { name: `Resend lab_visit.created ${eventId}` }).click();
        await receiver.waitFor(() => receiver.withId(eventId).length >= 2);
        await untilLogged(
          page,
          log
            .locator('tr', { hasText: eventId })
            .filter({ hasText: 'resend' })
            .filter({ hasText: 'succeeded' }),
        );

        // Disabled, a visit's event is not sent; enabled again, recover sends it.
        await page.getByRole('button', { name: 'Disable' }).click();
        await expect.poll(() => page.getByTestId('endpoint-state').textContent()).toMatch(/^disabled/);
        const missedVisit = await bookVisitByApi();
        await page.getByRole('button', { name: 'Enable' }).click();
        await expect.poll(() => page.getByTestId('endpoint-state').textContent()).toBe('enabled');
        expect(receiver.received.some((r) => r.body.includes(missedVisit))).toBe(false);

        // Rotate: a new secret, shown once; the previous one keeps signing for a day.
        await page.getByRole('button', { name: 'Rotate secret' }).click();
        await page.getByRole('button', { name: 'Yes, rotate it' }).click();
        const rotated = page.getByTestId('webhook-secret');
        await rotated.waitFor();
        const newSecret = (await rotated.textContent())!;
        expect(newSecret).toMatch(/^whsec_/);
        expect(newSecret).not.toBe(secret);

        await page.getByRole('button', { name: 'Recover' }).click();
        expect(await page.getByTestId('recovered').textContent()).toBe('1 event queued for delivery again.');
        const missedEvent = await eventFor(receiver, newSecret, missedVisit, 'lab_visit.created');
        await eventFor(receiver, secret, missedVisit, 'lab_visit.created');
        await untilLogged(
          page,
          log
            .locator('tr', { hasText: missedEvent })
            .filter({ hasText: 'recover' })
            .filter({ hasText: 'succeeded' }),
        );
        await check(page, 'webhook');

        // Delete: gone from the list and from the API.
        const endpointId = /webhooks\/(ep_[0-9a-f]+)/.exec(page.url())![1]!;
        await page.getByRole('button', { name: 'Delete endpoint…' }).click();
        await page.getByRole('button', { name: 'Yes, delete it' }).click();
        await page.getByText('No webhook endpoints yet.').waitFor();
        const gone = await api(tokens.owner, `/v1/workspace/${WS}/webhook-endpoints/${endpointId}`);
        expect(gone.status).toBe(404);
        expect(problems).toEqual([]);
      } finally {
        await receiver.close();
      }
    },
  );

  it(
    'clinical operator: a brand’s webhook endpoint gets the event of an order placed with the printed curl; the deliveries log shows it',
    LONG,
    async () => {
      const receiver = await startReceiver();
      try {
        const { page, problems } = await open(1280);
        await signInAs(page, 'Clinical operator');
        await page.getByRole('link', { name: 'Webhooks' }).click();
        await page.getByRole('heading', { name: 'Webhook endpoints', level: 1 }).waitFor();
        await page.getByLabel('URL').fill(`${receiver.url}/orders`);
        expect(await page.getByLabel('Brand').inputValue()).toBe(DEMO.brandId);
        await page.getByLabel('lab_order.status_changed').uncheck();
        await page.getByLabel('lab_order.rejected').uncheck();
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        const secret = (await page.getByTestId('webhook-secret').textContent())!;
        const row = page
          .getByRole('region', { name: 'Webhook endpoints' })
          .locator('tr', { hasText: receiver.url });
        expect(await row.innerText()).toContain('lab_order.created');
        await check(page, 'clinical-webhooks');

        const { stdout } = await run('bash', ['-c', labOrderCurl(t.baseUrl)], {
          env: { ...process.env, CLINICAL_TOKEN: tokens.clinical },
        });
        const order = JSON.parse(stdout);
        const eventId = await eventFor(receiver, secret, order.id, 'lab_order.created');
        await row.getByRole('link').click();
        const delivered = page
          .getByRole('region', { name: 'Deliveries' })
          .locator('tr', { hasText: eventId })
          .filter({ hasText: 'succeeded' });
        await untilLogged(page, delivered);
        await check(page, 'clinical-webhook');
        await page.getByRole('button', { name: 'Delete endpoint…' }).click();
        await page.getByRole('button', { name: 'Yes, delete it' }).click();
        await page.getByRole('heading', { name: 'Webhook endpoints', level: 1 }).waitFor();
        expect(problems).toEqual([]);
      } finally {
        await receiver.close();
      }
    },
  );

  it(
    'API keys: the clinical operator creates a key (shown once) that the API accepts, then revokes it and the API refuses it; offered to the platform admin, not to staff',
    LONG,
    async () => {
      const { page, problems } = await open(1280);
      await signInAs(page, 'Clinical operator');
      await page.getByRole('link', { name: 'API keys' }).click();
      await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
      await page.getByLabel('Name').fill('Results importer');
      await page.getByLabel('lab-orders:write').uncheck();
      await page.getByRole('button', { name: 'Create key' }).click();
      const key = (await page.getByTestId('api-key').textContent())!;
      expect(key).toMatch(/^lk_/);
      const me = await api(key, '/v1/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ scopes: ['lab-orders:read'], brand_ids: [DEMO.brandId] });
      const row = page
        .getByRole('region', { name: 'API keys', exact: true })
        .locator('tr', { hasText: 'Results importer' });
      expect(await row.innerText()).toContain('active');
      await check(page, 'api-keys');

      await row.getByRole('button', { name: /^Revoke/ }).click();
      await page.getByRole('button', { name: 'Yes, revoke it' }).click();
      await expect.poll(() => row.innerText()).toContain('revoked');
      expect((await api(key, '/v1/me')).status).toBe(401);
      // The list never shows a key again.
      expect(await page.getByTestId('api-key').count()).toBe(1);
      await page.reload();
      await row.waitFor();
      expect(await page.getByTestId('api-key').count()).toBe(0);
      expect(problems).toEqual([]);

      // Staff may not manage keys: no link, and the page offers nothing.
      const staff = await open(1280);
      await signInAs(staff.page, 'Staff');
      expect(await staff.page.getByRole('link', { name: 'API keys' }).count()).toBe(0);
      await staff.page.goto(`${t.baseUrl}/console/#/api-keys`);
      await staff.page
        .getByText('Only the platform admin or a sign-in with the lab-orders:admin scope')
        .waitFor();
      expect(await staff.page.locator('main form').count()).toBe(0);
      // The platform admin may, for any brand.
      const admin = await open(1280);
      await signInAs(admin.page, 'Platform admin');
      await admin.page.getByRole('link', { name: 'API keys' }).click();
      await admin.page.getByLabel('Brands').waitFor();
      expect([...staff.problems, ...admin.problems]).toEqual([]);
    },
  );

  it('by keyboard alone: signs in and opens a visit', LONG, async () => {
    const { page, problems } = await open(1280);
    await page.goto(`${t.baseUrl}/console/#/w/${WS}/visits`);
    await page.getByRole('button', { name: 'Sign in as Staff' }).waitFor();
    for (let i = 0; i < 20 && (await focused(page, 'textContent')) !== 'Sign in as Staff'; i++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Visits', level: 1 }).waitFor();
    const first = page.getByRole('region', { name: 'Visits' }).getByRole('link').first();
    await first.waitFor();
    const target = await first.getAttribute('href');
    for (let i = 0; i < 40 && (await focused(page, 'getAttribute("href")')) !== target; i++) {
      await page.keyboard.press('Tab');
    }
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Visit of / }).waitFor();
    // The page's title has the focus, so reading starts there.
    expect(await focused(page, 'tagName')).toBe('H1');
    expect(problems).toEqual([]);
  });

  it(
    'every page at 1280 px and 390 px: no serious or critical axe-core violation, nothing wider than the window, a screenshot of each',
    LONG,
    async () => {
      // What the pages show, made here so that the test stands alone: a visit, a completed order,
      // an endpoint on each surface (nothing is sent while they exist), an API key, and a coupon
      // with an expiry and a limit, whose wider table once let a hidden header widen the page.
      const visitId = await bookVisitByApi();
      const { stdout } = await run('bash', ['-c', labOrderCurl(t.baseUrl)], {
        env: { ...process.env, CLINICAL_TOKEN: tokens.clinical },
      });
      const orderId = JSON.parse(stdout).id as string;
      const advanced = await t.request('POST', `/v1/demo/lab-orders/${orderId}/advance`, {
        token: tokens.clinical,
      });
      expect(advanced.status, advanced.text).toBe(200);
      await expect
        .poll(async () => (await api(tokens.clinical, `/v1/lab-orders/${orderId}`)).body.status, {
          timeout: 30_000,
        })
        .toBe('completed');
      const hook = { url: 'http://127.0.0.1:9/hooks', description: 'Layout check' };
      const made = await Promise.all([
        t.request('POST', `/v1/workspace/${WS}/webhook-endpoints`, { token: tokens.owner, body: hook }),
        t.request('POST', '/v1/webhook-endpoints', {
          token: tokens.clinical,
          body: { ...hook, brand_id: DEMO.brandId },
        }),
        t.request('POST', '/v1/api-keys', {
          token: tokens.clinical,
          body: { name: 'Layout check', scopes: ['lab-orders:read'], brand_ids: [DEMO.brandId] },
        }),
        t.request('POST', `/v1/workspace/${WS}/labs/coupons`, {
          token: tokens.owner,
          body: {
            code: 'LAYOUT2027',
            type: 'fixed',
            value: 12.5,
            expiresAt: '2027-12-31T23:59:59.000Z',
            maxRedemptions: 1000,
          },
        }),
      ]);
      expect(made.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      const [wsHook, brandHook] = made;
      const pages: [string, string, string][] = [
        ['Workspace owner', '/', 'home'],
        ['Workspace owner', `/w/${WS}/visits`, 'visits'],
        ['Workspace owner', `/w/${WS}/visits/${visitId}`, 'visit'],
        ['Workspace owner', `/w/${WS}/visits/new`, 'book-visit'],
        ['Workspace owner', `/w/${WS}/clients`, 'clients'],
        ['Workspace owner', `/w/${WS}/referrals`, 'referrals'],
        ['Workspace owner', `/w/${WS}/coupons`, 'coupons'],
        ['Workspace owner', `/w/${WS}/tests`, 'test-prices'],
        ['Workspace owner', `/w/${WS}/members`, 'members'],
        ['Workspace owner', `/w/${WS}/webhooks`, 'webhooks'],
        ['Workspace owner', `/w/${WS}/webhooks/${wsHook.body.webhookEndpoint.id}`, 'webhook'],
        ['Clinical operator', '/', 'home-clinical'],
        ['Clinical operator', '/orders', 'orders'],
        ['Clinical operator', `/orders/${orderId}`, 'order'],
        ['Clinical operator', '/webhooks', 'clinical-webhooks'],
        ['Clinical operator', `/webhooks/${brandHook.body.webhook_endpoint.id}`, 'clinical-webhook'],
        ['Clinical operator', '/api-keys', 'api-keys'],
        ['Platform admin', '/api-keys', 'api-keys-admin'],
        // A workspace the persona may not use: the API's 403 where the page would be.
        ['Customer', `/w/${WS}/visits`, 'forbidden-customer'],
      ];
      for (const width of WIDTHS) {
        // The customer's page is the API's 403 on purpose.
        const { page, problems } = await open(width, [403]);
        await page.goto(`${t.baseUrl}/console/`);
        await page.getByRole('button', { name: 'Sign in as Staff' }).waitFor();
        await check(page, 'sign-in');
        let signedInAs = '';
        for (const [persona, route, name] of pages) {
          if (persona !== signedInAs) {
            if (signedInAs) await page.getByRole('button', { name: 'Sign out' }).click();
            await signInAs(page, persona, route);
            signedInAs = persona;
          } else {
            await page.goto(`${t.baseUrl}/console/#${route}`);
          }
          await check(page, name);
        }
        expect(problems).toEqual([]);
      }
    },
  );
});
