/**
 * Results for clinical use and statuses in words (issue #29 §7, §8), in Debian's chromium at 1280
 * and 390 px. Staff: a visit shows each test's price, flags are coloured and labelled, entered
 * results stay in the form after saving, and a cancelled visit does not offer results. The
 * clinical operator: an order's statuses and timeline read in words with Junction's code as
 * secondary text, and partial results show (with their flags) before the order completes.
 * axe-core on every page visited.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SIMULATOR_KEY } from '../../src/demo/junction.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('results and statuses', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  const moveVisit = async (visitId: string, ...statuses: string[]) => {
    for (const labVisitStatus of statuses) {
      const res = await rig.t.request('PATCH', `/v1/workspace/${WS}/labs/visits/${visitId}`, {
        token: rig.tokens.owner,
        body: { labVisitStatus },
      });
      expect(res.status, res.text).toBe(200);
    }
  };
  const main = (page: Page) => page.locator('main');

  it(
    'staff: per-test prices, flags in words and colour, saved results kept in the form; a cancelled visit offers no results',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const visitId = await rig.bookVisit();
        await moveVisit(visitId, 'scheduled', 'collected');
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.staff, `/w/${WS}/visits/${visitId}`);
        await page.getByRole('heading', { level: 1, name: /^Visit of / }).waitFor();
        await expect.poll(() => page.getByTestId('test-price-101').innerText()).toMatch(/^\$40\.00/);
        expect(await page.getByTestId('test-price-205').innerText()).toMatch(/^\$60\.00/);
        expect(await page.getByTestId('visit-status').textContent()).toBe('collected');
        expect(await main(page).innerText()).toContain('Sample collected');

        await page.getByLabel('CBC value').fill('13.2');
        await page.getByLabel('CBC unit').fill('10^9/L');
        await page.getByLabel('CBC reference range').fill('4.0-11.0');
        await page.getByLabel('CBC flag').selectOption('high');
        await page.getByLabel('CRP value').fill('210');
        await page.getByLabel('CRP flag').selectOption('critical');
        await page.getByRole('button', { name: 'Save results' }).click();
        await page.getByTestId('results-saved').waitFor();
        expect(await page.getByTestId('results-saved').textContent()).toBe('Saved: CBC, CRP.');
        // What was saved stays in the form, and nothing is left to save until something changes.
        expect(await page.getByLabel('CBC value').inputValue()).toBe('13.2');
        expect(await page.getByLabel('CRP flag').inputValue()).toBe('critical');
        expect(await page.getByRole('button', { name: 'Save results' }).isDisabled()).toBe(true);
        const high = page.getByTestId('flag-101');
        expect(await high.innerText()).toMatch(/High$/);
        expect(await high.getAttribute('class')).toContain('flag-high');
        const critical = page.getByTestId('flag-205');
        expect(await critical.innerText()).toMatch(/Critical$/);
        expect(await critical.getAttribute('class')).toContain('flag-critical');
        await rig.check(page, 'results-visit-flagged');

        const cancelledId = await rig.bookVisit();
        await moveVisit(cancelledId, 'cancelled');
        await rig.go(page, `/w/${WS}/visits/${cancelledId}`);
        await expect.poll(() => page.getByTestId('visit-status').textContent()).toBe('cancelled');
        const text = await main(page).innerText();
        expect(text).toContain('The visit was cancelled: no sample was collected, so it has no results.');
        expect(text).not.toContain('Results can be entered');
        expect(await page.getByRole('button', { name: 'Save results' }).count()).toBe(0);
        await rig.check(page, 'results-visit-cancelled');
        expect(problems).toEqual([]);
      }
    },
  );

  it(
    'clinical operator: statuses and the timeline in words with the codes beside them; partial results with their flags before completion',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const order = (await rig.placeOrder()) as {
          id: string;
          patient_id: string;
          junction_order_id: string;
        };
        await rig.t.sim.webhooksSettled();
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.clinical, `/orders/${order.id}`);
        await expect.poll(() => page.getByTestId('order-status').textContent()).toBe('received');
        const timeline = page.getByRole('list', { name: 'Order events, oldest first' });
        await timeline.getByText('Ordered', { exact: true }).waitFor();
        expect(await timeline.innerText()).toContain('received.walk_in_test.ordered');
        expect(await main(page).innerText()).toContain('No results yet');
        await rig.check(page, 'statuses-order-received');

        // At Junction: the sample reaches the lab, which reports part of the panel, one marker critical.
        const simulated = await fetch(
          `${rig.t.sim.url}/v3/order/${order.junction_order_id}/test?final_status=sample_with_lab.walk_in_test.partial_results`,
          {
            method: 'POST',
            headers: { 'x-vital-api-key': SIMULATOR_KEY, 'content-type': 'application/json' },
            body: JSON.stringify({ interpretation: 'critical' }),
          },
        );
        expect(simulated.status, await simulated.text()).toBe(200);
        await rig.t.sim.webhooksSettled();
        await page.getByRole('button', { name: 'Refresh' }).first().click();
        await expect.poll(() => page.getByTestId('order-status').textContent()).toBe('sample_with_lab');
        expect(await page.getByTestId('order-status-detail').textContent()).toBe(
          'sample_with_lab.walk_in_test.partial_results',
        );
        for (const words of ['Requisition created', 'Appointment scheduled', 'Partial results'])
          await timeline.getByText(words, { exact: true }).waitFor();
        const results = page.getByRole('region', { name: 'Results', exact: true }).last();
        await results.locator('tbody tr').first().waitFor();
        const text = await main(page).innerText();
        expect(text).toContain('Partial results: the lab has reported these so far');
        expect(text).not.toMatch(/once the order is completed|only .*completed/i);
        const flag = results.locator('.flag-critical').first();
        expect(await flag.innerText()).toMatch(/Critical$/);
        await rig.check(page, 'statuses-order-partial');

        await rig.go(page, '/orders');
        const row = page
          .getByRole('region', { name: 'Lab orders' })
          .locator('tr', { hasText: order.patient_id });
        await row.filter({ hasText: 'Partial results' }).waitFor();
        await rig.check(page, 'statuses-orders');
        expect(problems).toEqual([]);
      }
    },
  );
});
