/**
 * The operator places an order (issue #29 §12), in Debian's chromium at 1280 and 390 px, as the
 * clinical operator: the form (patient, address, panel) places the order once, even when the first
 * submission is lost on the network and the button is pressed again and twice more (one
 * Idempotency-Key per submission, kept across its retries), and the order's page opens to follow
 * it. A field Junction would refuse shows at the field. axe-core on every page visited.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO } from '../../src/demo/examples.js';
import { inBrowser } from '../helpers/skip.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('placing a lab order from the console', () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    rig = await startConsoleRig();
  }, 120_000);
  afterAll(() => rig?.close());

  it(
    'clinical operator: a lost first submission and a double click place one order, then its page opens',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        // The refused phone answers 400 on purpose.
        const { page, problems } = await rig.open(width, [400]);
        await rig.signInAs(page, PERSONA.clinical, '/orders');
        await page.getByRole('link', { name: 'Place a lab order' }).click();
        await page.getByRole('heading', { level: 1, name: 'Place a lab order' }).waitFor();
        await page.getByLabel('Panel').selectOption('fertility');
        await page.getByLabel('First name').fill('Katherine');
        await page.getByLabel('Last name').fill(`Coleman ${width}`);
        await page.getByLabel('Date of birth').fill('1988-08-26');
        await page.getByLabel('Email').fill(`katherine.${width}@example.com`);
        await page.getByLabel('Phone').fill('555 0100');
        await page.getByLabel('Street address').fill('1 Analytical Way');
        await page.getByLabel('City').fill('San Francisco');
        await page.getByLabel('State (two letters)').fill('CA');
        await page.getByLabel('ZIP code').fill('94105');
        await rig.check(page, 'place-order');

        // A phone without its country code: said at the field.
        await page.getByRole('button', { name: 'Place the order' }).click();
        const phoneError = page.locator('#n-phone-error');
        await phoneError.waitFor();
        expect(await phoneError.textContent()).toContain('country code');
        await page.getByLabel('Phone').fill('+1 415 555 0100');

        // The next submission is lost on the way; pressed again (twice), it is placed once.
        const keys: string[] = [];
        let lose = true;
        await page.route(
          (url) => url.pathname === '/v1/lab-orders',
          async (route) => {
            if (route.request().method() !== 'POST') return route.continue();
            keys.push(route.request().headers()['idempotency-key'] ?? '');
            if (lose) {
              lose = false;
              return route.abort('connectionreset');
            }
            return route.continue();
          },
        );
        const button = page.getByRole('button', { name: /Place the order|Placing/ });
        await button.click();
        await page.getByRole('alert').filter({ hasText: 'did not answer' }).waitFor();
        await button.dblclick();
        await page
          .getByRole('heading', { level: 1, name: `Katherine Coleman ${width}, Fertility panel` })
          .waitFor();
        expect(new Set(keys).size, 'one Idempotency-Key for the submission and its retries').toBe(1);
        const orderId = /#\/orders\/([0-9a-f-]{36})/.exec(page.url())![1]!;
        const order = await rig.t.request('GET', `/v1/lab-orders/${orderId}`, { token: rig.tokens.clinical });
        expect(order.body).toMatchObject({ brand_id: DEMO.brandId, panel_id: 'fertility' });
        const list = await rig.t.request('GET', `/v1/lab-orders?patient_id=${order.body.patient_id}`, {
          token: rig.tokens.clinical,
        });
        expect(list.body.data).toHaveLength(1);
        await rig.check(page, 'place-order-placed');
        // The network error of the lost submission is Chromium's console message, provoked on purpose.
        expect(problems.filter((p) => !p.includes('ERR_CONNECTION_RESET'))).toEqual([]);
      }
    },
  );
});
