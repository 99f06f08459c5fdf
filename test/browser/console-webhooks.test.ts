/**
 * Webhooks and keys like Stripe's (issue #29 §11), in Debian's chromium at 1280 and 390 px, as the
 * owner: an endpoint whose receiver keeps failing says so in the list; a delivery opens up to show
 * why it was made, the receiver's answer and the event's payload, with a link to the visit it is
 * about; the signing secret has a copy button. axe-core on every page visited.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inBrowser } from '../helpers/skip.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { LONG, PERSONA, startConsoleRig, WIDTHS, WS, type ConsoleRig } from './console-kit.js';

inBrowser.describe('webhook deliveries in the console', () => {
  let rig: ConsoleRig;
  let receiver: Receiver;
  beforeAll(async () => {
    rig = await startConsoleRig();
    receiver = await startReceiver();
    receiver.otherwise({ status: 500, body: 'receiver down for maintenance' });
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
    await rig?.close();
  });

  it(
    'owner: a failing endpoint shows in the list; a delivery shows its cause, the answer and the payload with a link to the visit',
    LONG,
    async () => {
      for (const width of WIDTHS) {
        const { page, problems } = await rig.open(width);
        await rig.signInAs(page, PERSONA.owner, `/w/${WS}/webhooks`);
        const url = `${receiver.url}/down-${width}`;
        await page.getByLabel('URL').fill(url);
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        await page.getByTestId('webhook-secret').waitFor();
        await page.getByRole('button', { name: /^Copy signing secret/ }).click();
        await page
          .getByRole('status')
          .filter({ hasText: /Copied\.|select the text/ })
          .waitFor();

        const visitId = await rig.bookVisit();
        await receiver.waitFor((all) =>
          all.some((r) => r.path.endsWith(`down-${width}`) && r.body.includes(visitId)),
        );
        // The list says the endpoint is failing (its latest delivery did not get through).
        const row = page.getByRole('region', { name: 'Webhook endpoints' }).locator('tr', { hasText: url });
        await expect
          .poll(
            async () => {
              await page.reload();
              await row.waitFor();
              await page.waitForTimeout(500);
              return row.getByTestId('endpoint-failing').count();
            },
            { timeout: 30_000 },
          )
          .toBe(1);
        expect(await row.getByTestId('endpoint-failing').innerText()).toContain('HTTP 500');
        await rig.check(page, 'webhooks-failing');

        await row.getByRole('link', { name: url }).click();
        await page.getByRole('heading', { level: 1, name: url }).waitFor();
        const delivery = page
          .getByRole('region', { name: 'Deliveries' })
          .locator('tr', { hasText: 'lab_visit.created' })
          .first();
        await delivery.waitFor();
        expect(await delivery.innerText()).toContain('Sent when the event happened');
        await delivery.getByText('Payload and answers').click();
        await delivery.getByTestId('receiver-answer').first().waitFor();
        expect(await delivery.getByTestId('receiver-answer').first().textContent()).toBe(
          'receiver down for maintenance',
        );
        const payload = delivery.getByTestId('event-payload');
        await payload.waitFor();
        expect(await payload.textContent()).toContain(visitId);
        await rig.check(page, 'webhooks-delivery-details');
        // The status filter is in the URL: a reload keeps it.
        await page.getByLabel('Delivery status').selectOption('pending');
        await expect.poll(() => page.url()).toContain('?status=pending');
        await page.reload();
        await delivery.waitFor();
        expect(await page.getByLabel('Delivery status').inputValue()).toBe('pending');
        expect(await delivery.innerText()).toContain('Retrying');
        await delivery.getByText('Payload and answers').click();
        await delivery.getByRole('link', { name: 'Open what the event is about' }).click();
        await page.getByRole('heading', { level: 1, name: /^Visit of / }).waitFor();
        expect(page.url()).toContain(`/visits/${visitId}`);
        expect(problems).toEqual([]);
      }
    },
  );
});
