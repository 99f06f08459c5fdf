/**
 * GET /v1/lab-orders/:id/requisition: the requisition PDF a walk-in patient takes to the lab,
 * fetched from Junction (here the simulator, over HTTP) once Junction has made it; 404 before,
 * 409 for orders that have none to use, the token's brands and scopes as on every order route.
 */
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../src/audit/tables.js';
import { createOrder, orderBody, startLabStack, SIM_KEY, type LabStack } from '../helpers/lab-stack.js';

const REQUISITION_CREATED = 'received.walk_in_test.requisition_created';

describe('the requisition PDF', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());
  afterEach(() => s.sim.setFaults({}));

  const place = async () => {
    const res = await createOrder(s, orderBody());
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; junction_order_id: string };
  };
  const requisition = (id: string, token = s.token) =>
    s.t.request('GET', `/v1/lab-orders/${id}/requisition`, { token });
  /** the PDF bytes, as a client downloads them */
  const download = async (id: string) => {
    const res = await fetch(`${s.t.baseUrl}/v1/lab-orders/${id}/requisition`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  };

  it('404 requisition_not_available until Junction has made it, then the PDF', async () => {
    const order = await place();
    const early = await requisition(order.id);
    expect(early.status).toBe(404);
    expect(early.body).toEqual({
      error: 'requisition_not_available',
      message:
        "Junction has not made the requisition yet: it is ready once the order reaches received.walk_in_test.requisition_created (see the order's events).",
    });

    s.sim.advance(order.junction_order_id, REQUISITION_CREATED);
    await s.sim.webhooksSettled();
    const { res, bytes } = await download(order.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="requisition-${order.id}.pdf"`);
    const text = bytes.toString('latin1');
    expect(text.startsWith('%PDF-1.')).toBe(true);
    expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
    const requisitionNumber = s.sim.order(order.junction_order_id)!.sample_id;
    expect(text).toContain(`Requisition ${requisitionNumber}`);
    // exactly what Junction serves
    const direct = await fetch(`${s.sim.url}/v3/order/${order.junction_order_id}/requisition/pdf`, {
      headers: { 'x-vital-api-key': SIM_KEY },
    });
    expect(direct.status).toBe(200);
    expect(Buffer.from(await direct.arrayBuffer()).equals(bytes)).toBe(true);

    const audited = await s.t.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resourceId, order.id), eq(auditEvents.resourceType, 'lab_requisition')));
    expect(audited.map((r) => [r.action, r.actor])).toEqual([['read', 'svc-acme']]);
  });

  it('stays available as the order moves on, up to completed', async () => {
    const order = await place();
    s.sim.advance(order.junction_order_id, 'completed.walk_in_test.completed');
    await s.sim.webhooksSettled();
    expect((await s.t.request('GET', `/v1/lab-orders/${order.id}`, { token: s.token })).body.status).toBe(
      'completed',
    );
    expect((await download(order.id)).res.status).toBe(200);
  });

  it('409 requisition_not_applicable for a cancelled or failed order, one Junction refused, one still being placed', async () => {
    const cancelled = await place();
    s.sim.advance(cancelled.junction_order_id, REQUISITION_CREATED);
    await s.sim.webhooksSettled();
    expect(
      (await s.t.request('POST', `/v1/lab-orders/${cancelled.id}/cancel`, { token: s.token })).status,
    ).toBe(200);

    const failed = await place();
    s.sim.advance(failed.junction_order_id, 'failed.walk_in_test.sample_error');
    await s.sim.webhooksSettled();

    const admin = await s.t.token({ sub: 'ops', scope: 'lab-orders:admin' });
    const brand = `brand-${randomUUID()}`;
    const map = await s.t.request('PUT', `/v1/brands/${brand}/panels/pcos`, {
      token: admin,
      body: { lab_test_id: 'no-such-lab-test' },
    });
    expect(map.status, map.text).toBe(200);
    const token = await s.t.token({ sub: 'svc-x', scope: 'lab-orders:write lab-orders:read' });
    const refused = await createOrder(
      s,
      orderBody({ brand_id: brand, panel_id: 'pcos' }),
      randomUUID(),
      token,
    );
    expect(refused.status, refused.text).toBe(502);

    s.sim.setFaults({ errorRate: 1, errorStatuses: [503], operations: ['create_order'] });
    const lost = await createOrder(s, orderBody(), randomUUID(), token);
    expect(lost.status).toBe(502);
    s.sim.setFaults({});
    const orders = await s.t.request('GET', '/v1/lab-orders?limit=200', { token });
    const byStatus = (status: string) =>
      orders.body.data.find((o: { status: string }) => o.status === status)?.id as string;

    for (const [id, message, who] of [
      [cancelled.id, 'The order is cancelled: its requisition must not be used at a lab.', s.token],
      [failed.id, 'The order failed at the lab: its requisition is no longer of use.', s.token],
      [byStatus('rejected'), 'Junction refused the order: there is no requisition.', token],
      [
        byStatus('submitting'),
        'The order is still being placed with Junction; its requisition follows once Junction has the order.',
        token,
      ],
    ] as const) {
      const res = await requisition(id, who);
      expect(res.status, message).toBe(409);
      expect(res.body).toEqual({ error: 'requisition_not_applicable', message });
    }
  });

  it("404 for an unknown order or another brand's; 403 without lab-orders:read; 401 without a token; 400 for a malformed id", async () => {
    const order = await place();
    s.sim.advance(order.junction_order_id, REQUISITION_CREATED);
    const otherBrand = await s.t.token({
      sub: 'svc-other',
      scope: 'lab-orders:read',
      brandIds: ['brand-other'],
    });
    expect((await requisition(order.id, otherBrand)).body).toEqual({
      error: 'not_found',
      message: `No lab order ${order.id}.`,
    });
    expect((await requisition(randomUUID())).status).toBe(404);
    const writer = await s.t.token({ sub: 'svc-acme', scope: 'lab-orders:write', brandIds: ['brand-acme'] });
    expect((await requisition(order.id, writer)).body.error).toBe('insufficient_scope');
    expect((await s.t.request('GET', `/v1/lab-orders/${order.id}/requisition`)).status).toBe(401);
    expect((await requisition('not-a-uuid')).status).toBe(400);
  });

  it('502 junction_unavailable when Junction does not answer; the next try gets the PDF', async () => {
    const order = await place();
    s.sim.advance(order.junction_order_id, REQUISITION_CREATED);
    s.sim.setFaults({ errorRate: 1, errorStatuses: [503], operations: ['get_requisition_pdf'] });
    const res = await requisition(order.id);
    expect(res.status).toBe(502);
    expect(res.body.error).toBe('junction_unavailable');
    s.sim.setFaults({});
    expect((await download(order.id)).res.status).toBe(200);
  });

  it('is documented as a PDF answer with its 404 and 409', async () => {
    const doc = (await s.t.request('GET', '/openapi.json')).body;
    const op = doc.paths['/v1/lab-orders/{id}/requisition'].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '404', '409', '502']));
    expect(
      op.responses['200'].content['application/json'] ?? op.responses['200'].content['application/pdf'],
    ).toBeDefined();
  });
});
