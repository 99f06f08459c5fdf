/**
 * Every lifecycle state Junction sends (docs/junction.md, "Every status Junction sends"), each
 * reached through the simulator's sandbox endpoint (`POST /v3/order/{id}/test`) and its webhooks:
 * walk-in `appointment_pending`, `requisition_bypassed`, `appointment_cancelled`, partial results
 * and `redraw_available` with their results served, `completed.*.corrected` as an event of its own,
 * and a status Junction adds tomorrow, kept without breaking reads or webhooks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Junction } from '@junction-api/sdk';
import { DOCUMENTED_ORDER_STATUSES } from '../../src/junction/order-statuses.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { BRAND, placeOrder, startLabStack, type LabStack } from '../helpers/lab-stack.js';
import { clientFor } from '../junction/helpers.js';

describe('every status Junction sends', () => {
  let s: LabStack;
  let admin: string;
  let receiver: Receiver;
  beforeAll(async () => {
    s = await startLabStack();
    admin = await s.t.token({
      sub: 'svc-admin',
      scope: 'lab-orders:admin lab-orders:read',
      brandIds: [BRAND],
    });
    receiver = await startReceiver();
    const endpoint = await s.t.request('POST', '/v1/webhook-endpoints', {
      token: admin,
      body: { url: receiver.url, brand_id: BRAND, events: ['lab_order.results_corrected'] },
    });
    expect(endpoint.status, endpoint.text).toBe(201);
  });
  afterAll(async () => {
    await receiver.close();
    await s.close();
  });

  const get = (id: string) => s.t.request('GET', `/v1/lab-orders/${id}`, { token: s.token });
  const results = (id: string) => s.t.request('GET', `/v1/lab-orders/${id}/results`, { token: s.token });
  /** Junction's sandbox endpoint, as a developer calls it, then its webhooks delivered. */
  const simulate = async (junctionOrderId: string, finalStatus: string) => {
    await clientFor(s.sim).simulateOrder(junctionOrderId, finalStatus as never);
    await s.sim.webhooksSettled();
  };
  const eventsOf = async (orderId: string, type: string) => {
    const res = await s.t.request('GET', `/v1/events?brand_id=${BRAND}&type=${type}&limit=200`, {
      token: s.token,
    });
    expect(res.status, res.text).toBe(200);
    return (
      res.body.data as { type: string; data: { object: { id: string; status_detail: string } } }[]
    ).filter((e) => e.data.object.id === orderId);
  };

  it("labline's table covers every status of the SDK's OrderStatus", () => {
    expect([...DOCUMENTED_ORDER_STATUSES].sort()).toEqual(Object.values(Junction.OrderStatus).sort());
  });

  it('a walk-in order passes through appointment_pending before appointment_scheduled', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.appointment_pending');
    const pending = await get(order.id);
    expect(pending.body).toMatchObject({
      status: 'collecting_sample',
      status_detail: 'collecting_sample.walk_in_test.appointment_pending',
    });
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.appointment_scheduled');
    const scheduled = await get(order.id);
    expect(scheduled.body.status_detail).toBe('collecting_sample.walk_in_test.appointment_scheduled');
    expect(scheduled.body.events.map((e: { status_detail: string }) => e.status_detail)).toEqual([
      'received.walk_in_test.ordered',
      'received.walk_in_test.requisition_created',
      'collecting_sample.walk_in_test.appointment_pending',
      'collecting_sample.walk_in_test.appointment_scheduled',
    ]);
  });

  it('requisition_bypassed is received; the order moves on from it', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'received.walk_in_test.requisition_bypassed');
    expect((await get(order.id)).body).toMatchObject({
      status: 'received',
      status_detail: 'received.walk_in_test.requisition_bypassed',
    });
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.appointment_pending');
    expect((await get(order.id)).body.status_detail).toBe(
      'collecting_sample.walk_in_test.appointment_pending',
    );
  });

  it('appointment_cancelled keeps the order collecting; a new appointment follows, and the order can still be cancelled', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.appointment_cancelled');
    expect((await get(order.id)).body.status_detail).toBe(
      'collecting_sample.walk_in_test.appointment_cancelled',
    );
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.appointment_scheduled');
    expect((await get(order.id)).body.status_detail).toBe(
      'collecting_sample.walk_in_test.appointment_scheduled',
    );
    const cancelled = await s.t.request('POST', `/v1/lab-orders/${order.id}/cancel`, { token: s.token });
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('partial results are served while the sample is with the lab', async () => {
    const order = await placeOrder(s);
    expect((await results(order.id)).status).toBe(404);
    await simulate(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
    const res = await results(order.id);
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('partial');
    expect(res.body.results.length).toBeGreaterThan(0);
  });

  it('redraw_available after partial results: the order moves on, its results are served, it cannot be cancelled', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.redraw_available');
    const read = await get(order.id);
    expect(read.body).toMatchObject({
      status: 'collecting_sample',
      status_detail: 'collecting_sample.walk_in_test.redraw_available',
      completed_at: null,
    });
    const changed = await eventsOf(order.id, 'lab_order.status_changed');
    expect(changed.map((e) => e.data.object.status_detail)).toContain(
      'collecting_sample.walk_in_test.redraw_available',
    );

    const res = await results(order.id);
    expect(res.status, res.text).toBe(200);
    expect(res.body.status).toBe('final');
    expect(res.body.results.length).toBeGreaterThan(0);
    const pdf = await s.t.request('GET', `/v1/lab-orders/${order.id}/results/pdf`, { token: s.token });
    expect(pdf.status).toBe(200);

    const cancel = await s.t.request('POST', `/v1/lab-orders/${order.id}/cancel`, { token: s.token });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error).toBe('order_not_cancellable');
    expect(s.sim.order(order.junction_order_id)!.status).toBe('collecting_sample');
  });

  it('redraw_available straight from an appointment (partials are not always sent) is still an event', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.appointment_scheduled');
    // Junction's partial-result webhooks are opt-in (lab/workflow/partials.mdx): none arrives.
    s.sim.setWebhookUrl(null);
    try {
      s.sim.advance(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
    } finally {
      s.sim.setWebhookUrl(`${s.t.baseUrl}/v1/webhooks/junction`);
    }
    await simulate(order.junction_order_id, 'collecting_sample.walk_in_test.redraw_available');
    expect((await get(order.id)).body.status_detail).toBe('collecting_sample.walk_in_test.redraw_available');
    const changed = await eventsOf(order.id, 'lab_order.status_changed');
    expect(changed.filter((e) => e.data.object.status_detail.endsWith('.redraw_available'))).toHaveLength(1);
    expect((await results(order.id)).status).toBe(200);
  });

  it('each correction of a completed order is a lab_order.results_corrected event, on the events API and webhooks', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'completed.walk_in_test.completed');
    const completed = await get(order.id);
    expect(completed.body.status).toBe('completed');
    expect(await eventsOf(order.id, 'lab_order.results_corrected')).toHaveLength(0);

    await simulate(order.junction_order_id, 'completed.walk_in_test.corrected');
    const corrected = await get(order.id);
    expect(corrected.body).toMatchObject({
      status: 'completed',
      status_detail: 'completed.walk_in_test.corrected',
      completed_at: completed.body.completed_at,
    });
    expect(await eventsOf(order.id, 'lab_order.results_corrected')).toHaveLength(1);
    expect((await results(order.id)).body.status).toBe('corrected');

    // A second correction is a second event.
    await simulate(order.junction_order_id, 'completed.walk_in_test.corrected');
    expect(await eventsOf(order.id, 'lab_order.results_corrected')).toHaveLength(2);

    const delivered = await receiver.waitFor(
      (r) => r.filter((x) => x.body.includes(order.id)).length >= 2,
      10_000,
    );
    const types = delivered
      .filter((x) => x.body.includes(order.id))
      .map((x) => (JSON.parse(x.body) as { type: string }).type);
    expect(types).toEqual(['lab_order.results_corrected', 'lab_order.results_corrected']);
  });

  it('a status Junction adds tomorrow is kept, the order stays readable, and its name is logged', async () => {
    const order = await placeOrder(s);
    await simulate(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');

    // A new low-level status under a known top-level status: placed there.
    s.sim.setStatus(order.junction_order_id, 'sample_with_lab.walk_in_test.lab_reviewing');
    await s.sim.webhooksSettled();
    const within = await get(order.id);
    expect(within.status).toBe(200);
    expect(within.body).toMatchObject({
      status: 'sample_with_lab',
      status_detail: 'sample_with_lab.walk_in_test.lab_reviewing',
    });

    // A new top-level status: the order stays where it is, the status is kept as sent.
    s.sim.setStatus(order.junction_order_id, 'on_hold.walk_in_test.awaiting_payment');
    await s.sim.webhooksSettled();
    const unknown = await get(order.id);
    expect(unknown.status).toBe(200);
    expect(unknown.body).toMatchObject({
      status: 'sample_with_lab',
      status_detail: 'on_hold.walk_in_test.awaiting_payment',
    });
    expect(unknown.body.events.at(-1)).toMatchObject({
      status: 'sample_with_lab',
      status_detail: 'on_hold.walk_in_test.awaiting_payment',
    });
    expect((await results(order.id)).status).toBe(200);
    // Every webhook was taken (2xx), none refused.
    const deliveries = s.sim.webhookDeliveries().filter((d) => d.orderId === order.junction_order_id);
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    expect(s.t.logs.some((l) => l.includes('on_hold.walk_in_test.awaiting_payment'))).toBe(true);

    // The client reads it too (reconciliation's path), through the SDK's schema.
    const read = await clientFor(s.sim).getOrder(order.junction_order_id);
    expect(read).toMatchObject({
      status: null,
      statusDetail: 'on_hold.walk_in_test.awaiting_payment',
      undocumentedStatus: true,
    });

    // It moves on from there when Junction does.
    s.sim.setStatus(order.junction_order_id, 'completed.walk_in_test.completed');
    await s.sim.webhooksSettled();
    expect((await get(order.id)).body.status).toBe('completed');
  });
});
