/**
 * Reconciliation through the simulator over HTTP (src/lab-orders/reconcile.ts): orders whose
 * Junction answer was lost and whose client never retried heal themselves (resumed with the same
 * X-Idempotency-Key within 24 h, adopted by passthrough after, or rejected when Junction never saw
 * them), never with a second Junction order; an order whose webhooks were all lost is refreshed.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/database.js';
import type { Faults } from '../../src/junction/simulator/index.js';
import { createOrder, orderBody, startLabStack, type LabStack } from '../helpers/lab-stack.js';

const HOUR = 3600 * 1000;

describe('lab order reconciliation', () => {
  let s: LabStack;
  beforeAll(async () => {
    s = await startLabStack({
      env: { RECONCILE_INTERVAL_SECONDS: '1', JOB_POLL_INTERVAL_MS: '200', IDEMPOTENCY_LEASE_SECONDS: '1' },
    });
    // Junction's webhooks are lost, all of them: only reconciliation can heal an order here.
    s.sim.setWebhookUrl(null);
  });
  afterAll(() => s.close());

  const simOrdersFor = (orderId: string) => s.sim.orders().filter((o) => o.passthrough === orderId);
  const status = async (id: string) =>
    (
      await rows<{ status: string }>(
        s.t.database.db,
        sql`select status from lab_orders where id = ${id}::uuid`,
      )
    )[0]?.status;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const eventsOf = async (id: string) =>
    (await s.t.request('GET', '/v1/events?limit=200', { token: s.token })).body.data.filter(
      (e: any) => e.data.object.id === id,
    );
  const reconcileRuns = async () => {
    const m = /jobs_total\{queue="lab-orders\.reconcile",outcome="done"\} (\d+)/.exec(
      (await s.t.request('GET', '/metrics')).text,
    );
    return Number(m?.[1] ?? 0);
  };

  /**
   * An order Junction made whose answer never came back: Junction takes longer than the request's
   * time budget (JUNCTION_TIMEOUT_MS, 1.5 s), so the API answers 502 and the order stays
   * submitting; Junction makes it a moment later.
   */
  const lostAnswer = async () => {
    const { id, body, key } = await failedCreate({ latencyMs: 2000 });
    await until('Junction made the order', async () => simOrdersFor(id).length === 1);
    expect(await status(id)).toBe('submitting');
    return { id, body, key };
  };
  /** A create that Junction's `faults` made fail (502): the order is left submitting. */
  const failedCreate = async (faults: Faults) => {
    const body = orderBody();
    const key = randomUUID();
    s.sim.setFaults({ ...faults, operations: ['create_order'] });
    const failed = await createOrder(s, body, key);
    s.sim.setFaults({});
    expect(failed.status).toBe(502);
    const [order] = await rows<{ id: string }>(
      s.t.database.db,
      sql`select id::text from lab_orders where patient_id = ${body.patient_id}::uuid`,
    );
    return { id: order!.id, body, key };
  };
  /** The order as if it was placed `hours` ago (and the simulator's clock as far on). */
  const age = async (id: string, hours: number) => {
    await s.t.database.db.execute(
      sql`update lab_orders set created_at = now() - ${hours} * interval '1 hour' where id = ${id}::uuid`,
    );
    s.sim.advanceClock(hours * HOUR);
  };

  it('an order whose answer was lost and whose client never retries is resumed: received, one Junction order, its event', async () => {
    const { id, body, key } = await lostAnswer();
    expect(simOrdersFor(id)).toHaveLength(1);
    await until('the order is received', async () => (await status(id)) === 'received');
    expect(simOrdersFor(id)).toHaveLength(1);
    const events = await eventsOf(id);
    expect(events.map((e: any) => e.type)).toEqual(['lab_order.created']);
    expect(events[0].data.object).toMatchObject({
      status: 'received',
      junction_order_id: simOrdersFor(id)[0]!.id,
    });
    // The client coming back later gets the one order.
    const retried = await createOrder(s, body, key);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ id, junction_order_id: simOrdersFor(id)[0]!.id });
  });

  it('leaves an order alone while a request holds its Idempotency-Key', async () => {
    const { id } = await lostAnswer();
    await s.t.database.db.execute(
      sql`update idempotency_keys set locked_until = now() + interval '1 hour' where resource_id = ${id} and state = 'in_progress'`,
    );
    const runs = await reconcileRuns();
    await until('two more reconcile runs', async () => (await reconcileRuns()) >= runs + 2);
    expect(await status(id)).toBe('submitting');
    await s.t.database.db.execute(
      sql`update idempotency_keys set locked_until = now() where resource_id = ${id}`,
    );
    await until('the order is received', async () => (await status(id)) === 'received');
    expect(simOrdersFor(id)).toHaveLength(1);
  });

  it('after 25 hours (Junction forgot the key) the order is found by passthrough and adopted, never placed twice', async () => {
    const { id } = await lostAnswer();
    await age(id, 25);
    await until('the order is received', async () => (await status(id)) === 'received');
    expect(simOrdersFor(id)).toHaveLength(1);
    expect((await eventsOf(id)).map((e: any) => e.type)).toEqual(['lab_order.created']);
  });

  it('an order Junction never saw, 25 hours on, is rejected with its reason and its event', async () => {
    const { id, body, key } = await failedCreate({ errorRate: 1, errorStatuses: [500] });
    await age(id, 25);
    await until('the order is rejected', async () => (await status(id)) === 'rejected');
    expect(simOrdersFor(id)).toHaveLength(0);
    const [event] = await eventsOf(id);
    expect(event).toMatchObject({
      type: 'lab_order.rejected',
      data: { object: { status: 'rejected' }, previous: { status: 'submitting' } },
    });
    // The client's retry learns why.
    const retried = await createOrder(s, body, key);
    expect(retried.status).toBe(502);
    expect(retried.body).toMatchObject({
      error: 'junction_rejected',
      message: expect.stringMatching(/never reached Junction/),
    });
  });

  it('a non-final order whose webhooks were all lost becomes completed by refresh', async () => {
    {
      const res = await createOrder(s, orderBody());
      expect(res.status).toBe(201);
      for (let i = 0; i < 10 && s.sim.order(res.body.junction_order_id)!.status !== 'completed'; i++) {
        s.sim.advance(res.body.junction_order_id);
      }
      const runs = await reconcileRuns();
      await until('two more reconcile runs', async () => (await reconcileRuns()) >= runs + 2);
      expect(await status(res.body.id)).toBe('received'); // not stale yet
      await s.t.database.db.execute(
        sql`update lab_orders set updated_at = now() - interval '25 hours' where id = ${res.body.id}::uuid`,
      );
      await until('the order is completed', async () => (await status(res.body.id)) === 'completed');
      const [last] = await eventsOf(res.body.id);
      expect(last).toMatchObject({
        type: 'lab_order.status_changed',
        data: { object: { status: 'completed' } },
      });
    }
  });
});
