/**
 * Delivery over HTTP, end to end: orders and visits change through the API (and the simulator's
 * webhooks), their events reach a real receiver, signed so that the Standard Webhooks library
 * verifies them; retries, timeouts, failure, resend, disable and recover, rotation, auto-disable.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { orderBody } from '../helpers/lab-stack.js';
import { startReceiver, verified, type Receiver, type Received } from '../helpers/receiver.js';
import {
  createCatalogTest,
  createClient,
  createWorkspace,
  ok,
  visitBody,
  visitsPath,
} from '../workspaces/world.js';

const SCOPES = 'lab-orders:admin lab-orders:read lab-orders:write';

describe('webhook delivery', () => {
  let t: TestApp;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        WEBHOOK_RETRY_SCHEDULE: '1,1',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_DISABLE_AFTER_HOURS: '1',
        JOB_POLL_INTERVAL_MS: '200',
      },
    });
  });
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await t.close();
  });

  const receiver = async () => {
    const r = await startReceiver();
    receivers.push(r);
    return r;
  };

  /** A brand of its own per test (events of other tests' brands never reach its endpoints). */
  const brand = async (name: string) => {
    const token = await t.token({ sub: `svc-${name}`, scope: SCOPES, brandIds: [name] });
    const endpoint = async (url: string, events?: string[]) => {
      const res = await t.request('POST', '/v1/webhook-endpoints', {
        token,
        body: { url, brand_id: name, ...(events ? { events } : {}) },
      });
      expect(res.status, res.text).toBe(201);
      return res.body.webhook_endpoint as { id: string; secret: string };
    };
    const order = async () => {
      const res = await t.request('POST', '/v1/lab-orders', {
        token,
        body: orderBody({ brand_id: name }),
        headers: { 'idempotency-key': crypto.randomUUID() },
      });
      expect(res.status, res.text).toBe(201);
      return res.body as { id: string; junction_order_id: string };
    };
    /** the brand's events, oldest first */
    const events = async (): Promise<{ id: string; type: string; data: { object: { id: string } } }[]> => {
      const res = await t.request('GET', `/v1/events?brand_id=${name}&limit=200`, { token });
      expect(res.status, res.text).toBe(200);
      return [...res.body.data].reverse();
    };
    const createdEvent = async (orderId: string) => {
      const found = (await events()).find(
        (e) => e.type === 'lab_order.created' && e.data.object.id === orderId,
      );
      if (!found) throw new Error(`no lab_order.created event for ${orderId}`);
      return found.id;
    };
    const deliveries = async (endpointId: string, query = '') => {
      const res = await t.request('GET', `/v1/webhook-endpoints/${endpointId}/deliveries${query}`, { token });
      expect(res.status, res.text).toBe(200);
      return res.body.data as {
        event_id: string;
        status: string;
        trigger: string;
        next_attempt_at: string | null;
        attempts: {
          response_status: number | null;
          error: string | null;
          duration_ms: number;
          response_body: string | null;
        }[];
      }[];
    };
    return { token, endpoint, order, events, createdEvent, deliveries };
  };

  const ids = (received: Received[]) => received.map((r) => r.headers['webhook-id']);

  it('a lab order’s life reaches the receiver, every event verified by the library and equal to GET /v1/events/:id', async () => {
    const b = await brand('brand-life');
    const r = await receiver();
    const ep = await b.endpoint(`${r.url}/orders`);
    const order = await b.order();
    // One step at a time: Junction's webhooks of steps sent together may arrive in any order, and
    // an order never moves backwards, so a late earlier step would change nothing.
    for (let i = 0; i < 10 && t.sim.order(order.junction_order_id)!.status !== 'completed'; i++) {
      t.sim.advance(order.junction_order_id);
      await t.sim.webhooksSettled();
    }
    const all = await b.events();
    const types = all.map((e) => e.type);
    expect(types[0]).toBe('lab_order.created');
    expect(types.filter((x) => x === 'lab_order.status_changed').length).toBeGreaterThanOrEqual(2);
    await r.waitFor((got) => all.every((e) => ids(got).includes(e.id)));
    for (const event of all) {
      const [request] = r.withId(event.id);
      expect(request!.path).toBe('/orders');
      expect(request!.headers['content-type']).toBe('application/json');
      expect(request!.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
      const body = verified(ep.secret, request!);
      const read = await t.request('GET', `/v1/events/${event.id}`, { token: b.token });
      expect(body).toEqual(read.body);
    }
    const last = (await b.events()).at(-1)!;
    expect((last.data.object as unknown as { status: string }).status).toBe('completed');
  });

  it('a lab visit’s life reaches the workspace’s receiver, verified, equal to its GET', async () => {
    const w = await createWorkspace(t);
    await createCatalogTest(t, w.admin, 101, 'CBC', 40).catch(() => {});
    await createCatalogTest(t, w.admin, 205, 'CRP', 60).catch(() => {});
    const client = await createClient(t, w);
    const r = await receiver();
    const ep = (
      await ok(
        t.request('POST', `/v1/workspace/${w.workspaceId}/webhook-endpoints`, {
          token: w.owner.token,
          body: { url: `${r.url}/visits` },
        }),
      )
    ).webhookEndpoint as { id: string; secret: string };
    const base = visitsPath(w.workspaceId);
    const visit = (await ok(t.request('POST', base, { token: w.staff.token, body: visitBody(client.id) })))
      .labVisit;
    await ok(
      t.request('PATCH', `${base}/${visit.id}`, {
        token: w.staff.token,
        body: { labVisitStatus: 'scheduled' },
      }),
      200,
    );
    await ok(
      t.request('PATCH', `${base}/${visit.id}`, {
        token: w.staff.token,
        body: { labVisitStatus: 'collected' },
      }),
      200,
    );
    await ok(
      t.request('POST', `${base}/${visit.id}/results`, {
        token: w.staff.token,
        body: { labTestResults: [{ testId: 101, value: 'normal' }] },
      }),
      200,
    );
    const del = await t.request('DELETE', `${base}/${visit.id}`, { token: w.owner.token });
    expect(del.status, del.text).toBeLessThan(300);
    const list = await t.request('GET', `/v1/workspace/${w.workspaceId}/events?limit=200`, {
      token: w.owner.token,
    });
    expect(list.status, list.text).toBe(200);
    const all = [...(list.body.events ?? list.body.data)].reverse() as { id: string; type: string }[];
    expect(all.map((e) => e.type)).toEqual([
      'lab_visit.created',
      'lab_visit.updated',
      'lab_visit.updated',
      'lab_visit.results_added',
      'lab_visit.deleted',
    ]);
    await r.waitFor((got) => all.every((e) => ids(got).includes(e.id)));
    for (const event of all) {
      const body = verified(ep.secret, r.withId(event.id)[0]!);
      const read = await t.request('GET', `/v1/workspace/${w.workspaceId}/events/${event.id}`, {
        token: w.owner.token,
      });
      expect(read.status).toBe(200);
      expect(body).toEqual(read.body.event ?? read.body);
    }
  });

  it('500, 500, then 200: three attempts with the same webhook-id, all in the deliveries log; resend delivers again', async () => {
    const b = await brand('brand-retry');
    const r = await receiver();
    r.answer({ status: 500, body: 'x'.repeat(3000) }, 500);
    const ep = await b.endpoint(`${r.url}/retry`, ['lab_order.created']);
    const eventId = await b.createdEvent((await b.order()).id);
    await r.waitFor(() => r.withId(eventId).length >= 3);
    const attempts = r.withId(eventId);
    expect(attempts).toHaveLength(3);
    for (const a of attempts) verified(ep.secret, a);
    await expect.poll(async () => (await b.deliveries(ep.id))[0]?.status).toBe('succeeded');
    const [delivery] = await b.deliveries(ep.id);
    expect(delivery).toMatchObject({
      event_id: eventId,
      trigger: 'event',
      status: 'succeeded',
      next_attempt_at: null,
    });
    expect(delivery!.attempts.map((a) => a.response_status)).toEqual([500, 500, 200]);
    expect(delivery!.attempts[0]!.error).toBe('HTTP 500');
    expect(delivery!.attempts[0]!.response_body).toHaveLength(1024);

    const resent = await t.request('POST', `/v1/webhook-endpoints/${ep.id}/events/${eventId}/resend`, {
      token: b.token,
    });
    expect(resent.status, resent.text).toBe(202);
    expect(resent.body.webhook_delivery).toMatchObject({
      event_id: eventId,
      trigger: 'resend',
      status: 'pending',
    });
    await r.waitFor(() => r.withId(eventId).length >= 4);
    verified(ep.secret, r.withId(eventId)[3]!);
    await expect.poll(async () => (await b.deliveries(ep.id, '?status=succeeded')).length).toBe(2);

    const metrics = await t.request('GET', '/metrics');
    expect(metrics.text).toMatch(/webhook_deliveries_total\{outcome="retrying"\} [1-9]/);
    expect(metrics.text).toMatch(/webhook_deliveries_total\{outcome="succeeded"\} [1-9]/);
    expect(metrics.text).toMatch(/^webhook_queue_depth \d+/m);
    expect(metrics.text).toMatch(/^webhook_oldest_pending_seconds [\d.]+/m);
  });

  it('a receiver answering NUL and invalid UTF-8 gets each message once; a failing one the schedule, then failed', async () => {
    const b = await brand('brand-nul');
    const r = await receiver();
    // ok, NUL, bye, then bytes that are not UTF-8 (review #26, finding 4: the NUL once kept the
    // attempt from being recorded, and the event was resent every lease, forever).
    r.otherwise({
      status: 200,
      body: Buffer.concat([Buffer.from('ok\u0000bye'), Buffer.from([0xff, 0xc3])]),
    });
    const ep = await b.endpoint(`${r.url}/nul`, ['lab_order.created']);
    const first = await b.createdEvent((await b.order()).id);
    const second = await b.createdEvent((await b.order()).id);
    await expect
      .poll(async () => (await b.deliveries(ep.id, '?status=succeeded')).length, { timeout: 20_000 })
      .toBe(2);
    expect(r.withId(first)).toHaveLength(1);
    expect(r.withId(second)).toHaveLength(1);
    for (const delivery of await b.deliveries(ep.id)) {
      expect(delivery.attempts).toEqual([
        expect.objectContaining({
          response_status: 200,
          error: null,
          response_body: 'ok\\u0000bye\uFFFD\uFFFD',
        }),
      ]);
    }

    const failing = await receiver();
    failing.otherwise({ status: 500, body: 'no\u0000' });
    const down = await b.endpoint(`${failing.url}/nul-500`, ['lab_order.created']);
    const third = await b.createdEvent((await b.order()).id);
    await expect
      .poll(async () => (await b.deliveries(down.id))[0]?.status, { timeout: 20_000 })
      .toBe('failed');
    // The schedule 1,1: three attempts, each recorded, then failed.
    expect(failing.withId(third)).toHaveLength(3);
    const [failed] = await b.deliveries(down.id);
    expect(failed!.attempts.map((a) => [a.response_status, a.response_body])).toEqual([
      [500, 'no\\u0000'],
      [500, 'no\\u0000'],
      [500, 'no\\u0000'],
    ]);
  });

  it('a receiver that never answers is timed out and retried; a dead one ends failed after the schedule', async () => {
    const b = await brand('brand-dead');
    const silent = await receiver();
    silent.otherwise('never');
    const ep = await b.endpoint(`${silent.url}/silent`, ['lab_order.created']);
    const eventId = await b.createdEvent((await b.order()).id);
    await silent.waitFor(() => silent.withId(eventId).length >= 2);
    silent.otherwise(200);
    await expect
      .poll(async () => (await b.deliveries(ep.id))[0]?.status, { timeout: 20_000 })
      .toBe('succeeded');
    const [delivery] = await b.deliveries(ep.id);
    expect(delivery!.attempts.slice(0, 2)).toEqual([
      expect.objectContaining({ response_status: null, error: 'timed out after 1000 ms' }),
      expect.objectContaining({ response_status: null, error: 'timed out after 1000 ms' }),
    ]);

    // Nothing listens at this one: three attempts (the schedule 1,1), then failed.
    const gone = await startReceiver();
    await gone.close();
    const dead = await b.endpoint(`${gone.url}/gone`, ['lab_order.created']);
    const second = await b.createdEvent((await b.order()).id);
    await expect
      .poll(async () => (await b.deliveries(dead.id))[0]?.status, { timeout: 20_000 })
      .toBe('failed');
    const [failed] = await b.deliveries(dead.id, '?status=failed');
    expect(failed).toMatchObject({ event_id: second, status: 'failed', next_attempt_at: null });
    expect(failed!.attempts.map((a) => a.error)).toEqual([
      'connection refused',
      'connection refused',
      'connection refused',
    ]);
    expect(await b.deliveries(dead.id, '?status=succeeded')).toEqual([]);
  });

  it('recover after a disable and re-enable delivers exactly the events that failed or were skipped', async () => {
    const b = await brand('brand-recover');
    const r = await receiver();
    const ep = await b.endpoint(`${r.url}/recover`, ['lab_order.created']);
    const since = new Date().toISOString();
    const delivered = await b.createdEvent((await b.order()).id);
    await r.waitFor(() => r.withId(delivered).length === 1);
    await expect.poll(async () => (await b.deliveries(ep.id))[0]?.status).toBe('succeeded');

    r.otherwise(503);
    const failed = await b.createdEvent((await b.order()).id);
    await expect
      .poll(async () => (await b.deliveries(ep.id, '?status=failed')).length, { timeout: 20_000 })
      .toBe(1);
    const path = `/v1/webhook-endpoints/${ep.id}`;
    expect(
      (await t.request('PATCH', path, { token: b.token, body: { enabled: false } })).body.webhook_endpoint
        .enabled,
    ).toBe(false);
    const skipped = await b.createdEvent((await b.order()).id);
    // Disabled: no recover until it is enabled again.
    const refused = await t.request('POST', `${path}/recover`, { token: b.token, body: { since } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('webhook_endpoint_disabled');
    expect(
      (await t.request('PATCH', path, { token: b.token, body: { enabled: true } })).body.webhook_endpoint
        .enabled,
    ).toBe(true);
    r.otherwise(200);
    const before = r.received.length;
    const recovered = await t.request('POST', `${path}/recover`, { token: b.token, body: { since } });
    expect(recovered.status, recovered.text).toBe(202);
    expect(recovered.body).toEqual({ queued: 2 });
    await r.waitFor((got) => got.length >= before + 2);
    await expect.poll(async () => (await b.deliveries(ep.id, '?status=pending')).length).toBe(0);
    const after = r.received.slice(before);
    expect(ids(after).sort()).toEqual([failed, skipped].sort());
    for (const request of after) verified(ep.secret, request);
    const log = await b.deliveries(ep.id);
    expect(
      log
        .filter((d) => d.trigger === 'recover')
        .map((d) => d.event_id)
        .sort(),
    ).toEqual([failed, skipped].sort());
    expect(r.withId(delivered)).toHaveLength(1);
    // A second recover finds nothing left to send.
    expect((await t.request('POST', `${path}/recover`, { token: b.token, body: { since } })).body).toEqual({
      queued: 0,
    });
  });

  it('after rotate-secret the signature header carries two signatures, each verifiable with its own secret', async () => {
    const b = await brand('brand-rotate');
    const r = await receiver();
    const ep = await b.endpoint(`${r.url}/rotate`, ['lab_order.created']);
    const rotated = await t.request('POST', `/v1/webhook-endpoints/${ep.id}/rotate-secret`, {
      token: b.token,
    });
    const newSecret = rotated.body.webhook_endpoint.secret as string;
    const eventId = await b.createdEvent((await b.order()).id);
    await r.waitFor(() => r.withId(eventId).length === 1);
    const request = r.withId(eventId)[0]!;
    const signatures = request.headers['webhook-signature']!.split(' ');
    expect(signatures).toHaveLength(2);
    expect(
      verified(newSecret, {
        ...request,
        headers: { ...request.headers, 'webhook-signature': signatures[0]! },
      }),
    ).toBeTruthy();
    expect(
      verified(ep.secret, {
        ...request,
        headers: { ...request.headers, 'webhook-signature': signatures[1]! },
      }),
    ).toBeTruthy();
    expect(() =>
      verified(ep.secret, {
        ...request,
        headers: { ...request.headers, 'webhook-signature': signatures[0]! },
      }),
    ).toThrow();
  });

  it('an endpoint whose deliveries all failed for WEBHOOK_DISABLE_AFTER_HOURS is disabled, says why, and PATCH re-enables it', async () => {
    const b = await brand('brand-disable');
    const r = await receiver();
    r.otherwise(500);
    const ep = await b.endpoint(`${r.url}/disable`, ['lab_order.created']);
    // Its failures began two hours ago (the limit here is one hour).
    await t.database.db.execute(
      sql`update webhook_endpoints set failing_since = now() - interval '2 hours' where id = ${ep.id}`,
    );
    await b.order();
    const path = `/v1/webhook-endpoints/${ep.id}`;
    await expect
      .poll(async () => (await t.request('GET', path, { token: b.token })).body.webhook_endpoint.enabled)
      .toBe(false);
    const disabled = (await t.request('GET', path, { token: b.token })).body.webhook_endpoint;
    expect(disabled.disabled_reason).toMatch(/^Every delivery failed for 1 hour/);
    expect(disabled.disabled_at).toEqual(expect.any(String));
    const [delivery] = await b.deliveries(ep.id);
    expect(delivery).toMatchObject({ status: 'failed', next_attempt_at: null });
    const enabled = await t.request('PATCH', path, { token: b.token, body: { enabled: true } });
    expect(enabled.body.webhook_endpoint).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('a redirect is not followed; delivery logs carry no URL', async () => {
    const b = await brand('brand-redirect');
    const target = await receiver();
    const r = await receiver();
    r.otherwise({ status: 307, headers: { location: `${target.url}/elsewhere` } });
    const ep = await b.endpoint(`${r.url}/redirect?token=secret-in-url`, ['lab_order.created']);
    const eventId = await b.createdEvent((await b.order()).id);
    await r.waitFor(() => r.withId(eventId).length >= 1);
    await expect
      .poll(async () => (await b.deliveries(ep.id))[0]?.attempts.length ?? 0)
      .toBeGreaterThanOrEqual(1);
    const [delivery] = await b.deliveries(ep.id);
    expect(delivery!.attempts[0]).toMatchObject({
      response_status: 307,
      error: 'redirects are not followed',
    });
    expect(target.received).toEqual([]);
    const lines = t.logs.filter((l) => l.includes('webhook delivery attempt'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes(eventId))).toBe(true);
    expect(t.logs.filter((l) => l.includes('secret-in-url') || l.includes(r.url))).toEqual([]);
  });

  /** The endpoint's rows in webhook_deliveries, read from the database (the API has no log once it is deleted). */
  const storedDeliveries = (endpointId: string) =>
    rows<{ status: string; attempt_errors: string[] }>(
      t.database.db,
      sql`select status, array(select a->>'error' from jsonb_array_elements(attempts) a) as attempt_errors
          from webhook_deliveries where endpoint_id = ${endpointId}`,
    );
  /** What a fan-out that raced a disable or a delete writes: a pending delivery of the event, due now. */
  const racedDelivery = (endpointId: string, eventId: string) =>
    t.database.db.execute(
      sql`insert into webhook_deliveries (id, endpoint_id, event_id, event_type, trigger, status, next_attempt_at)
          values (gen_random_uuid(), ${endpointId}, ${eventId}, 'lab_order.created', 'event', 'pending', now())`,
    );

  it('DELETE takes the endpoint’s deliveries log with it, and a delivery a racing fan-out wrote after it is removed', async () => {
    const b = await brand('brand-delete-log');
    const r = await receiver();
    const ep = await b.endpoint(`${r.url}/delete`, ['lab_order.created']);
    const event = await b.createdEvent((await b.order()).id);
    await expect.poll(async () => (await b.deliveries(ep.id))[0]?.status).toBe('succeeded');
    expect((await t.request('DELETE', `/v1/webhook-endpoints/${ep.id}`, { token: b.token })).status).toBe(
      204,
    );
    expect(await storedDeliveries(ep.id)).toEqual([]);

    await racedDelivery(ep.id, event);
    // The sweep wakes the endpoint's job within a second; its claim finds no endpoint and removes the row.
    await expect.poll(async () => (await storedDeliveries(ep.id)).length, { timeout: 10_000 }).toBe(0);
    expect(r.withId(event)).toHaveLength(1);
  });

  it('a delivery a racing fan-out wrote after a disable ends failed, as the disable’s own did, and is not sent', async () => {
    const b = await brand('brand-disable-race');
    const r = await receiver();
    const ep = await b.endpoint(`${r.url}/disable`, ['lab_order.created']);
    const path = `/v1/webhook-endpoints/${ep.id}`;
    expect((await t.request('PATCH', path, { token: b.token, body: { enabled: false } })).status).toBe(200);
    const event = await b.createdEvent((await b.order()).id);
    expect(await storedDeliveries(ep.id)).toEqual([]);

    await racedDelivery(ep.id, event);
    await expect
      .poll(async () => await storedDeliveries(ep.id), { timeout: 10_000 })
      .toEqual([{ status: 'failed', attempt_errors: ['not sent: the endpoint is disabled'] }]);
    expect(r.received).toHaveLength(0);
  });

  it('resend and recover are refused for another brand’s endpoint or event (404)', async () => {
    const a = await brand('brand-iso-a');
    const other = await brand('brand-iso-b');
    const r = await receiver();
    const ep = await a.endpoint(`${r.url}/iso`, ['lab_order.created']);
    const theirEvent = await other.createdEvent((await other.order()).id);
    const mine = await a.createdEvent((await a.order()).id);
    const path = `/v1/webhook-endpoints/${ep.id}`;
    expect((await t.request('POST', `${path}/events/${theirEvent}/resend`, { token: a.token })).status).toBe(
      404,
    );
    expect((await t.request('POST', `${path}/events/${mine}/resend`, { token: other.token })).status).toBe(
      404,
    );
    expect(
      (
        await t.request('POST', `${path}/recover`, {
          token: other.token,
          body: { since: new Date(0).toISOString() },
        })
      ).status,
    ).toBe(404);
    const bad = await t.request('POST', `${path}/recover`, { token: a.token, body: { since: 'yesterday' } });
    expect(bad.status).toBe(400);
  });
});
