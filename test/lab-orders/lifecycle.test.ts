import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookMessages } from '../../src/db/tables.js';
import { purgeWebhookMessages } from '../../src/lab-orders/webhook-route.js';
import { startTestApp } from '../helpers/app.js';
import { BRAND, placeOrder, startLabStack, type LabStack } from '../helpers/lab-stack.js';

describe('lab order lifecycle, reads and webhooks', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack();
  });
  afterAll(() => s.close());

  const place = (overrides: Record<string, unknown> = {}) => placeOrder(s, overrides);
  const get = (id: string, token = s.token) => s.t.request('GET', `/v1/lab-orders/${id}`, { token });
  const settle = () => s.sim.webhooksSettled();

  /** A webhook as Junction sends it, signed with the service's Svix secret (or another one). */
  const sendWebhook = (payload: unknown, opts: { secret?: string; id?: string; at?: Date } = {}) => {
    const text = JSON.stringify(payload);
    const id = opts.id ?? `msg_${randomUUID()}`;
    const at = opts.at ?? new Date();
    const signature = new Webhook(opts.secret ?? s.sim.webhookSecret).sign(id, at, text);
    return s.t.request('POST', '/v1/webhooks/junction', {
      rawBody: text,
      headers: {
        'content-type': 'application/json',
        'svix-id': id,
        'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
        'svix-signature': signature,
      },
    });
  };
  const eventFor = (junctionOrderId: string) => ({
    event_type: 'labtest.order.updated',
    user_id: 'u',
    client_user_id: 'c',
    team_id: 't',
    data: s.sim.order(junctionOrderId),
  });

  it('GET shows the detailed status and the event history', async () => {
    const order = await place();
    await settle();
    const res = await get(order.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: order.id,
      status: 'received',
      status_detail: 'received.walk_in_test.ordered',
    });
    expect(res.body.events.length).toBeGreaterThan(0);
    expect(res.body.events[0]).toMatchObject({
      status: 'received',
      status_detail: 'received.walk_in_test.ordered',
      source: 'junction',
    });
  });

  it('404 for an unknown order, 400 for an id that is not a uuid, 404 for another brand’s order', async () => {
    expect((await get(randomUUID())).status).toBe(404);
    const bad = await get('123');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('validation_error');
    const order = await place();
    const other = await s.t.token({ sub: 'svc-other', scope: 'lab-orders:read', brandIds: ['brand-other'] });
    const res = await get(order.id, other);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });

  it('lists a patient’s orders newest first with keyset pagination, limited to the token’s brands', async () => {
    const patientId = randomUUID();
    const ids: string[] = [];
    for (const panel of ['hashimotos', 'pcos', 'fertility'])
      ids.push((await place({ patient_id: patientId, panel_id: panel })).id);
    const page1 = await s.t.request('GET', `/v1/lab-orders?patient_id=${patientId}&limit=2`, {
      token: s.token,
    });
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((o: { id: string }) => o.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await s.t.request(
      'GET',
      `/v1/lab-orders?patient_id=${patientId}&limit=2&cursor=${page1.body.next_cursor}`,
      {
        token: s.token,
      },
    );
    expect(page2.body.data.map((o: { id: string }) => o.id)).toEqual([ids[0]]);
    expect(page2.body.next_cursor).toBeNull();

    const other = await s.t.token({ sub: 'svc-other', scope: 'lab-orders:read', brandIds: ['brand-other'] });
    const hidden = await s.t.request('GET', `/v1/lab-orders?patient_id=${patientId}`, { token: other });
    expect(hidden.body.data).toEqual([]);
    const forbidden = await s.t.request('GET', `/v1/lab-orders?brand_id=${BRAND}`, { token: other });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('brand_forbidden');
    const badCursor = await s.t.request('GET', '/v1/lab-orders?cursor=nonsense', { token: s.token });
    expect(badCursor.status).toBe(400);
    const badLimit = await s.t.request('GET', '/v1/lab-orders?limit=1000', { token: s.token });
    expect(badLimit.status).toBe(400);
  });

  it('pages through orders created within one millisecond without skipping any', async () => {
    const patientId = randomUUID();
    const ids: string[] = [];
    for (const panel of ['hashimotos', 'pcos', 'fertility'])
      ids.push((await place({ patient_id: patientId, panel_id: panel })).id);
    // Three orders in the same millisecond, microseconds apart (a busy server does this).
    await s.t.database.db.execute(sql`
      update lab_orders set created_at = '2026-03-01T10:00:00.123Z'::timestamptz + (interval '1 microsecond' * (
        case id when ${ids[0]}::uuid then 100 when ${ids[1]}::uuid then 400 else 700 end))
      where patient_id = ${patientId}::uuid`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string }[]; next_cursor: string | null } } = await s.t.request(
        'GET',
        `/v1/lab-orders?patient_id=${patientId}&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        { token: s.token },
      );
      seen.push(...page.body.data.map((o) => o.id));
      cursor = page.body.next_cursor;
    } while (cursor && seen.length < 10);
    expect(new Set(seen).size).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('filters the list by status', async () => {
    const patientId = randomUUID();
    const a = await place({ patient_id: patientId });
    await place({ patient_id: patientId, panel_id: 'pcos' });
    s.sim.advance(a.junction_order_id, 'collecting_sample.walk_in_test.appointment_scheduled');
    await settle();
    const res = await s.t.request('GET', `/v1/lab-orders?patient_id=${patientId}&status=collecting_sample`, {
      token: s.token,
    });
    expect(res.body.data.map((o: { id: string }) => o.id)).toEqual([a.id]);
  });

  it('webhooks drive an order to completed with completed_at; results and the PDF are then available', async () => {
    const order = await place();
    const early = await s.t.request('GET', `/v1/lab-orders/${order.id}/results`, { token: s.token });
    expect(early.status).toBe(404);
    expect(early.body.error).toBe('results_not_available');

    for (let i = 0; i < 10 && s.sim.order(order.junction_order_id)!.status !== 'completed'; i++) {
      s.sim.advance(order.junction_order_id);
    }
    await settle();
    const res = await get(order.id);
    expect(res.body.status).toBe('completed');
    expect(res.body.completed_at).toEqual(expect.any(String));
    const stages = res.body.events.map((e: { status: string }) => e.status);
    expect(stages).toEqual(
      expect.arrayContaining(['received', 'collecting_sample', 'sample_with_lab', 'completed']),
    );

    const results = await s.t.request('GET', `/v1/lab-orders/${order.id}/results`, { token: s.token });
    expect(results.status).toBe(200);
    expect(results.body.order_id).toBe(order.id);
    expect(results.body.results.length).toBeGreaterThan(0);
    expect(results.body.results[0]).toMatchObject({ name: expect.any(String), value: expect.any(String) });

    const pdf = await fetch(`${s.t.baseUrl}/v1/lab-orders/${order.id}/results/pdf`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  });

  it('rejects a forged signature and a stale timestamp with 401, changing nothing', async () => {
    const order = await place();
    s.sim.advance(order.junction_order_id);
    const payload = eventFor(order.junction_order_id);
    const forged = await sendWebhook(payload, {
      secret: 'whsec_' + Buffer.from('x'.repeat(32)).toString('base64'),
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toBe('invalid_signature');
    const stale = await sendWebhook(payload, { at: new Date(Date.now() - 10 * 60 * 1000) });
    expect(stale.status).toBe(401);
    const tampered = await s.t.request('POST', '/v1/webhooks/junction', {
      rawBody: JSON.stringify(payload),
      headers: { 'content-type': 'application/json' },
    });
    expect(tampered.status).toBe(401);
  });

  it('a wrong JUNCTION_WEBHOOK_SECRET: one warning naming the variable, never a secret; each refusal counted in /metrics', async () => {
    const order = await place();
    const payload = eventFor(order.junction_order_id);
    const otherSecret = 'whsec_' + Buffer.from('y'.repeat(32)).toString('base64');
    const refusedCount = async () =>
      Number(
        /junction_webhooks_total\{outcome="bad_signature"\} (\d+)/.exec(
          (await s.t.request('GET', '/metrics')).text,
        )?.[1] ?? 0,
      );
    const warnings = () => s.t.logs.filter((l) => l.includes('does not match JUNCTION_WEBHOOK_SECRET'));

    const countBefore = await refusedCount();
    const warningsBefore = warnings().length;
    for (let i = 0; i < 3; i++)
      expect((await sendWebhook(payload, { secret: otherSecret })).status).toBe(401);

    expect(await refusedCount()).toBe(countBefore + 3);
    // One line for the burst (none when an earlier test's refusal warned less than a minute ago).
    expect(warnings().length - warningsBefore).toBeLessThanOrEqual(1);
    expect(warnings().length).toBeGreaterThanOrEqual(1);
    const line = JSON.parse(warnings().at(-1)!);
    expect(line.level).toBe(40);
    for (const l of s.t.logs) {
      expect(l).not.toContain(s.sim.webhookSecret.slice('whsec_'.length));
      expect(l).not.toContain(otherSecret.slice('whsec_'.length));
    }
  });

  it('applies a duplicate delivery (same svix-id) once', async () => {
    const order = await place();
    await settle();
    s.sim.setWebhookUrl(null);
    try {
      s.sim.advance(order.junction_order_id);
      const payload = eventFor(order.junction_order_id);
      const id = `msg_${randomUUID()}`;
      const first = await sendWebhook(payload, { id });
      expect(first.status).toBe(200);
      expect(first.body.status).toBe('applied');
      const before = (await get(order.id)).body.events.length;
      const dup = await sendWebhook(payload, { id });
      expect(dup.status).toBe(200);
      expect(dup.body.status).toBe('duplicate');
      expect((await get(order.id)).body.events.length).toBe(before);
    } finally {
      s.sim.setWebhookUrl(`${s.t.baseUrl}/v1/webhooks/junction`);
    }
  });

  it('never moves an order backwards when webhooks arrive out of order', async () => {
    const order = await place();
    await settle();
    s.sim.setWebhookUrl(null);
    try {
      const collecting = structuredClone(eventFor(order.junction_order_id));
      collecting.data = s.sim.advance(
        order.junction_order_id,
        'collecting_sample.walk_in_test.appointment_scheduled',
      );
      const withLab = structuredClone(eventFor(order.junction_order_id));
      withLab.data = s.sim.advance(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
      expect((await sendWebhook(withLab)).body.status).toBe('applied');
      const late = await sendWebhook(collecting);
      expect(late.status).toBe(200);
      expect(late.body.status).toBe('stale');
      expect((await get(order.id)).body.status).toBe('sample_with_lab');
    } finally {
      s.sim.setWebhookUrl(`${s.t.baseUrl}/v1/webhooks/junction`);
    }
  });

  it('acknowledges a webhook for an order it does not know', async () => {
    const order = await place();
    const payload = eventFor(order.junction_order_id);
    const unknown = { ...payload, data: { ...payload.data, id: randomUUID(), passthrough: null } };
    const res = await sendWebhook(unknown);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('unknown_order');
  });

  it('cancels early; refuses once the sample is with the lab', async () => {
    const order = await place();
    const cancelled = await s.t.request('POST', `/v1/lab-orders/${order.id}/cancel`, { token: s.token });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(s.sim.order(order.junction_order_id)!.status).toBe('cancelled');
    const again = await s.t.request('POST', `/v1/lab-orders/${order.id}/cancel`, { token: s.token });
    expect(again.status).toBe(200);

    const late = await place();
    s.sim.advance(late.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
    await settle();
    const refused = await s.t.request('POST', `/v1/lab-orders/${late.id}/cancel`, { token: s.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('order_not_cancellable');
  });

  it("409 order_not_cancellable with Junction's reason when Junction refuses the cancel (our view was behind)", async () => {
    const order = await place();
    await settle();
    s.sim.setWebhookUrl(null);
    try {
      s.sim.advance(order.junction_order_id, 'sample_with_lab.walk_in_test.partial_results');
      const res = await s.t.request('POST', `/v1/lab-orders/${order.id}/cancel`, { token: s.token });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        error: 'order_not_cancellable',
        message:
          'Junction refused to cancel the order: Transition from partial_results to cancelled is not allowed',
      });
      // The refusal made labline read the order again: its view caught up without the webhook.
      const read = await get(order.id);
      expect(read.body).toMatchObject({
        status: 'sample_with_lab',
        status_detail: 'sample_with_lab.walk_in_test.partial_results',
      });
    } finally {
      s.sim.setWebhookUrl(`${s.t.baseUrl}/v1/webhooks/junction`);
    }
  });
});

describe('webhook message ids', () => {
  it('are purged after 30 days', async () => {
    // No workers: the periodic purge job would otherwise race this test's own purge for the row.
    const t = await startTestApp({ env: { RUN_WORKERS: 'false' } });
    try {
      await t.database.db.insert(webhookMessages).values([
        { svixId: 'old', eventType: 'x', receivedAt: new Date(Date.now() - 31 * 86_400_000) },
        { svixId: 'new', eventType: 'x' },
      ]);
      expect(await purgeWebhookMessages(t.database)).toBe(1);
      const left = await t.database.db.select().from(webhookMessages);
      expect(left.map((r) => r.svixId)).toEqual(['new']);
    } finally {
      await t.close();
    }
  });
});
